"""The peers a user would pick instead of our query layer: a Polars lazy scan and plain DuckDB, both
straight over the same Parquet snapshot files, computing the same numbers as `filter_change.baseline`
(total, month trend, categories, neighborhoods, whole-city map, previous period, year before, and for
person kinds distinct incidents and race, sex and age bands). Their answers are checked against the
usual pandas pattern, which is checked against the query layer, so all four agree or nothing is timed.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb
import polars as pl

import query
from query.db import CityData
from query.filters import AGE_BAND_LIMITS, UNIT_COLUMN

if TYPE_CHECKING:  # filter_change imports this module
    from bench.filter_change import FilterSet


def columns(kind: str) -> dict[str, str]:
    """Canonical column -> the short name the computations use."""
    out = {query.CATEGORY_COLUMN[kind]: "category"}
    if kind in query.PERSON_PREFIX:
        who = query.PERSON_PREFIX[kind]
        out |= {UNIT_COLUMN[kind]: "unit", f"{who}_race": "race", f"{who}_sex": "sex", f"{who}_age": "age"}
    return out


def paths(city: CityData, kind: str) -> list[str]:
    return [str(s.file("data.parquet")) for s in city.snapshots[kind]]


def _windows(chosen: FilterSet, kind: str) -> dict[str, tuple[date | None, date | None]]:
    filters = chosen.filters(kind)
    out = {}
    for name, window in (("previous", filters.previous_period()), ("year_before", filters.year_before())):
        if window is not None:
            out[name] = (window.date_from, window.date_to)
    return out


# --- Polars: one lazy scan per question, collected together so Polars shares the scan ---


def _pl_window(low: date | None, high: date | None) -> pl.Expr:
    expr = pl.lit(True)
    if low is not None:
        expr &= pl.col("occurred_date") >= low
    if high is not None:
        expr &= pl.col("occurred_date") <= high
    return expr


def polars_answers(files: list[str], chosen: FilterSet, kind: str) -> dict:
    names = columns(kind)
    scan = pl.scan_parquet(files).select(["occurred_date", "occurred_month", "neighborhood_id", *names])
    scan = scan.rename(names).with_columns(pl.col("category").fill_null(query.NOT_RECORDED))
    keep = pl.col("category").is_in(list(chosen.categories)) if chosen.categories else pl.lit(True)
    hoods = (
        pl.col("neighborhood_id").is_in(list(chosen.neighborhood_ids))
        if chosen.neighborhood_ids
        else pl.lit(True)
    )
    in_view = scan.filter(keep & _pl_window(chosen.date_from, chosen.date_to))
    rows = in_view.filter(hoods)
    frames = [
        rows.select(pl.len().alias("n")),
        rows.group_by("occurred_month").len(),
        rows.group_by("category").len(),
        rows.group_by("neighborhood_id").len(),
        in_view.group_by("neighborhood_id").len(),
    ]
    windows = _windows(chosen, kind)
    frames += [scan.filter(keep & hoods & _pl_window(*w)).select(pl.len()) for w in windows.values()]
    if "unit" in names.values():
        frames += [
            rows.select(pl.col("unit").n_unique()),
            rows.group_by(pl.col("race").fill_null(query.UNKNOWN)).len(),
            rows.group_by(pl.col("sex").fill_null(query.UNKNOWN)).len(),
            rows.group_by(_pl_age_band()).len(),
        ]
    got = pl.collect_all(frames)
    out = {"total": got[0].item(), "trend": _pairs(got[1]), "category": _pairs(got[2])}
    out |= {"neighborhood": _pairs(got[3]), "map": _pairs(got[4])}
    for i, name in enumerate(windows):
        out[name] = got[5 + i].item()
    if "unit" in names.values():
        rest = got[5 + len(windows) :]
        out |= {
            "units": rest[0].item(),
            "race": _pairs(rest[1]),
            "sex": _pairs(rest[2]),
            "age": _pairs(rest[3]),
        }
    return out


def _pl_age_band() -> pl.Expr:
    expr = pl.lit(query.UNKNOWN)
    for band, low, high in reversed(AGE_BAND_LIMITS):
        expr = pl.when((pl.col("age") >= low) & (pl.col("age") <= high)).then(pl.lit(band)).otherwise(expr)
    return expr.alias("band")


def _pairs(frame: pl.DataFrame) -> dict:
    keys, counts = frame.columns
    return dict(zip(frame[keys].to_list(), frame[counts].to_list(), strict=True))


# --- DuckDB: plain SQL over read_parquet, one statement per question, on one connection ---


def duckdb_answers(con: duckdb.DuckDBPyConnection, files: list[str], chosen: FilterSet, kind: str) -> dict:
    names = columns(kind)
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    picked = ", ".join(f"{src} AS {dst}" for src, dst in names.items())
    source = (
        f"(SELECT occurred_date, occurred_month, neighborhood_id, {picked} FROM read_parquet([{listing}]))"
    )
    keep = _sql_in("coalesce(category, ?)", chosen.categories)
    hoods = _sql_in("neighborhood_id", chosen.neighborhood_ids)
    view_where, view_params = _sql_and([keep, _sql_window(chosen.date_from, chosen.date_to)])
    where, params = _sql_and([keep, hoods, _sql_window(chosen.date_from, chosen.date_to)])

    def ask(sql: str, p: list) -> list[tuple]:
        cur = con.cursor()
        try:
            return cur.execute(sql, p).fetchall()
        finally:
            cur.close()

    out = {"total": ask(f"SELECT count(*) FROM {source} WHERE {where}", params)[0][0]}
    for name, column in (
        ("trend", "occurred_month"),
        ("category", "category"),
        ("neighborhood", "neighborhood_id"),
    ):
        out[name] = dict(ask(f"SELECT {column}, count(*) FROM {source} WHERE {where} GROUP BY 1", params))
    out["map"] = dict(
        ask(f"SELECT neighborhood_id, count(*) FROM {source} WHERE {view_where} GROUP BY 1", view_params)
    )
    for name, window in _windows(chosen, kind).items():
        w_where, w_params = _sql_and([keep, hoods, _sql_window(*window)])
        out[name] = ask(f"SELECT count(*) FROM {source} WHERE {w_where}", w_params)[0][0]
    if "unit" in names.values():
        out["units"] = ask(f"SELECT count(DISTINCT unit) FROM {source} WHERE {where}", params)[0][0]
        for name in ("race", "sex"):
            sql = f"SELECT coalesce({name}, ?), count(*) FROM {source} WHERE {where} GROUP BY 1"
            out[name] = dict(ask(sql, [query.UNKNOWN, *params]))
        out["age"] = dict(
            ask(f"SELECT {_sql_band()}, count(*) FROM {source} WHERE {where} GROUP BY 1", params)
        )
    return out


def _sql_in(column: str, values: tuple[str, ...]) -> tuple[str, list]:
    if not values:
        return "", []
    lead = [query.NOT_RECORDED] if "?" in column else []
    return f"{column} IN ({', '.join('?' * len(values))})", [*lead, *values]


def _sql_window(low: date | None, high: date | None) -> tuple[str, list]:
    parts, params = [], []
    if low is not None:
        parts.append("occurred_date >= ?")
        params.append(low)
    if high is not None:
        parts.append("occurred_date <= ?")
        params.append(high)
    return " AND ".join(parts), params


def _sql_and(clauses: list[tuple[str, list]]) -> tuple[str, list]:
    used = [(c, p) for c, p in clauses if c]
    if not used:
        return "true", []
    return " AND ".join(f"({c})" for c, _ in used), [x for _, p in used for x in p]


def _sql_band() -> str:
    whens = " ".join(
        f"WHEN age BETWEEN {low} AND {high} THEN '{band}'" for band, low, high in AGE_BAND_LIMITS
    )
    return f"CASE {whens} ELSE '{query.UNKNOWN}' END"


def same_answers(name: str, peer: dict, usual: dict) -> None:
    """Refuse to time a peer that does not compute what the usual pattern (and the query layer) computed."""
    problems = []
    for key in ("total", "previous", "year_before", "units"):
        if key in usual and int(peer.get(key, -1)) != int(usual[key]):
            problems.append(f"{key} {peer.get(key)} != {usual[key]}")
    for key in ("trend", "category", "neighborhood", "map", "race", "sex", "age"):
        if key not in usual:
            continue
        theirs = {_key(k): int(v) for k, v in dict(usual[key]).items() if int(v)}
        mine = {_key(k): int(v) for k, v in peer[key].items() if int(v)}
        if key == "map":  # a map has no polygon for records without a neighborhood
            mine.pop("None", None)
        if mine != theirs:
            problems.append(f"{key} counts differ")
    if problems:
        raise AssertionError(f"{name} disagrees with the usual pattern: {'; '.join(problems)}")


def _key(value) -> str:
    """Months arrive as dates, Timestamps or datetimes depending on the library; compare them as days."""
    if value is None or value != value:  # None, NaN and NaT: a missing key, however spelled
        return "None"
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    return str(value)
