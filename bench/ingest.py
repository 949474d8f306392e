"""Ingest: rows per second from the local feed server into a published snapshot, and incremental bytes.

Each figure is one real `loaders.refresh.refresh` against the feed server in its own process: a plain
CSV file (csv platform), Socrata JSON pages, and Socrata CSV pages; then 1% of the Socrata rows are
edited and the refresh runs again, incrementally, so its bytes can be set beside the full pull's.
The paged feeds are pulled once untimed first, so the server answers from pages it already rendered.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import requests

from bench.feeds import FeedProcess, csv_bytes, raw_feed, touch_rows
from loaders.catalog import Catalog, load_catalog
from loaders.refresh import RefreshOptions, SourceOutcome, refresh
from tests.local_city import BOUNDARIES, CITY, POPULATION

PAGE_SIZE = 50_000  # Socrata's largest page
# The CSV file and its pandas peer take about a second each, where one busy moment on a shared
# machine moves a single reading by a third: each is the median of three.
REPEATS = 3
CHANGED_SHARE = 0.01

SOURCE = """
[[sources]]
id = "{sid}"
city = "testville"
kind = "crime_incident"
platform = "{platform}"
endpoint = "{endpoint}"
dataset_id = "{dataset}"
title = "Benchmark feed {sid} (synthetic)"
publisher = "Testville PD (synthetic)"
landing_page = "{base}/"
licence = "CC0"
date_field = "occurred"
page_size = {page_size}
{extra}
[sources.fields]
record_id = "id"
offense_raw = "category"
reported_at = "reported"
district = "district"
[sources.geography]
method = "point"
lat = "lat"
lon = "lon"
"""


@dataclass(frozen=True)
class IngestRun:
    name: str
    outcome: SourceOutcome
    seconds: float  # wall time of the whole refresh call (reference data and publish included)

    @property
    def rows_per_s(self) -> float:
        return self.outcome.pulled / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class IngestResult:
    csv_file: IngestRun
    json_pages: IngestRun
    csv_pages_full: IngestRun
    incremental: IngestRun
    changed_rows: int
    pandas_rows_per_s: float  # pd.read_csv + DataFrame.to_parquet of the same CSV file, in this run

    @property
    def incremental_share(self) -> float:
        return self.incremental.outcome.bytes_received / self.csv_pages_full.outcome.bytes_received


def measure(work: Path, rows: int, seed: int) -> IngestResult:
    """All ingest figures; `work` is emptied first and holds the server's files and the snapshots."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    table = raw_feed(rows, seed)
    pandas_rate = _pandas_csv_to_parquet(work, csv_bytes(table), rows)
    with FeedProcess(work / "served") as server:
        server.add_file("boundaries.geojson", json.dumps(BOUNDARIES).encode(), "application/geo+json")
        server.add_file("population.csv", POPULATION)
        server.add_file("feed.csv", csv_bytes(table))
        server.add_dataset("feed", table)
        base = server.base_url
        # A portal has its rows ready to serve; let the test server build its row text before the clock runs.
        requests.get(f"{base}/resource/feed.json", params={"$select": ":*, *", "$limit": 1}, timeout=120)
        catalog = _catalog(
            work,
            base,
            _source("csv_file", "csv", f"{base}/files/feed.csv", "feed.csv", base),
            _source("json_pages", "socrata", base, "feed", base, 'options = { format = "json" }'),
            _source("csv_pages", "socrata", base, "feed", base),
        )
        options = RefreshOptions(cache_root=work / "cache")
        # A warm-up pull of each paged feed lets the server keep its rendered pages (bench/feeds.py),
        # so the timed pulls measure the loader rather than the test server's JSON rendering.
        warm_up = RefreshOptions(cache_root=work / "warm-up")
        for source_id in ("json_pages", "csv_pages"):
            _run(catalog, warm_up, source_id)
        shutil.rmtree(work / "warm-up")
        csv_file = _median_run(catalog, work, "csv_file")
        json_pages = _run(catalog, options, "json_pages")
        full = _run(catalog, options, "csv_pages")
        edited, changed = touch_rows(table, CHANGED_SHARE, seed)
        server.add_dataset("feed", edited)
        incremental = _run(catalog, options, "csv_pages")
    _check_incremental(incremental, changed, rows)
    return IngestResult(csv_file, json_pages, full, incremental, changed, pandas_rate)


def _pandas_csv_to_parquet(work: Path, body: bytes, rows: int) -> float:
    """The peer for ingest: what a user would write by hand (no recodes, no neighborhoods, no checks)."""
    source = work / "pandas-feed.csv"
    source.write_bytes(body)
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        pd.read_csv(source).to_parquet(work / "pandas-feed.parquet")
        seconds.append(time.perf_counter() - started)
    return rows / statistics.median(seconds)


def _median_run(catalog: Catalog, work: Path, source_id: str) -> IngestRun:
    """The median of REPEATS first pulls, each into an empty store (a second pull would compare)."""
    runs = []
    for i in range(REPEATS):
        runs.append(_run(catalog, RefreshOptions(cache_root=work / f"repeat-{i}"), source_id))
        shutil.rmtree(work / f"repeat-{i}")
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def _run(catalog: Catalog, options: RefreshOptions, source_id: str) -> IngestRun:
    started = time.perf_counter()
    (outcome,) = refresh(catalog, options, source_ids=[source_id])
    seconds = time.perf_counter() - started
    if outcome.status != "ok":
        raise RuntimeError(f"the refresh of {source_id} failed: {outcome.message}")
    return IngestRun(source_id, outcome, seconds)


def _check_incremental(run: IngestRun, changed: int, rows: int) -> None:
    outcome = run.outcome
    if outcome.mode != "incremental" or outcome.pulled != changed or outcome.rows != rows:
        raise RuntimeError(
            f"the second refresh was not the incremental pull expected: mode {outcome.mode}, "
            f"pulled {outcome.pulled:,} of {changed:,} changed rows, {outcome.rows:,} rows published"
        )


def _source(sid: str, platform: str, endpoint: str, dataset: str, base: str, extra: str = "") -> str:
    return SOURCE.format(
        sid=sid,
        platform=platform,
        endpoint=endpoint,
        dataset=dataset,
        base=base,
        page_size=PAGE_SIZE,
        extra=extra,
    )


def _catalog(work: Path, base: str, *entries: str) -> Catalog:
    path = work / "sources.toml"
    path.write_text(CITY.format(base=base) + "".join(entries))
    return load_catalog(path)
