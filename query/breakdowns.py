"""The small frames one breakdown becomes: every option with zeros kept, shares, rates per 1,000
residents, the disclosure policy's hidden cells, built in one step (query.frames) from the counts
query.plan returns. query.aggregates and query.snap assemble pages from them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from query import frames
from query.db import CityData
from query.disclosure import DisclosurePolicy, hidden_columns, suppress
from query.filters import UNASSIGNED, Filters, per_year_factor
from store.schema import RACE_POPULATION_COLUMNS

UNSTABLE_RATE_BELOW = 20  # counts under this give rates too noisy to rank or compare


def _labelled(
    name: str,
    found: dict | None,
    options: list[str] | None,
    null_label: str,
    total: int,
    policy: DisclosurePolicy,
    population_shares=None,
) -> pd.DataFrame:
    """One breakdown: every option (zeros kept, so a missing row never hints at a hidden one) plus extras.

    `population_shares`: groups -> residents' shares, a column after `share` (the race breakdown).
    """
    if options is None:
        return _empty_breakdown(name)
    counts: dict[str, int] = dict.fromkeys(options, 0)
    if found is not None:
        for value, n in zip(found["value"], found["n"], strict=True):
            key = null_label if value is None or value != value else str(value)
            counts[key] = counts.get(key, 0) + int(n)
    if len(counts) > len(options):  # values outside the vocabulary: sorted, a missing value last
        extras = sorted(k for k in list(counts)[len(options) :] if k != null_label)
        tail = [null_label] if null_label in counts and null_label not in options else []
        counts = {k: counts[k] for k in (*options, *extras, *tail)}
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    share = values / total if total else np.full(len(values), np.nan)
    columns = {name: frames.text(list(counts)), "count": values, "share": share}
    if population_shares is not None:
        columns["population_share"] = _floats(population_shares(list(counts)))
    return frames.frame(hidden_columns(columns, values, policy, derived_columns=["share"]))


def _floats(values: list[float | None]) -> np.ndarray:
    """Floats with NaN for None, as pandas stores such a list (all None stays object)."""
    if all(v is None for v in values):
        return frames.objects(values)
    return np.array([np.nan if v is None else v for v in values], dtype="float64")


@cache
def _empty_breakdown(name: str) -> pd.DataFrame:
    """A breakdown a kind does not have: the usual columns, no rows (built once; callers only read it)."""
    empty = {
        name: pd.Series(dtype="str"),
        "count": pd.Series(dtype="Int64"),
        "share": pd.Series(dtype="float64"),
    }
    return pd.DataFrame(empty).assign(is_suppressed=pd.Series(dtype="bool"), label=pd.Series(dtype="str"))


def _trend(city: CityData, filters: Filters, found: dict | None, policy: DisclosurePolicy) -> pd.DataFrame:
    """Count per month over the window, trimmed to the months the data covers, zeros filled."""
    span = _covered_span(city, filters)
    if span is None:
        return suppress(_empty_trend(), policy)
    counts = dict.fromkeys(_months_between(span[0], span[1]), 0)
    if found is not None:
        for value, n in zip(found["value"], found["n"], strict=True):
            if value is not None and value == value:
                month = value if type(value) is date else pd.Timestamp(value).date()
                if month in counts:
                    counts[month] += int(n)
    # A month the window or the data only partly covers is marked, so a short last bar is read as such.
    partial = np.array([m < span[0] or _month_end(m) > span[1] for m in counts], dtype=bool)
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    columns = {"month": frames.objects(list(counts)), "count": values, "is_partial_month": partial}
    return frames.frame(hidden_columns(columns, values, policy))


@cache
def _empty_trend() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": pd.Series(dtype="object"),
            "count": pd.Series(dtype="int64"),
            "is_partial_month": pd.Series(dtype="bool"),
        }
    )


def _months_between(first: date, last: date) -> list[date]:
    """The first day of every month from first's to last's."""
    index, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index, end + 1)]


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _covered_span(city: CityData, filters: Filters) -> tuple[date, date] | None:
    coverage = city.coverage.get(filters.kind)
    if coverage is None:
        return None
    start = max(filter(None, (filters.date_from, coverage[0])))
    end = min(filter(None, (filters.date_to, coverage[1])))
    return (start, end) if start <= end else None


def _by_neighborhood(
    city: CityData, filters: Filters, found: dict | None, policy: DisclosurePolicy
) -> pd.DataFrame:
    """Count and rate per 1,000 residents for each neighborhood in view, plus records with none."""
    ref = _reference(city)
    ids = (
        ref.ids
        if not filters.neighborhood_ids
        else [i for i in ref.ids if i in set(filters.neighborhood_ids)]
    )
    counts = dict.fromkeys(ids, 0)
    if filters.neighborhood_ids:  # a selected id the reference no longer knows still gets its row
        counts.update({i: 0 for i in filters.neighborhood_ids if i not in counts})
    if found is not None:
        for value, n in zip(found["value"], found["n"], strict=True):
            key = None if value is None or value != value else str(value)
            counts[key] = counts.get(key, 0) + int(n)
    if counts.get(None) == 0:
        del counts[None]
    keys = list(counts)
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(keys))
    population = [ref.population.get(i) for i in keys]
    pop = np.array([np.nan if p is None else p for p in population], dtype="float64")
    span = _covered_span(city, filters)
    per_year = per_year_factor(*span) if span else 1.0
    # Per 1,000 residents per year, whatever the window: rates of different periods compare.
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(pop > 0, values / pop * 1000 * per_year, np.nan)
    columns = {
        "neighborhood_id": frames.text(keys),
        "name": frames.text([UNASSIGNED if i is None else ref.names.get(i, i) for i in keys]),
        "count": values,
        "population": frames.optional_ints(population),
        "rate_per_1000": rate,
    }
    out = hidden_columns(columns, values, policy, derived_columns=["rate_per_1000"])
    shown = np.where(out["count"].isna(), 0, values)  # a hidden count is too small to rank on
    out = {**columns, "rate_per_1000": out["rate_per_1000"], "count": out["count"]} | {
        "is_rate_unstable": shown < UNSTABLE_RATE_BELOW,
        **{k: out[k] for k in ("is_suppressed", "reason", "label")},
    }
    return frames.frame(out)


@dataclass(frozen=True)
class _Reference:
    """The neighborhoods table as plain Python values, read once per open city."""

    ids: list[str]
    names: dict[str, str]
    population: dict[str, int | None]
    race_population: dict[str, dict[str, float | None]]  # race group -> neighborhood -> residents


@lru_cache(maxsize=16)
def _reference(city: CityData) -> _Reference:
    ref = city.neighborhoods
    ids = [str(i) for i in ref["neighborhood_id"]]
    population = {i: None if pd.isna(p) else int(p) for i, p in zip(ids, ref["population"], strict=True)}
    races = {
        group: {i: None if pd.isna(v) else float(v) for i, v in zip(ids, ref[column], strict=True)}
        for group, column in RACE_POPULATION_COLUMNS.items()
        if column in ref.columns
    }
    return _Reference(ids, dict(city.neighborhood_names), population, races)


def _population_shares(city: CityData, filters: Filters, groups) -> list[float | None]:
    """Each race group's share of the residents of the neighborhoods in view (None where not counted)."""
    ref = _reference(city)
    chosen = set(filters.neighborhood_ids)
    ids = [i for i in ref.ids if i in chosen] if chosen else ref.ids
    total = [ref.population[i] for i in ids]
    if not ids or any(p is None for p in total) or sum(total) <= 0:
        return [None] * len(groups)
    out: list[float | None] = []
    for group in groups:
        residents = [ref.race_population[group][i] for i in ids] if group in ref.race_population else [None]
        out.append(None if any(r is None for r in residents) else float(sum(residents)) / float(sum(total)))
    return out
