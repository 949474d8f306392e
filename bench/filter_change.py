"""Filter change: every aggregate a kind page needs after a visitor changes the filters, two ways.

The project's way is the code path of ui/kind_page.py without Streamlit: `query.page_aggregates`
and `query.key_figures` for the filters, plus `page_aggregates` without the neighborhood filter for
the map, on a connection opened once (the app keeps it in `st.cache_resource`) and a fresh `Filters`
each time. The usual way is a pandas frame held by `st.cache_data`: every rerun unpickles its own
copy, then masks and groups it. Both must give the same counts, or the comparison is refused.
"""

from __future__ import annotations

import gc
import pickle
import statistics
import time
from dataclasses import dataclass, replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd

import query
from bench import peers
from query import Filters
from query.db import CityData
from query.filters import AGE_BAND_LIMITS, UNIT_COLUMN
from ui.settings import DISCLOSURE

DATE_COLUMNS = ("occurred_date", "occurred_month")
HALF_CATEGORIES = {
    "crime_incident": ("violent", "drug", "public order"),
    "use_of_force": ("Physical force", "Firearm"),
    "complaint": ("Force", "Discourtesy"),
}
AGE_EDGES = [low for _, low, _ in AGE_BAND_LIMITS] + [AGE_BAND_LIMITS[-1][2] + 1]
AGE_LABELS = [band for band, _, _ in AGE_BAND_LIMITS]


@dataclass(frozen=True)
class FilterSet:
    name: str
    date_from: date | None = None
    date_to: date | None = None
    neighborhood_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def filters(self, kind: str) -> Filters:
        return Filters.make(
            kind,
            self.date_from,
            self.date_to,
            neighborhood_ids=self.neighborhood_ids,
            categories=self.categories,
        )


def filter_sets(city: CityData, kind: str) -> list[FilterSet]:
    """A handful of realistic selections over the generated years (2019-2025)."""
    ids = sorted(city.neighborhood_names)
    first, last = query.latest_months(city.coverage[kind][1])
    half = HALF_CATEGORIES[kind]
    return [
        FilterSet("whole city, all years"),
        FilterSet("whole city, latest 12 months (an open link)", first, last),
        FilterSet("one neighborhood, two years", date(2023, 1, 1), date(2024, 12, 31), (ids[6],)),
        FilterSet(
            "five neighborhoods, half the categories, two years",
            date(2023, 1, 1),
            date(2024, 12, 31),
            tuple(ids[3:8]),
            half,
        ),
        FilterSet("three neighborhoods, odd dates", date(2022, 3, 17), date(2024, 8, 9), tuple(ids[10:13])),
    ]


@dataclass(frozen=True)
class SetTiming:
    name: str
    query_ms: list[float]
    baseline_ms: list[float]
    unpickle_ms: list[float]
    polars_ms: list[float]
    duckdb_ms: list[float]

    @property
    def no_unpickle_median(self) -> float:
        """The usual pattern without st.cache_data's copy, so a ratio does not rest on unpickling alone."""
        return statistics.median(b - u for b, u in zip(self.baseline_ms, self.unpickle_ms, strict=True))

    @property
    def best_peer_median(self) -> float:
        return min(statistics.median(self.polars_ms), statistics.median(self.duckdb_ms))

    @property
    def query_median(self) -> float:
        return statistics.median(self.query_ms)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_ms)

    @property
    def ratio(self) -> float:
        return self.baseline_median / self.query_median


@dataclass(frozen=True)
class FilterChangeResult:
    kind: str
    rows: int
    sets: list[SetTiming]
    frame_mb: float  # the pickled frame every rerun of the usual pattern copies

    @property
    def all_query_ms(self) -> list[float]:
        return [ms for s in self.sets for ms in s.query_ms]

    @property
    def all_baseline_ms(self) -> list[float]:
        return [ms for s in self.sets for ms in s.baseline_ms]


