"""`python -m bench`: the performance benchmark (README, "Benchmark"). One command, one table.

For each data size (1M and 10M rows by default) it generates seeded snapshots (cached in --out),
then measures a filter change through the query layer beside the usual pandas + st.cache_data
pattern, the real app's cold start, server CPU per page view and peak memory under 20 sessions;
then ingest from the local feed server. It prints a table of figures, targets and whether each was
met, writes it to <out>/results.md, and exits 1 when a target was missed (2 when it could not run).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

import query
from bench import app, filter_change, ingest
from bench.generate import CITY_ID, BenchData, ensure_bench_data
from bench.report import Figure, at_least, at_most, context, filter_set_table, rows_label, table, write
from store.cityindex import reference_dataset_id
from store.snapshots import current

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROWS = (1_000_000, 10_000_000)
PARTS = ("filter", "app", "ingest")
KIND = "crime_incident"  # the page the targets are about
EXTRA_KINDS_UP_TO_ROWS = 1_000_000  # the use-of-force and complaints pages are measured up to here
PAGE_WORDS = {
    "crime_incident": "crime page",
    "use_of_force": "use-of-force page",
    "complaint": "complaints page",
}
# Targets from the issues. Filter changes are judged by ratios measured in the same run: the machines
# differ too much for absolute figures (they are reported, not judged).
SPEEDUP = 15.0  # over the usual pandas + st.cache_data pattern
PEER_SPEEDUP = 3.0  # over the best of a Polars lazy scan and plain DuckDB on the same Parquet
JUDGED_AT_ROWS = {
    "crime_incident": (1_000_000, 10_000_000),
    "use_of_force": (1_000_000,),
    "complaint": (1_000_000,),
}
# The app against a bare Streamlit page (bench/bare_page.py) started and viewed the same way, same run.
COLD_VS_BARE = 3.0
COLD_STARTS = 3  # each side's cold start is the median of this many fresh servers
CPU_VS_BARE = 10.0
PEAK_MB = 700.0  # memory does not scale with a machine's speed, so this one stays absolute
# Ingest against pandas read_csv + to_parquet of the same file in the same run. The loaders do more
# (HTTP, recodes, dates in the city's zone, neighborhoods, checks, sha256, publish). The first targets
# were absolute, 1.0M rows/s for CSV and 0.3M for JSON, set on a machine that ran the loader of then
# (commit 6dccf72) 2.3x faster than the 2-core machines here, where pandas does 1.0M rows/s: in
# pandas terms about 0.43x and 0.13x. The ratios keep those targets, rounded up.
CSV_VS_PANDAS = 0.5
JSON_VS_PANDAS = 0.15  # JSON is 1.6 times the bytes of CSV, and each row an object to parse
INCREMENTAL_SHARE_PCT = 5.0


@dataclass(frozen=True)
class Settings:
    rows: tuple[int, ...]
    out: Path
    seed: int
    parts: frozenset[str]
    repetitions: int
    sessions: int
    changes_per_session: int
    cpu_views: int
    ingest_rows: int
    is_quick: bool
    app_options: dict[str, str]


def main(argv: list[str] | None = None) -> int:
    settings = _settings(_parser().parse_args(argv))
    print(
        f"bench: rows {', '.join(rows_label(r) for r in settings.rows)}; parts {', '.join(sorted(settings.parts))}"
    )
    print(
        f"bench: load average before the run {os.getloadavg()[0]:.2f} (figures are only fair on an idle machine)"
    )
    figures: list[Figure] = [_demo_generation()]
    sections: list[str] = []
    for rows in settings.rows:
        data = _data(settings, rows, figures)
        if "filter" in settings.parts:
            _filter_change(data, settings, figures, sections)
        if "app" in settings.parts:
            _app(data, settings, figures)
    if "ingest" in settings.parts:
        _ingest(settings, figures)
    text = _render(settings, figures, sections)
    print(text)
    write(settings.out / "results.md", text + "\n")
    missed = [f.name for f in figures if f.is_met is False]
    if missed and not settings.is_quick:
        print(f"bench: {len(missed)} target(s) missed: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def _demo_generation() -> Figure:
    """Demo City's feeds (three of events, one survey) and reference files for a fresh seed."""
    from loaders import demo_city

    started = time.perf_counter()
    for kind in demo_city.FEEDS:
        demo_city.raw_feed(kind, 777)
    demo_city.boundaries_geojson(777)
    demo_city.population_csv(777)
    return context(
        "Demo City generation",
        "-",
        time.perf_counter() - started,
        "s",
        f"{len(demo_city.FEEDS)} feeds + reference, seed 777",
    )


