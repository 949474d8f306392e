"""How the rows behind a set of filters are read: query.cube's arrays where they can answer exactly,
else SQL over a kind's DuckDB cubes where it has them, else over its rows.

A cube kind is read from `cube_<kind>` (counts per month) for whole months and from `cubeday_<kind>`
(counts per day) for the partial months at either end of a window.

Every statement here is built from the allowlisted column names of query.filters and the kind names
of store.schema; selected values stay in the parameter dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from query import cube_answer
from query.cube import split_window
from query.cube_answer import Found
from query.db import CityData
from query.filters import CATEGORY_COLUMN, FINDING_KINDS, UNIT_COLUMN, Filters, age_band_sql, person_columns


@dataclass(frozen=True)
class Source:
    """A relation (SQL text usable after FROM) with dimension columns and how to count its rows."""

    sql: str
    params: dict[str, object]
    count_sql: str  # count(*) over rows, sum(n) over cube cells


def dimensions(kind: str) -> list[tuple[str, str]]:
    """(output name, canonical column) of every breakdown a kind has."""
    dims = [("month", "occurred_month"), ("category", CATEGORY_COLUMN[kind])]
    if kind in FINDING_KINDS:
        dims.append(("finding", "finding"))
    dims.append(("neighborhood_id", "neighborhood_id"))
    person = person_columns(kind)
    if person:
        dims += [("race", person["race"]), ("sex", person["sex"]), ("age", age_band_sql(person["age"]))]
    return dims


def source(city: CityData, filters: Filters) -> Source:
    """The filtered relation: rows, or month-cube cells for whole months plus day-cube cells for the rest."""
    kind = filters.kind
    select = ", ".join(f"{column} AS {name}" for name, column in dimensions(kind))
    if kind not in city.cube_kinds:
        where, params = filters.to_sql()
        return Source(f"SELECT {select} FROM {kind} WHERE {where}", params, "count(*)")
    where, params = filters.to_sql(include_dates=False)
    months, edges = split_window(filters.date_from, filters.date_to)
    parts = []
    if months is not None:
        month_where = _between("occurred_month", months, "month", params)
        parts.append(f"SELECT {select}, n FROM cube_{kind} WHERE {where} AND {month_where}")
    if edges:
        edge_where = " OR ".join(
            _between("occurred_date", e, f"edge{i}", params) for i, e in enumerate(edges)
        )
        parts.append(f"SELECT {select}, n FROM cubeday_{kind} WHERE {where} AND ({edge_where})")
    return Source(" UNION ALL ".join(parts), params, "coalesce(sum(n), 0)::BIGINT")


def grouped_counts(city: CityData, filters: Filters) -> dict[str, Found]:
    """Every breakdown of one selection: {"value": [...], "n": int64 array} per dimension name (age as
    bands), plus '()' (the total) and 'units' (distinct complaints or incidents; empty for kinds
    without them). From the numpy cubes where they answer exactly, else one GROUPING SETS statement.
    """
    made = city.cubes.get(filters.kind) if city.cubes else None
    found = cube_answer.answer(made, filters) if made is not None else None
    return found if found is not None else sql_grouped_counts(city, filters)


def sql_grouped_counts(city: CityData, filters: Filters) -> dict[str, Found]:
    """grouped_counts by SQL over the rows (or DuckDB cubes): the exact scan every cube answer must equal."""
    kind = filters.kind
    names = [name for name, _ in dimensions(kind)]
    src = source(city, filters)
    sets = ", ".join(f"({n})" for n in names)
    sql = (
        f"SELECT grouping_id({', '.join(names)}) AS set_id, {', '.join(names)}, {src.count_sql} AS n "
        f"FROM ({src.sql}) AS src GROUP BY GROUPING SETS ({sets}, ())"
    )
    params = dict(src.params)
    if kind in UNIT_COLUMN:
        where, unit_params = filters.to_sql()
        params.update(unit_params)
        unit = UNIT_COLUMN[kind]
        sql += (
            f" UNION ALL BY NAME SELECT -1 AS set_id, count(DISTINCT {unit}) AS n FROM {kind} WHERE {where}"
        )
    df = city.query(sql, params)
    full = (1 << len(names)) - 1
    set_ids, counts = df["set_id"].to_numpy(), df["n"].to_numpy()
    # Slicing numpy arrays and building small frames is several times cheaper than boolean-indexing
    # the frame once per breakdown, and this runs on every page view.
    counts = counts.astype(np.int64)
    out: dict[str, Found] = {"()": {"n": counts[set_ids == full]}, "units": {"n": counts[set_ids == -1]}}
    for i, name in enumerate(names):
        rows = set_ids == full ^ (1 << (len(names) - 1 - i))
        values = [None if v is None or v != v else v for v in df[name].to_numpy()[rows]]
        out[name] = {"value": values, "n": counts[rows]}
    return out


def neighborhood_found(city: CityData, filters: Filters) -> Found:
    """Only the by-neighborhood counts of `filters` (the map's), from the cubes or one GROUP BY."""
    made = city.cubes.get(filters.kind) if city.cubes else None
    found = cube_answer.by_neighborhood(made, filters) if made is not None else None
    if found is not None:
        return found
    src = source(city, filters)
    df = city.query(
        f"SELECT neighborhood_id AS value, {src.count_sql} AS n FROM ({src.sql}) AS src GROUP BY neighborhood_id",
        src.params,
    )
    values = [None if v is None or v != v else v for v in df["value"]]
    return {"value": values, "n": df["n"].to_numpy(dtype=np.int64)}


def window_counts(
    city: CityData, filters: Filters, windows: list[tuple[date | None, date | None]]
) -> list[int]:
    """Records matching `filters` (dates aside) in each date window: from the numpy cubes where they
    answer exactly, else in one statement that reads each table once."""
    made = city.cubes.get(filters.kind) if city.cubes else None
    counted = cube_answer.window_totals(made, filters, windows) if made is not None else None
    return counted if counted is not None else sql_window_counts(city, filters, windows)


def sql_window_counts(
    city: CityData, filters: Filters, windows: list[tuple[date | None, date | None]]
) -> list[int]:
    """window_counts by SQL, in one statement that reads each table once."""
    kind, use_cube = filters.kind, filters.kind in city.cube_kinds
    where, params = filters.to_sql(include_dates=False)
    month_terms, day_terms, any_day = [], [], []
    for i, (low, high) in enumerate(windows):
        months, edges = split_window(low, high) if use_cube else (None, [(low, high)])
        if months is not None:
            month_where = _between("occurred_month", months, f"w{i}_month", params)
            month_terms.append(f"coalesce(sum(n) FILTER (WHERE {month_where}), 0)::BIGINT AS c{i}")
        else:
            month_terms.append(f"0::BIGINT AS c{i}")
        spans = " OR ".join(
            _between("occurred_date", e, f"w{i}_edge{j}", params) for j, e in enumerate(edges)
        )
        spans = spans or "FALSE"
        counted = (
            f"coalesce(sum(n) FILTER (WHERE {spans}), 0)::BIGINT"
            if use_cube
            else f"count(*) FILTER (WHERE {spans})"
        )
        day_terms.append(f"{counted} AS r{i}")
        any_day.append(f"({spans})")
    by_month = f"SELECT {', '.join(month_terms)}" + (f" FROM cube_{kind} WHERE {where}" if use_cube else "")
    by_day = f"SELECT {', '.join(day_terms)} FROM {f'cubeday_{kind}' if use_cube else kind} "
    by_day += f"WHERE {where} AND ({' OR '.join(any_day)})"
    if all(term == "(FALSE)" for term in any_day):
        by_day = f"SELECT {', '.join(f'0::BIGINT AS r{i}' for i in range(len(windows)))}"
    sums = ", ".join(f"c{i} + r{i} AS n{i}" for i in range(len(windows)))
    row = city.query(f"SELECT {sums} FROM ({by_month}) AS by_month, ({by_day}) AS by_day", params).iloc[0]
    return [int(row[f"n{i}"]) for i in range(len(windows))]


def _between(column: str, bounds: tuple[date | None, date | None], name: str, params: dict) -> str:
    clauses = []
    if bounds[0] is not None:
        params[f"{name}_from"] = bounds[0]
        clauses.append(f"{column} >= ${name}_from")
    if bounds[1] is not None:
        params[f"{name}_to"] = bounds[1]
        clauses.append(f"{column} <= ${name}_to")
    return " AND ".join(clauses) or "TRUE"