def page_view_queries(city: CityData, filters: Filters) -> tuple:
    """What ui/kind_page.render asks the query layer for, caching aside."""
    aggs = query.page_aggregates(city, filters, DISCLOSURE)
    figures = query.key_figures(city, filters, DISCLOSURE)
    whole = query.page_aggregates(city, replace(filters, neighborhood_ids=()), DISCLOSURE)
    return aggs, figures, whole


def measure(city: CityData, kind: str, repetitions: int) -> FilterChangeResult:
    """Median times per filter set, every way interleaved so none gets a warmer machine."""
    sets = filter_sets(city, kind)
    blob = pickle.dumps(baseline_frame(city, kind), protocol=pickle.HIGHEST_PROTOCOL)
    files, con = peers.paths(city, kind), duckdb.connect()
    ways = {
        "query": lambda c: page_view_queries(city, c.filters(kind)),
        "baseline": lambda c: baseline(blob, c, kind),
        "polars": lambda c: peers.polars_answers(files, c, kind),
        "duckdb": lambda c: peers.duckdb_answers(con, files, c, kind),
    }
    for chosen in sets:  # once untimed: warms every way and checks they all agree
        usual = ways["baseline"](chosen)
        check_same_counts(chosen, ways["query"](chosen), usual)
        peers.same_answers(f"{chosen.name}: Polars", ways["polars"](chosen), usual)
        peers.same_answers(f"{chosen.name}: DuckDB", ways["duckdb"](chosen), usual)
    times = {s.name: {w: [] for w in [*ways, "unpickle"]} for s in sets}
    for _ in range(repetitions):
        for chosen in sets:
            for way, run in ways.items():
                gc.collect()
                started = time.perf_counter()
                result = run(chosen)
                times[chosen.name][way].append((time.perf_counter() - started) * 1000)
                if way == "baseline":
                    times[chosen.name]["unpickle"].append(result["unpickle_ms"])
                del result
    con.close()
    timings = [
        SetTiming(s.name, *(times[s.name][w] for w in ("query", "baseline", "unpickle", "polars", "duckdb")))
        for s in sets
    ]
    rows = sum(s.manifest.row_count for s in city.snapshots[kind])
    return FilterChangeResult(kind, rows, timings, len(blob) / 1e6)


def baseline_frame(city: CityData, kind: str) -> pd.DataFrame:
    """The frame a usual dashboard loads once (read_parquet, dates parsed) and hands to st.cache_data.

    Only the columns the page's aggregates need, so the usual pattern is measured at its leanest.
    """
    paths = [str(s.file("data.parquet")) for s in city.snapshots[kind]]
    renames = {query.CATEGORY_COLUMN[kind]: "category"}
    if kind in query.PERSON_PREFIX:
        who = query.PERSON_PREFIX[kind]
        renames |= {
            UNIT_COLUMN[kind]: "unit",
            f"{who}_race": "race",
            f"{who}_sex": "sex",
            f"{who}_age": "age",
        }
    columns = [*DATE_COLUMNS, "neighborhood_id", *renames]
    frame = pd.concat([pd.read_parquet(p, columns=columns) for p in paths], ignore_index=True)
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    return frame.rename(columns=renames)