def _data(settings: Settings, rows: int, figures: list[Figure]) -> BenchData:
    print(f"bench: {rows_label(rows)} rows: generating or reusing snapshots ...", flush=True)
    kinds = (KIND, "use_of_force", "complaint") if rows <= EXTRA_KINDS_UP_TO_ROWS else (KIND,)
    data = ensure_bench_data(settings.out, rows, settings.seed, kinds)
    note = "reused from an earlier run" if data.generate_s is None else "generated now"
    seconds = data.generate_s if data.generate_s is not None else 0.0
    figures.append(context("Snapshot generation", rows_label(rows), seconds, "s", note))
    return data


def _filter_change(data: BenchData, settings: Settings, figures: list[Figure], sections: list[str]) -> None:
    label = rows_label(data.rows)
    print(
        f"bench: {label} rows: filter change, {settings.repetitions} repetitions per filter set ...",
        flush=True,
    )
    city = query.open_city(data.cache_root, CITY_ID)
    try:
        for kind in data.kinds:  # once per snapshot, on the kind's first view; reported, not judged
            started = time.perf_counter()
            city.cubes.get(kind)
            page = "" if kind == KIND else f", {PAGE_WORDS[kind]}"
            seconds = time.perf_counter() - started
            figures.append(
                context(f"Count cubes built{page}", label, seconds, "s", "first view of a snapshot")
            )
        results = [filter_change.measure(city, kind, settings.repetitions) for kind in data.kinds]
    finally:
        city.con.close()
        del city
        gc.collect()
    for result in results:
        figures += _filter_figures(result, label, is_judged=data.rows in JUDGED_AT_ROWS.get(result.kind, ()))
        title = PAGE_WORDS[result.kind]
        sections.append(f"### Filter change on the {title} at {label} rows\n\n{filter_set_table(result)}")


def _filter_figures(result, label: str, is_judged: bool) -> list[Figure]:
    """Absolute medians for context; the ratios against the usual pattern and the best peer are judged."""
    sets = result.sets
    mine, theirs = _median(result.all_query_ms), _median(result.all_baseline_ms)
    lean = _median([b - u for s in sets for b, u in zip(s.baseline_ms, s.unpickle_ms, strict=True)])
    polars = _median([ms for s in sets for ms in s.polars_ms])
    duck = _median([ms for s in sets for ms in s.duckdb_ms])
    page = "" if result.kind == KIND else f", {PAGE_WORDS[result.kind]}"
    name = f"Filter change{page}, median"
    slowest = max(s.query_median for s in sets)
    judged = "" if is_judged else "; judged for every kind page at 1M and the crime page at 10M"
    low_usual = min(s.ratio for s in sets)
    low_peer = min(s.best_peer_median / s.query_median for s in sets)
    ratio = at_least if is_judged else (lambda n, r, v, u, _limit, note: context(n, r, v, u, note))
    return [
        context(f"{name} (query layer)", label, mine, "ms", f"slowest filter set {slowest:.1f} ms"),
        context(f"{name} (usual pandas pattern)", label, theirs, "ms", f"frame {result.frame_mb:.0f} MB"),
        context(f"{name} (usual pattern without unpickle)", label, lean, "ms", "masks + groupby only"),
        context(f"{name} (Polars lazy scan)", label, polars, "ms", "scan_parquet + collect_all"),
        context(f"{name} (plain DuckDB)", label, duck, "ms", "read_parquet, one statement per number"),
        ratio(
            f"Filter change{page}, speed-up over usual pattern",
            label,
            theirs / mine,
            "x",
            SPEEDUP,
            f"lowest filter set {low_usual:.1f}x{judged}",
        ),
        context(
            f"Filter change{page}, speed-up over usual pattern without unpickle",
            label,
            lean / mine,
            "x",
            "the ratio without st.cache_data's copy",
        ),
        ratio(
            f"Filter change{page}, speed-up over best peer",
            label,
            min(polars, duck) / mine,
            "x",
            PEER_SPEEDUP,
            f"lowest filter set {low_peer:.2f}x{judged}",
        ),
    ]


