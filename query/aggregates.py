"""Every number a page shows, computed in one filtered pass and returned as small frames.

A chart, its table and its CSV all come from the same `PageAggregates`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import pandas as pd

from query import plan
from query.breakdowns import (
    UNSTABLE_RATE_BELOW as UNSTABLE_RATE_BELOW,  # published here, beside the figures it qualifies
)
from query.breakdowns import (
    _by_neighborhood,
    _empty_breakdown,
    _labelled,
    _population_shares,
    _trend,
)
from query.db import CityData
from query.disclosure import (
    DEFAULT_POLICY,
    NO_SUPPRESSION,
    DisclosurePolicy,
    suppress_count,
)
from query.filters import (
    AGE_BANDS,
    CATEGORY_COLUMN,
    FINDING_KINDS,
    NOT_RECORDED,
    UNIT_WORDS,
    UNKNOWN,
    Filters,
    latest_months,
)
from store.schema import COUNT_KINDS, VOCABULARIES, schema_for

PARTIAL_SLACK_DAYS = 3


@dataclass(frozen=True)
class Totals:
    records: int | None  # rows, in the kind's unit (incidents, allegations, subjects); None if hidden
    record_unit: str  # "allegations"
    units: int | None = None  # distinct complaints or incidents, where the kind has them
    unit_label: str | None = None  # "complaints"
    is_suppressed: bool = False


@dataclass(frozen=True, eq=False)
class PageAggregates:
    """Small frames; count columns are nullable integers, NA where the disclosure policy hides a cell."""

    filters: Filters
    trend: pd.DataFrame  # month, count, is_suppressed, label
    by_category: pd.DataFrame  # category, count, share, is_suppressed, label
    by_finding: pd.DataFrame  # finding, count, share, is_suppressed, label (complaints; else empty)
    # neighborhood_id (None for unassigned), name, count, population, rate_per_1000, is_rate_unstable,
    # is_suppressed, label
    by_neighborhood: pd.DataFrame
    by_race: pd.DataFrame  # group, count, share, population_share, is_suppressed, label
    by_sex: pd.DataFrame  # group, count, share, is_suppressed, label
    by_age_band: pd.DataFrame  # group, count, share, is_suppressed, label
    totals: Totals
    notes: tuple[str, ...]  # ignored filters and the disclosure note, to print under the charts


def page_aggregates(
    city: CityData, filters: Filters, policy: DisclosurePolicy = DEFAULT_POLICY
) -> PageAggregates:
    """All breakdowns of one page for one set of filters, from one SQL statement with GROUPING SETS."""
    raw = plan.grouped_counts(city, filters)
    chosen = filters.effective()
    total = int(raw["()"]["n"].sum()) if "()" in raw else 0
    units = raw.get("units")
    cell_policy = policy if filters.has_person_filter else NO_SUPPRESSION
    kind = filters.kind
    trend = _trend(city, filters, raw.get("month"), cell_policy)
    by_category = _labelled(
        "category", raw.get("category"), _categories(kind, chosen), NOT_RECORDED, total, cell_policy
    )
    by_finding = _labelled(
        "finding", raw.get("finding"), _findings(kind, chosen), NOT_RECORDED, total, cell_policy
    )
    by_neighborhood = _by_neighborhood(city, filters, raw.get("neighborhood_id"), cell_policy)
    if filters.has_person_columns:
        by_race, by_sex, by_age = _people(city, filters, raw, total, policy)
    else:  # kinds that describe no person get empty, typed frames (and skip the work)
        by_race, by_sex, by_age = _no_people()
    unit_count = int(units["n"][0]) if units is not None and len(units["n"]) else None
    totals = _totals(kind, total, unit_count, cell_policy, city.unit_plural(kind))
    notes = (*filters.ignored, policy.note()) if filters.has_person_columns else filters.ignored
    return PageAggregates(
        filters, trend, by_category, by_finding, by_neighborhood, by_race, by_sex, by_age, totals, notes
    )


@cache
def _no_people() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Empty race, sex and age frames with the usual columns, built once (pages only read them)."""
    by_race = _empty_breakdown("group").copy()
    by_race.insert(3, "population_share", pd.Series(dtype="float64"))
    empty = _empty_breakdown("group").copy()
    return by_race, empty, empty.copy()


