"""How the rows behind a set of filters are read: a kind's cubes where it has them, else its rows.

A cube kind is read from `cube_<kind>` (counts per month) for whole months and from `cubeday_<kind>`
(counts per day) for the partial months at either end of a window.

Every statement here is built from the allowlisted column names of query.filters and the kind names
of store.schema; selected values stay in the parameter dict.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from query.db import CityData
from query.filters import CATEGORY_COLUMN, FINDING_KINDS, UNIT_COLUMN, Filters, person_columns


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
        dims += [("race", person["race"]), ("sex", person["sex"]), ("age", person["age"])]
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


def grouped_counts(city: CityData, filters: Filters) -> dict[str, pd.DataFrame]:
    """The one filtered pass: every breakdown from a single GROUPING SETS statement (distinct units too).

    Returns a frame (value, n) per dimension name, plus '()' (the total) and 'units' (distinct
    complaints or incidents; empty for kinds without them).
    """
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
    out = {
        "()": pd.DataFrame({"n": counts[set_ids == full]}),
        "units": pd.DataFrame({"n": counts[set_ids == -1]}),
    }
    for i, name in enumerate(names):
        rows = set_ids == full ^ (1 << (len(names) - 1 - i))
        out[name] = pd.DataFrame({"value": df[name].to_numpy()[rows], "n": counts[rows]})
    return out


def window_counts(
    city: CityData, filters: Filters, windows: list[tuple[date | None, date | None]]
) -> list[int]:
    """Records matching `filters` (dates aside) in each date window, in one statement that reads each table once."""
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


def split_window(
    date_from: date | None, date_to: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date, date]]]:
    """(first and last whole month, as first days; None if there is none) and the partial-month date spans."""
    full_start = date_from if date_from is None or date_from.day == 1 else _next_month(date_from)
    full_end = (
        date_to if date_to is None or _is_month_end(date_to) else date_to.replace(day=1) - timedelta(days=1)
    )
    if full_start is not None and full_end is not None and full_start > full_end:
        return None, [(date_from, date_to)]  # type: ignore[list-item]  # both set when both ends are
    edges = []
    if date_from is not None and full_start is not None and date_from < full_start:
        edges.append((date_from, full_start - timedelta(days=1)))
    if date_to is not None and full_end is not None and date_to > full_end:
        edges.append((full_end + timedelta(days=1), date_to))
    months = (
        full_start.replace(day=1) if full_start else None,
        full_end.replace(day=1) if full_end else None,
    )
    return months, edges


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]