def _app(data: BenchData, settings: Settings, figures: list[Figure]) -> None:
    label = rows_label(data.rows)
    names = _neighborhood_names(data)
    first = app.View(f"city={CITY_ID}", _latest_year_words(names))
    each = settings.changes_per_session
    views = app.distinct_views(names, settings.cpu_views + settings.sessions * each, settings.seed)
    plans = [views[settings.cpu_views + i * each :][:each] for i in range(settings.sessions)]
    log = settings.out / f"app-{label}.log"
    print(f"bench: {label} rows: starting the app (log in {log}) ...", flush=True)
    with app.running_server(data.cache_root, log, settings.app_options) as server:
        started = _median_start(
            [app.cold_start(server, first)] + _more_starts(data.cache_root, log, settings, first)
        )
        print(f"bench: {label} rows: {settings.cpu_views} page views, one after another ...", flush=True)
        cpu = app.cpu_per_view(server, views[: settings.cpu_views])
        cached = app.cpu_per_view(server, [first] * settings.cpu_views)
        print(f"bench: {label} rows: {settings.sessions} sessions changing filters at once ...", flush=True)
        load = app.concurrent_sessions(server, plans)
    bare = _bare_page(settings, views[: settings.cpu_views], label)
    health = f"health ok after {started.healthy_s:.2f} s; bare page {bare[0].first_page_s:.2f} s"
    busy = f"{load.views} filter changes in {load.seconds:.1f} s, median {load.median_latency_ms:.0f} ms"
    fresh = (
        f"{cpu.views} views, each with new filters; median latency {cpu.wall_ms:.0f} ms; "
        f"bare page {bare[1].cpu_ms:.1f} ms, {cpu.cpu_ms / bare[1].cpu_ms:.1f}x"
    )
    again = f"{cached.views} views of one cached link; median latency {cached.wall_ms:.0f} ms"
    figures += [
        at_most(
            "Cold start to first page",
            label,
            started.first_page_s,
            "s",
            COLD_VS_BARE * bare[0].first_page_s,
            health,
            target_text=f"≤ {COLD_VS_BARE:g}x a bare page",
        ),
        at_most(
            f"Peak server memory, {load.sessions} sessions", label, load.peak_rss_mb, "MB", PEAK_MB, busy
        ),
        at_most(
            "Server CPU per page view",
            label,
            cpu.cpu_ms,
            "ms",
            CPU_VS_BARE * bare[1].cpu_ms,
            fresh,
            target_text=f"≤ {CPU_VS_BARE:g}x a bare page",
        ),
        context("Server CPU per page view, repeated link", label, cached.cpu_ms, "ms", again),
    ]


def _more_starts(
    cache_root,
    log: Path,
    settings: Settings,
    view: app.View,
    script: str = "dashboard.py",
    page: str = app.PAGE,
) -> list[app.ColdStart]:
    """COLD_STARTS - 1 more starts of a fresh server: one start is a single reading, which one busy
    moment on a shared machine moves by a third."""
    starts = []
    for _ in range(COLD_STARTS - 1):
        with app.running_server(
            cache_root, log.with_suffix(".start.log"), settings.app_options, script=script
        ) as s:
            starts.append(app.cold_start(s, view, page=page))
    return starts


