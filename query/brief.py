"""The town-hall brief: one neighborhood's figures per kind beside the whole city's, each counted
through the disclosure gate, and the plain statements people quote (annualised rates, changes and
whether they are within ordinary variation). Rendered as a page, a file and a table of figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from query.db import CityData
from query.filters import Filters, latest_months, per_year_factor
from query.i18n import _, number, percent
from store.schema import schema_for

Z_95 = 1.959964


@dataclass(frozen=True)
class Comparison:
    label: str  # "the 12 months before"
    count: int | None
    change_pct: float | None
    statement: str  # "12% more; within ordinary month-to-month variation (95% Poisson interval ...)"


@dataclass(frozen=True)
class KindBrief:
    kind: str
    title: str
    unit: str
    window: tuple[date, date]
    area: object  # PublishedPage for the neighborhood (query.gate)
    city: object  # PublishedPage for the whole city
    area_rate: float | None  # per 1,000 residents per year
    city_rate: float | None
    comparisons: tuple[Comparison, ...]
    sustained_share: str | None  # complaints: share of decided allegations that were sustained
    is_rate_unstable: bool
    extra: tuple[str, ...] = ()  # where published: time to close, injuries


def kind_window(
    city: CityData, kind: str, chosen: tuple[date | None, date | None]
) -> tuple[date, date] | None:
    """The chosen dates, or the kind's own latest 12 complete months."""
    if chosen[0] and chosen[1]:
        return chosen[0], chosen[1]
    span = city.coverage.get(kind)
    window = latest_months(span[1]) if span else (None, None)
    return window if window[0] else None


def per_year_rate(count: int | None, population: float | None, window: tuple[date, date]) -> float | None:
    """Per 1,000 residents per year: the count scaled to a year from the window's length."""
    if count is None or not population or population <= 0:
        return None
    return count / population * 1000 * per_year_factor(*window)


def poisson_statement(now: int | None, before: int | None, against: str) -> Comparison:
    """The change against an earlier window of the same length, and whether it is ordinary variation.

    Test: the 95% interval of the ratio of two Poisson counts (log method). When it includes 1 the
    change is within what month-to-month variation alone would give.
    """
    if now is None or before is None:
        words = _("No comparison with {against}: the data do not cover it.").format(against=against)
        return Comparison(against, before, None, words)
    if now == 0 or before == 0:
        return Comparison(
            against, before, None, _("Too few records to compare with {against}.").format(against=against)
        )
    change = (now - before) / before * 100
    spread = Z_95 * math.sqrt(1 / now + 1 / before)
    low, high = math.exp(math.log(now / before) - spread), math.exp(math.log(now / before) + spread)
    pct = percent(abs(change) / 100)
    size = (
        (_("{percent} more than {against}") if change > 0 else _("{percent} fewer than {against}"))
        if round(change)
        else _("about the same as {against}")
    ).format(percent=pct, against=against)
    verdict = (
        _("within ordinary variation")
        if low <= 1 <= high
        else _("more than ordinary variation would explain")
    )
    words = _("{change} ({before}); {verdict} (95% Poisson interval of the ratio {low}–{high}).").format(
        change=size[:1].upper() + size[1:],
        before=number(before),
        verdict=verdict,
        low=number(low, 2),
        high=number(high, 2),
    )
    return Comparison(against, before, change, words)


def sustained_share(by_finding: pd.DataFrame) -> str | None:
    """Sustained among decided allegations (sustained, not sustained, exonerated, unfounded)."""
    if by_finding.empty or "count" not in by_finding:
        return None
    counts = dict(zip(by_finding["finding"], by_finding["count"], strict=True))
    decided = ["sustained", "not sustained", "exonerated", "unfounded"]
    values = [counts.get(f) for f in decided]
    if any(v is None or pd.isna(v) for v in values) or not sum(values):
        return None
    return _("{share} of decided allegations were sustained ({sustained} of {decided})").format(
        share=percent(values[0] / sum(values)), sustained=number(values[0]), decided=number(sum(values))
    )


def population_of(city: CityData, hood_id: str | None) -> float | None:
    frame = city.neighborhoods
    rows = frame if hood_id is None else frame[frame["neighborhood_id"] == hood_id]
    total = rows["population"].sum(min_count=1)
    return None if pd.isna(total) else float(total)


def area_filters(kind: str, window: tuple[date, date], hood_id: str | None) -> Filters:
    return Filters.make(kind, *window, neighborhood_ids=[hood_id] if hood_id else None)


def title_of(kind: str) -> str:
    return schema_for(kind).title