def _people(city: CityData, filters: Filters, raw: dict, total: int, policy: DisclosurePolicy):
    """The race, sex and age-band breakdowns, each always under the disclosure policy."""
    chosen = filters.effective()
    races, sexes = _options(VOCABULARIES["race"], chosen.races), _options(VOCABULARIES["sex"], chosen.sexes)
    shares = lambda groups: _population_shares(city, filters, groups)  # noqa: E731
    by_race = _labelled("group", raw.get("race"), races, UNKNOWN, total, policy, shares)
    by_sex = _labelled("group", raw.get("sex"), sexes, UNKNOWN, total, policy)
    ages = _options(AGE_BANDS, chosen.age_bands)
    by_age = _labelled("group", raw.get("age"), ages, UNKNOWN, total, policy)
    return by_race, by_sex, by_age


def _totals(kind: str, records: int, units: int | None, policy: DisclosurePolicy, record_unit: str) -> Totals:
    unit_label = UNIT_WORDS[kind][1] if kind in UNIT_WORDS else None
    if unit_label == record_unit:  # records are already incidents (or complaints): no second count
        units, unit_label = None, None
    shown_records, shown_units = suppress_count(records, policy), suppress_count(units, policy)
    return Totals(
        records=shown_records,
        record_unit=record_unit,
        units=shown_units,
        unit_label=unit_label,
        is_suppressed=shown_records != records or shown_units != units,
    )


def _options(vocabulary: tuple[str, ...], selected: tuple[str, ...]) -> list[str]:
    """Rows a breakdown always shows: the selected values, or the whole vocabulary (zeros included)."""
    return list(selected) if selected else list(vocabulary)


def _categories(kind: str, filters: Filters) -> list[str]:
    vocabulary = schema_for(kind).column(CATEGORY_COLUMN[kind]).vocabulary
    return _options(VOCABULARIES[vocabulary] if vocabulary else (), filters.categories)


def _findings(kind: str, filters: Filters) -> list[str] | None:
    return _options(VOCABULARIES["finding"], filters.findings) if kind in FINDING_KINDS else None