def _median_start(starts: list[app.ColdStart]) -> app.ColdStart:
    return sorted(starts, key=lambda s: s.first_page_s)[len(starts) // 2]


def _bare_page(settings: Settings, views: list[app.View], label: str) -> tuple[app.ColdStart, app.CpuPerView]:
    """The same start and the same links on a bare Streamlit page: what Streamlit itself costs here."""
    log = settings.out / f"app-bare-{label}.log"
    bare = [app.View(v.query_string, "Bare page") for v in views]
    with app.running_server(settings.out, log, settings.app_options, script="bench/bare_page.py") as server:
        started = app.cold_start(server, bare[0], page="")
        more = _more_starts(settings.out, log, settings, bare[0], script="bench/bare_page.py", page="")
        started = _median_start([started, *more])
        return started, app.cpu_per_view(server, bare, page="")


def _ingest(settings: Settings, figures: list[Figure]) -> None:
    label = rows_label(settings.ingest_rows)
    print(f"bench: ingest of {label} rows from the local feed server ...", flush=True)
    result = ingest.measure(settings.out / "ingest", settings.ingest_rows, settings.seed)
    csv_file, json_pages, full = result.csv_file, result.json_pages, result.csv_pages_full
    bytes_note = (
        f"{result.changed_rows:,} rows changed: {result.incremental.outcome.bytes_received / 1e6:.1f} MB "
        f"vs {full.outcome.bytes_received / 1e6:.1f} MB"
    )
    json_note = f"Socrata JSON, {json_pages.outcome.pages} pages, {json_pages.seconds:.2f} s"
    pandas = result.pandas_rows_per_s
    figures += [
        context("Ingest, pandas read_csv + to_parquet", label, pandas, "rows/s", "the same CSV file, local"),
        at_least(
            "Ingest, CSV file",
            label,
            csv_file.rows_per_s,
            "rows/s",
            CSV_VS_PANDAS * pandas,
            f"{csv_file.seconds:.2f} s; {csv_file.rows_per_s / pandas:.2f}x pandas",
            target_text=f"≥ {CSV_VS_PANDAS:g}x pandas",
        ),
        at_least(
            "Ingest, JSON pages",
            label,
            json_pages.rows_per_s,
            "rows/s",
            JSON_VS_PANDAS * pandas,
            f"{json_note}; {json_pages.rows_per_s / pandas:.2f}x pandas CSV",
            target_text=f"≥ {JSON_VS_PANDAS:g}x pandas CSV",
        ),
        context("Ingest, Socrata CSV pages", label, full.rows_per_s, "rows/s", f"{full.seconds:.2f} s"),
        at_most(
            "Incremental refresh bytes vs full pull",
            label,
            result.incremental_share * 100,
            "%",
            INCREMENTAL_SHARE_PCT,
            bytes_note,
        ),
    ]


def _render(settings: Settings, figures: list[Figure], sections: list[str]) -> str:
    lines = ["## Benchmark results", ""]
    lines.append(
        f"Run {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, seed {settings.seed}"
        + (" (quick run: a smoke test, targets not judged)" if settings.is_quick else "")
        + "."
    )
    if settings.app_options:
        shown = ", ".join(f"{k}={v}" for k, v in settings.app_options.items())
        lines.append(
            f"The app ran with extra Streamlit options: {shown} (not the repository's configuration)."
        )
    lines += ["", table(figures), ""]
    lines += [section + "\n" for section in sections]
    return "\n".join(lines).rstrip()


def _neighborhood_names(data: BenchData) -> dict[str, str]:
    snap = current(data.cache_root, reference_dataset_id(CITY_ID))
    frame = pq.read_table(snap.file("neighborhoods.parquet")).to_pandas()
    return dict(zip(frame["neighborhood_id"], frame["neighborhood_name"], strict=True))


def _latest_year_words(names: dict[str, str]) -> str:
    """The headline an open link shows: the latest 12 months of data (the generated data ends with 2025)."""
    first, last = query.latest_months(app.LAST_DAY)
    return query.Filters.make(KIND, first, last).describe(names)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, action="append", help="rows to generate (repeatable; default 1M and 10M)"
    )
    parser.add_argument("--skip-10m", action="store_true", help="leave out the 10M-row size")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="data cache and results")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only these parts (repeatable)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--repetitions", type=int, default=7, help="timed filter changes per filter set")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions in the memory run")
    parser.add_argument("--ingest-rows", type=int, default=1_000_000, help="rows served to the loaders")
    parser.add_argument(
        "--app-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Streamlit option for the app runs, e.g. runner.postScriptGC=false (repeatable)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run for the smoke test (targets not judged)"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    rows = tuple(args.rows or DEFAULT_ROWS)
    if args.skip_10m:
        rows = tuple(r for r in rows if r != 10_000_000)
    if args.quick:
        rows = tuple(args.rows or (20_000,))
    return Settings(
        rows=rows,
        out=args.out,
        seed=args.seed,
        parts=frozenset(args.only or PARTS),
        repetitions=3 if args.quick else max(args.repetitions, 7),
        sessions=2 if args.quick else args.sessions,
        changes_per_session=2 if args.quick else 5,
        cpu_views=4 if args.quick else 30,
        ingest_rows=20_000 if args.quick else args.ingest_rows,
        is_quick=args.quick,
        app_options=dict(option.split("=", 1) for option in args.app_option),
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a benchmark that could not run is not a benchmark that missed
        traceback.print_exc()
        sys.exit(2)
