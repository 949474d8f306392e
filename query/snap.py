"""Breakdowns by who (race, sex, age) only at fixed granularities, so two views cannot be subtracted.

The method (also on the About page):
- A breakdown by who covers one whole calendar year that is over (the data runs past it), and either
  the whole city or exactly one neighborhood. Any selection snaps to that: the year its end date
  falls in (or the latest finished year before it), the one neighborhood chosen or else the whole
  city; category, finding and person filters do not narrow it. The page says what it was snapped to.
  Two selections one filter step apart (a start date moved by a day, {A, B} then {B}) therefore give
  the same tables, or a city table and a neighborhood table of the same year.
- City tables: primary suppression (1..k-1) and complementary suppression inside the table.
- Neighborhood tables are linked to their city table: a cell is also hidden when the city's cell
  minus it (the rest of the city) would be 1..k-1, and cells are hidden until no sum the two tables
  together reveal (a visible cell, a table's hidden total, the rest of the city over any set of
  groups both tables let one add up) is 1..k-1. If that cannot be met, the whole table is hidden.
- Under a race, sex or age filter, only the matching cell of the snapped table is shown (one value
  of one of them); the other breakdowns of the page are withheld, since they would be counts of
  people for arbitrary dates and places.
Late corrections to a finished year still change its tables between snapshots; that is a residual
risk stated on the About page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from query import plan
from query.breakdowns import _labelled, _population_shares
from query.db import CityData
from query.disclosure import (
    NO_SUPPRESSION,
    REASON_COMPLEMENTARY,
    REASON_LINKED,
    REASON_SMALL,
    SUPPRESSED_LABEL,
    DisclosurePolicy,
    suppress,
    suppressed_label,
)
from query.filters import AGE_BANDS, UNKNOWN, Filters, age_band_sql, person_columns
from query.i18n import _, number
from store.schema import VOCABULARIES, schema_for

DIMENSIONS = {"race": "races", "sex": "sexes", "age": "age_bands"}


@dataclass(frozen=True)
class SnapKey:
    """The fixed table a selection's breakdowns by who come from."""

    year: int | None  # None: no finished year in the data yet
    neighborhood_id: str | None  # None: the whole city


def snap_key(filters: Filters, coverage: tuple[date, date] | None) -> SnapKey:
    """The year and area a selection snaps to (pure; tests pair it with every one-step change)."""
    hood = filters.neighborhood_ids[0] if len(filters.neighborhood_ids) == 1 else None
    if coverage is None:
        return SnapKey(None, hood)
    last_finished = coverage[1].year - 1
    wanted = (filters.date_to or coverage[1]).year
    year = min(wanted, last_finished)
    return SnapKey(year if year >= coverage[0].year else None, hood)


def scope_words(key: SnapKey, names: dict[str, str]) -> str:
    if key.year is None:
        return _("no finished calendar year in the data yet")
    area = (
        _("the whole city")
        if key.neighborhood_id is None
        else names.get(key.neighborhood_id, key.neighborhood_id)
    )
    return _("calendar year {year}, {area}").format(year=key.year, area=area)


def linked_hidden(city: np.ndarray, hood: np.ndarray, city_hidden: np.ndarray, k: int) -> np.ndarray:
    """Which cells of a neighborhood table to hide, given its city table (see the module's method)."""
    hidden = ((hood > 0) & (hood < k)) | ((city - hood > 0) & (city - hood < k) & ~city_hidden)
    while _leaks(city, hood, city_hidden, hidden, k):
        candidates = np.flatnonzero(~hidden & (hood > 0))
        if candidates.size == 0:
            return np.ones_like(hidden)
        hidden[candidates[np.argmin(hood[candidates])]] = True
    return hidden


def _small(n: int, k: int) -> bool:
    return 0 < n < k