def neighborhood_counts(
    city: CityData, filters: Filters, policy: DisclosurePolicy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Only the by-neighborhood table of `page_aggregates` (same columns, same rules), for the map.

    One small GROUP BY instead of every breakdown, so a page can map the whole city beside a
    narrower selection cheaply.
    """
    found = plan.neighborhood_found(city, filters)
    cell_policy = policy if filters.has_person_filter else NO_SUPPRESSION
    return _by_neighborhood(city, filters, found, cell_policy)


@dataclass(frozen=True)
class KeyFigures:
    """A count for the window and for two comparison windows; None where a window lacks data or is hidden."""

    kind: str
    unit_plural: str
    count: int | None
    previous_count: int | None
    year_before_count: int | None
    change_vs_previous_pct: float | None
    change_vs_year_before_pct: float | None
    previous_window: tuple[date, date] | None
    year_before_window: tuple[date, date] | None
    is_partial: bool  # the window reaches past the data (newest or oldest record)
    is_suppressed: bool


def key_figures(city: CityData, filters: Filters, policy: DisclosurePolicy = DEFAULT_POLICY) -> KeyFigures:
    """Records in the window, the window before it and the same window a year earlier, in one statement."""
    windows = {"now": filters, "previous": filters.previous_period(), "year_before": filters.year_before()}
    coverage = city.coverage.get(filters.kind)
    usable = {key: w for key, w in windows.items() if w is not None and _has_data(w, coverage, key == "now")}
    counts = _window_counts(city, usable)
    hidden = policy if filters.has_person_filter else NO_SUPPRESSION
    shown = {key: suppress_count(n, hidden) for key, n in counts.items()}
    now, previous, year_before = (shown.get(k) for k in ("now", "previous", "year_before"))
    # A few quiet days at either end are not missing data; a window that runs well past it is.
    slack = timedelta(days=PARTIAL_SLACK_DAYS)
    is_partial = coverage is not None and (
        (filters.date_from is not None and filters.date_from < coverage[0] - slack)
        or (filters.date_to is not None and filters.date_to > coverage[1] + slack)
    )
    return KeyFigures(
        kind=filters.kind,
        unit_plural=city.unit_plural(filters.kind),
        count=now,
        previous_count=previous,
        year_before_count=year_before,
        # A window reaching past the data is partial: set against a full one it would show a fall
        # that is only missing months, so no change is given for it.
        change_vs_previous_pct=None if is_partial else _change(now, previous),
        change_vs_year_before_pct=None if is_partial else _change(now, year_before),
        previous_window=_window(windows["previous"]),
        year_before_window=_window(windows["year_before"]),
        is_partial=is_partial,
        is_suppressed=any(shown[k] != counts[k] for k in counts),
    )


def _has_data(window: Filters, coverage: tuple[date, date] | None, is_current: bool) -> bool:
    """The current window needs some overlap with the data; a comparison window must lie wholly inside it."""
    if coverage is None:
        return False
    start, end = window.date_from or coverage[0], window.date_to or coverage[1]
    if is_current:
        return start <= coverage[1] and end >= coverage[0]
    return start >= coverage[0] and end <= coverage[1]


def _window_counts(city: CityData, windows: dict[str, Filters]) -> dict[str, int]:
    if not windows:
        return {}
    shared = next(iter(windows.values()))  # the windows differ in their dates only
    counts = plan.window_counts(city, shared, [(w.date_from, w.date_to) for w in windows.values()])
    return dict(zip(windows, counts, strict=True))


def _change(now: int | None, before: int | None) -> float | None:
    if now is None or not before:
        return None
    return (now - before) / before * 100.0


def _window(window: Filters | None) -> tuple[date, date] | None:
    if window is None or window.date_from is None or window.date_to is None:
        return None
    return window.date_from, window.date_to


@dataclass(frozen=True, eq=False)
class KindOverview:
    kind: str
    title: str
    has_data: bool
    key_figures: KeyFigures | None
    totals: Totals | None
    top_neighborhoods: pd.DataFrame  # by rate per 1,000 residents, stable rates only


@dataclass(frozen=True, eq=False)
class CityOverview:
    city_id: str
    date_from: date | None
    date_to: date | None
    kinds: tuple[KindOverview, ...]


def city_overview(
    city: CityData,
    date_from: date | None,
    date_to: date | None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    top_n: int = 5,
) -> CityOverview:
    """Key figures and the highest-rate neighborhoods of every kind, for the overview page."""
    out = []
    for kind in COUNT_KINDS:  # the overview's cards count records; scores have their own page
        if not city.has_data(kind):
            empty = pd.DataFrame(columns=["neighborhood_id", "name", "count", "population", "rate_per_1000"])
            out.append(KindOverview(kind, schema_for(kind).title, False, None, None, empty))
            continue
        window = (date_from, date_to)
        if date_from is None and date_to is None and city.coverage.get(kind):
            window = latest_months(city.coverage[kind][1])  # each kind's own latest complete year
        filters = Filters.make(kind, *window)
        page = page_aggregates(city, filters, policy)
        hoods = page.by_neighborhood
        ranked = hoods[
            hoods["neighborhood_id"].notna() & ~hoods["is_rate_unstable"] & hoods["rate_per_1000"].notna()
        ]
        top = ranked.sort_values(["rate_per_1000", "name"], ascending=[False, True]).head(top_n)
        out.append(
            KindOverview(
                kind,
                schema_for(kind).title,
                True,
                key_figures(city, filters, policy),
                page.totals,
                top[["neighborhood_id", "name", "count", "population", "rate_per_1000"]].reset_index(
                    drop=True
                ),
            )
        )
    return CityOverview(city.city_id, date_from, date_to, tuple(out))
