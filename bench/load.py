"""Bounded load test: 50 sessions change filters for 60 s on Demo City, on 127.0.0.1 only.

    .venv/bin/python -m bench.load [--sessions 50] [--seconds 60] [--max-rss-mb 1500]

Starts `streamlit run dashboard.py` against a freshly built Demo City, opens the sessions at once
through bench.wsclient (the browser's websocket protocol) and has each follow links with new
filters (dates, neighborhoods, categories, and race or sex on the person pages) until time is up.
Counts errors (an exception on the page, or a page without the headline it was asked for), any
connection the server opens to an address other than loopback (there must be none: visitors never
cause a call to a data portal), and samples the server's memory. Prints p50/p95 latency and views
per second, with the load average, since other work on the same cores changes every figure.
Exits 1 on any error, upstream connection or memory above the bound; these are benchmark figures,
not timed tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psutil

from bench import wsclient
from bench.app import running_server, wait_healthy
from loaders.bootstrap import ensure_demo
from query.gate import Filters, open_city
from store.schema import SCHEMAS

# The pages of counted kinds, whose filters a visitor changes (a page of scores has no categories).
PAGES = {s.page_path: k for k, s in SCHEMAS.items() if not s.is_score}
CATEGORY_KEY = {k: s.category_param for k, s in SCHEMAS.items()}
LOOPBACK = ("127.", "::1", "::ffff:127.")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    upstream: set[str] = field(default_factory=set)
    peak_rss_mb: float = 0.0
    rss_at_half_mb: float = 0.0


def categories(city) -> dict[str, list[str]]:
    """The categories each kind's data holds (the values a visitor can pick)."""
    out = {}
    for kind in PAGES.values():
        column = _category(kind)
        found = city.query(f"SELECT DISTINCT {column} AS v FROM {kind} WHERE {column} IS NOT NULL ORDER BY v")
        out[kind] = [str(v) for v in found["v"]]
    return out


def random_view(rng: np.random.Generator, city, options: dict, last_day: date) -> tuple[str, str, str]:
    """(page, query string, headline words the page must show) for one random filter change."""
    page = str(rng.choice(list(PAGES)))
    kind = PAGES[page]
    start = last_day - timedelta(days=int(rng.integers(30, 6 * 365)))
    end = min(start + timedelta(days=int(rng.integers(1, 800))), last_day)
    names = dict(city.neighborhood_names)
    hoods = [str(h) for h in rng.choice(sorted(names), int(rng.choice([0, 0, 1, 2, 3])), replace=False)]
    picked = [str(c) for c in rng.choice(options[kind], int(rng.choice([0, 0, 1])), replace=False)]
    races = ["Black"] if kind != "crime_incident" and rng.random() < 0.2 else []
    filters = Filters.make(kind, start, end, neighborhood_ids=hoods, categories=picked, races=races)
    params = [("from", start.isoformat()), ("to", end.isoformat())]
    params += [("hood", names[h]) for h in hoods] + [(CATEGORY_KEY[kind], c) for c in picked]
    params += [("race", r) for r in races]
    return page, urlencode(params), filters.describe(names)


def _category(kind: str) -> str:
    return {
        "crime_incident": "offense_category",
        "complaint": "allegation_category",
        "use_of_force": "force_type",
    }[kind]


def _unescape(text: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


async def _session(
    port: int, city, options: dict, last_day: date, seed: int, until: float, tally: Tally
) -> None:
    rng = np.random.default_rng([seed, 11])
    async with wsclient.Session(port) as session:
        while time.perf_counter() < until:
            page, query_string, expect = random_view(rng, city, options, last_day)
            try:
                result = await session.view(page, query_string)
            except Exception as error:  # a timeout or a dropped socket is an error of the run
                tally.errors.append(f"{page}?{query_string}: {type(error).__name__}")
                return
            shown = [_unescape(t) for t in result.texts]
            if result.errors or not any(expect in t for t in shown):
                tally.errors.append(f"{page}?{query_string}: {result.errors[:1] or 'headline missing'}")
            tally.latencies.append(result.seconds)


def _watch(pid: int, tally: Tally, stop: threading.Event, half_at: float) -> None:
    """Every 100 ms: the server tree's memory, and any connection it holds to a non-loopback address."""
    while not stop.is_set():
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree) / 2**20
            tally.peak_rss_mb = max(tally.peak_rss_mb, rss)
            if not tally.rss_at_half_mb and time.perf_counter() >= half_at:
                tally.rss_at_half_mb = rss
            for proc in tree:
                for conn in proc.net_connections(kind="inet"):
                    if conn.raddr and not conn.raddr.ip.startswith(LOOPBACK):
                        tally.upstream.add(f"{conn.raddr.ip}:{conn.raddr.port}")
        except psutil.Error:
            pass
        stop.wait(0.1)


def run(sessions: int, seconds: float, out: Path) -> Tally:
    root = out / "cache"
    ensure_demo(root)
    city = open_city(root, "demo")
    last_day = max(span[1] for span in city.coverage.values() if span)
    options = categories(city)
    tally = Tally()
    with running_server(root, out / "server.log") as server:
        wait_healthy(server)
        stop = threading.Event()
        started = time.perf_counter()
        watcher = threading.Thread(
            target=_watch, args=(server.proc.pid, tally, stop, started + seconds / 2), daemon=True
        )
        watcher.start()

        async def everyone() -> None:
            until = time.perf_counter() + seconds
            await asyncio.gather(
                *(_session(server.port, city, options, last_day, s, until, tally) for s in range(sessions))
            )

        asyncio.run(everyone())
        stop.set()
        watcher.join()
    return tally


def report(tally: Tally, sessions: int, seconds: float, max_rss_mb: float) -> int:
    views = len(tally.latencies)
    ordered = sorted(tally.latencies) or [0.0]
    p50, p95 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"sessions {sessions}, {seconds:.0f} s: {views} views, {views / seconds:.1f} views/s")
    print(f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"peak server RSS {tally.peak_rss_mb:.0f} MB (at half time {tally.rss_at_half_mb:.0f} MB)")
    print(f"errors {len(tally.errors)}, upstream connections {len(tally.upstream)}")
    for line in tally.errors[:5]:
        print("  error:", line)
    failed = tally.errors or tally.upstream or tally.peak_rss_mb > max_rss_mb or not views
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-rss-mb", type=float, default=1500.0)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as out:
        tally = run(args.sessions, args.seconds, Path(out))
    return report(tally, args.sessions, args.seconds, args.max_rss_mb)


if __name__ == "__main__":
    sys.exit(main())