def _leaks(city, hood, city_hidden, hidden, k) -> bool:
    """True when a sum the two tables reveal together is 1..k-1 (the sets are those one can add up)."""
    if _small(int(hood[hidden].sum()), k):
        return True
    both_visible = ~hidden & ~city_hidden
    if any(_small(int(r), k) for r in (city - hood)[both_visible]):
        return True
    everything = np.ones_like(hidden)
    for group in _addable(city_hidden, hidden):
        if group.all() and (group == everything).all():
            continue  # the rest of the city's total is a count of records, published anyway
        if _small(int((city - hood)[group].sum()), k):
            return True
    return False


def _addable(city_hidden: np.ndarray, hidden: np.ndarray) -> list[np.ndarray]:
    """Sets of groups whose city and neighborhood sums are both known (each hidden set whole or not at all)."""
    sets = []
    if not (city_hidden & hidden).any() or (hidden <= city_hidden).all():
        sets.append(city_hidden)
    if not (city_hidden & hidden).any() or (city_hidden <= hidden).all():
        sets.append(hidden)
    sets.append(city_hidden | hidden)
    return [s for s in sets if s.any()]


@dataclass(frozen=True, eq=False)
class Demographics:
    by_race: pd.DataFrame
    by_sex: pd.DataFrame
    by_age_band: pd.DataFrame
    scope: str
    filtered_count_text: str  # the headline under a person filter


def demographics(city: CityData, filters: Filters, policy: DisclosurePolicy) -> Demographics:
    """The snapped, linked breakdowns by who for a selection, and the one count a person filter may show."""
    key = snap_key(filters, city.coverage.get(filters.kind))
    scope = scope_words(key, dict(city.neighborhood_names))
    if not filters.has_person_columns or key.year is None:
        return Demographics(*_empty_tables(), scope, "")
    tables = _fixed_tables(city, filters.kind, key, policy)
    return Demographics(*tables, scope, _filtered_count(filters, tables, policy))


@cache
def _empty_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """No breakdowns by who: typed, empty, built once (the gate copies what it publishes)."""
    empty = _labelled("group", None, None, UNKNOWN, 0, NO_SUPPRESSION).assign(reason=None)
    return empty.assign(population_share=pd.Series(dtype="float64")), empty, empty


@lru_cache(maxsize=64)
def _fixed_tables(
    city: CityData, kind: str, key: SnapKey, policy: DisclosurePolicy
) -> tuple[pd.DataFrame, ...]:
    """The pre-suppressed tables of one fixed granularity, built once per open city (callers copy them)."""
    year = (date(key.year, 1, 1), date(key.year, 12, 31))
    whole = Filters.make(kind, *year)
    if key.neighborhood_id is None:
        return tuple(_city_tables(city, whole, policy))
    return tuple(_hood_tables(city, replace_hood(whole, key.neighborhood_id), whole, policy))


def replace_hood(filters: Filters, hood: str) -> Filters:
    return Filters.make(filters.kind, filters.date_from, filters.date_to, neighborhood_ids=(hood,))


def _raw_tables(city: CityData, filters: Filters) -> list[pd.DataFrame]:
    if identifies_people(city, filters.kind):
        raw = _people_counts(city, filters)
        ages = raw.get("age")
    else:
        raw = plan.grouped_counts(city, filters)
        ages = raw.get("age")
    total = int(raw["()"]["n"].sum())
    race = _labelled("group", raw.get("race"), list(VOCABULARIES["race"]), UNKNOWN, total, NO_SUPPRESSION)
    race.insert(3, "population_share", _population_shares(city, filters, race["group"]))
    sex = _labelled("group", raw.get("sex"), list(VOCABULARIES["sex"]), UNKNOWN, total, NO_SUPPRESSION)
    age = _labelled("group", ages, list(AGE_BANDS), UNKNOWN, total, NO_SUPPRESSION)
    return [t.drop(columns=["is_suppressed", "reason", "label"]) for t in (race, sex, age)]


@lru_cache(maxsize=16)
def identifies_people(city: CityData, kind: str) -> bool:
    """Whether any record of this kind names the person it is about (a complainant or subject id)."""
    column = schema_for(kind).person_id_column
    if not column or not city.has_data(kind):
        return False
    return int(city.query(f"SELECT count({column}) AS n FROM {kind}").iloc[0, 0]) > 0