def baseline(blob: bytes, chosen: FilterSet, kind: str) -> dict:
    """The usual rerun: unpickle the cached frame, mask, group; the same numbers as page_view_queries."""
    started = time.perf_counter()
    df = pickle.loads(blob)
    unpickle_ms = (time.perf_counter() - started) * 1000
    keep = np.ones(len(df), dtype=bool)
    if chosen.categories:
        keep &= df["category"].fillna(query.NOT_RECORDED).isin(chosen.categories).to_numpy()
    in_view = keep & _in_window(df, chosen.date_from, chosen.date_to)
    rows = df[in_view & _in_hoods(df, chosen.neighborhood_ids)]
    out = {
        "unpickle_ms": unpickle_ms,
        "total": len(rows),
        "trend": rows.groupby("occurred_month").size(),
        "category": rows.groupby("category", dropna=False).size(),
        "neighborhood": rows.groupby("neighborhood_id", dropna=False).size(),
        "map": df[in_view].groupby("neighborhood_id").size(),
    }
    if "race" in df.columns:  # the demographics a person kind's page shows, and its distinct incidents
        out["units"] = rows["unit"].nunique()
        out["race"] = rows["race"].fillna(query.UNKNOWN).value_counts()
        out["sex"] = rows["sex"].fillna(query.UNKNOWN).value_counts()
        bands = pd.cut(rows["age"].astype("float64"), AGE_EDGES, right=False, labels=AGE_LABELS)
        out["age"] = {str(k): int(v) for k, v in bands.value_counts().items()}
        out["age"][query.UNKNOWN] = len(rows) - sum(out["age"].values())
    filters = chosen.filters(kind)
    for name, window in (("previous", filters.previous_period()), ("year_before", filters.year_before())):
        if window is not None:
            inside = keep & _in_hoods(df, chosen.neighborhood_ids)
            out[name] = int((inside & _in_window(df, window.date_from, window.date_to)).sum())
    return out


def _in_window(df: pd.DataFrame, low: date | None, high: date | None) -> np.ndarray:
    mask = np.ones(len(df), dtype=bool)
    if low is not None:
        mask &= (df["occurred_date"] >= pd.Timestamp(low)).to_numpy()
    if high is not None:
        mask &= (df["occurred_date"] <= pd.Timestamp(high)).to_numpy()
    return mask


def _in_hoods(df: pd.DataFrame, ids: tuple[str, ...]) -> np.ndarray:
    return df["neighborhood_id"].isin(ids).to_numpy() if ids else np.ones(len(df), dtype=bool)


def check_same_counts(chosen: FilterSet, mine: tuple, theirs: dict) -> None:
    """Refuse to compare two ways that do not compute the same numbers."""
    aggs, figures, whole = mine
    problems = []
    if aggs.totals.records != theirs["total"]:
        problems.append(f"total {aggs.totals.records} != {theirs['total']}")
    trend = {pd.Timestamp(m): c for m, c in zip(aggs.trend["month"], aggs.trend["count"]) if c}
    if trend != {k: int(v) for k, v in theirs["trend"].items()}:
        problems.append("monthly trend differs")
    categories = {c: n for c, n in zip(aggs.by_category["category"], aggs.by_category["count"]) if n}
    if categories != {str(k): int(v) for k, v in theirs["category"].items()}:
        problems.append("category counts differ")
    mapped = {i: n for i, n in zip(whole.by_neighborhood["neighborhood_id"], whole.by_neighborhood["count"])}
    if any(mapped.get(i) != int(n) for i, n in theirs["map"].items()):
        problems.append("map counts differ")
    if "units" in theirs:
        problems += _demographic_problems(aggs, theirs)
    for name in ("previous", "year_before"):
        shown = getattr(figures, f"{name}_count")
        if shown is not None and shown != theirs.get(name):
            problems.append(f"{name} count {shown} != {theirs.get(name)}")
    if problems:
        raise AssertionError(f"{chosen.name}: the query layer and pandas disagree: {'; '.join(problems)}")


def _demographic_problems(aggs, theirs: dict) -> list[str]:
    problems = [] if aggs.totals.units == theirs["units"] else ["distinct incidents differ"]
    for name, table in (("race", aggs.by_race), ("sex", aggs.by_sex), ("age", aggs.by_age_band)):
        shown = {g: n for g, n in zip(table["group"], table["count"]) if not pd.isna(n) and n}
        if any(int(theirs[name].get(g, 0)) != n for g, n in shown.items()):
            problems.append(f"{name} counts differ")
    return problems