def _people_counts(city: CityData, filters: Filters) -> dict[str, pd.DataFrame]:
    """Distinct people per race, sex and age band (a record with no id is a person of its own), so
    the threshold counts people: one complainant with five allegations is one, not five."""
    kind, person = filters.kind, person_columns(filters.kind)
    who = f"coalesce({schema_for(kind).person_id_column}, 'record:' || record_id)"
    where, params = filters.to_sql()
    rows = city.query(
        "SELECT grouping_id(race, sex, age) AS set_id, race, sex, age, count(DISTINCT who) AS n FROM ("
        f"SELECT {person['race']} AS race, {person['sex']} AS sex, {age_band_sql(person['age'])} AS age, "
        f"{who} AS who FROM {kind} WHERE {where}) GROUP BY GROUPING SETS ((race), (sex), (age), ())",
        params,
    )
    out = {"()": pd.DataFrame({"n": rows.loc[rows["set_id"] == 7, "n"].to_numpy()})}
    for name, set_id in (("race", 3), ("sex", 5), ("age", 6)):
        part = rows[rows["set_id"] == set_id]
        out[name] = pd.DataFrame({"value": part[name].to_numpy(), "n": part["n"].to_numpy()})
    return out


def _city_tables(city: CityData, filters: Filters, policy: DisclosurePolicy) -> list[pd.DataFrame]:
    return [suppress(t, policy, derived_columns=["share"]) for t in _raw_tables(city, filters)]


def _hood_tables(
    city: CityData, filters: Filters, whole: Filters, policy: DisclosurePolicy
) -> list[pd.DataFrame]:
    """Each neighborhood table, its cells hidden against the city table of the same year (linked)."""
    out = []
    for raw, parent_raw in zip(_raw_tables(city, filters), _raw_tables(city, whole), strict=True):
        counts = raw["count"].to_numpy(dtype="int64")
        parent_counts = parent_raw["count"].to_numpy(dtype="int64")
        parent_hidden = suppress(parent_raw, policy)["is_suppressed"].to_numpy()
        hidden = linked_hidden(parent_counts, counts, parent_hidden, policy.threshold)
        out.append(apply_hidden(raw, counts, hidden, policy))
    return out


def apply_hidden(raw: pd.DataFrame, counts: np.ndarray, hidden: np.ndarray, policy: DisclosurePolicy):
    out = raw.copy()
    small = (counts > 0) & (counts < policy.threshold)
    out["count"] = pd.array(np.where(hidden, 0, counts), dtype="Int64")
    out.loc[hidden, "count"] = pd.NA
    out["share"] = out["share"].astype("float64").mask(hidden)
    out["is_suppressed"] = hidden
    out["reason"] = [
        (REASON_SMALL if s else REASON_LINKED) if h else None for h, s in zip(hidden, small, strict=True)
    ]
    out["label"] = [SUPPRESSED_LABEL if h else f"{c:,}" for h, c in zip(hidden, counts, strict=True)]
    return out


def _filtered_count(filters: Filters, tables, policy: DisclosurePolicy) -> str:
    """Under a person filter: the one published cell it names, or why there is none."""
    chosen = [(dim, getattr(filters, attr)) for dim, attr in DIMENSIONS.items() if getattr(filters, attr)]
    if len(chosen) != 1 or len(chosen[0][1]) != 1:
        return _("not published for this combination (choose one value of race, sex or age)")
    dim, (value,) = chosen[0]
    table = tables[list(DIMENSIONS).index(dim)]
    row = table[table["group"] == value]
    if row.empty:
        return "0"
    if bool(row["is_suppressed"].iloc[0]):
        return f"{suppressed_label()} ({policy.reason_words(row['reason'].iloc[0])})"
    return number(int(row["count"].iloc[0]))


__all__ = ["REASON_COMPLEMENTARY", "SnapKey", "demographics", "linked_hidden", "snap_key"]
