"""The real app under load: cold start, server CPU per page view, and peak memory with concurrent sessions.

`streamlit run dashboard.py` is started on 127.0.0.1 with DASHBOARD_CACHE pointing at the generated
snapshots; pages are driven through bench.wsclient, exactly as a browser drives them. Every view's
page must render without an exception and show the filters it was asked for.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psutil
import requests

from bench import wsclient
from bench.generate import CITY_ID
from loaders import demo_city
from query import Filters
from store.schema import OFFENSE_CATEGORIES

REPO = Path(__file__).resolve().parents[1]
PAGE = "crime"  # the crime page's url_path in dashboard.py
HEALTH_POLL_S = 0.02
SAMPLE_EVERY_S = 0.1
LAST_DAY = date.fromisoformat(str(demo_city.LAST_DAY))  # the last day of generated data


@dataclass(frozen=True)
class View:
    """One link to the crime page, and the headline words the page must show for it."""

    query_string: str
    expect: str


def view_for(filters: Filters, names: Mapping[str, str]) -> View:
    """The link a visitor would share for `filters` (the sidebar's URL parameters)."""
    params = [("city", CITY_ID)]
    params += [
        (key, day.isoformat()) for key, day in (("from", filters.date_from), ("to", filters.date_to)) if day
    ]
    params += [("hood", names[i]) for i in filters.neighborhood_ids]
    params += [("offense", c) for c in filters.categories]
    return View(urlencode(params), filters.describe(names))


def distinct_views(names: Mapping[str, str], count: int, seed: int) -> list[View]:
    """`count` different selections (areas, windows, categories), so no view is served from a cache."""
    rng = np.random.default_rng([seed, 7])
    ids, categories = sorted(names), list(OFFENSE_CATEGORIES)
    views: dict[str, View] = {}
    while len(views) < count:
        start = date(2019 + int(rng.integers(0, 6)), int(rng.integers(1, 13)), 1)
        months = int(rng.integers(3, 25))
        end = date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
        hoods = rng.choice(ids, int(rng.choice([0, 1, 1, 2, 3, 5])), replace=False)
        picked = rng.choice(categories, int(rng.choice([0, 0, 1, 2, 3])), replace=False)
        filters = Filters.make(
            "crime_incident",
            start,
            min(end - timedelta(days=1), LAST_DAY),
            neighborhood_ids=[str(h) for h in hoods],
            categories=[str(c) for c in picked],
        )
        view = view_for(filters, names)
        views[view.query_string] = view
    return list(views.values())


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    spawned_at: float  # perf_counter when the process was started

    @property
    def process(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and any children it started."""
        total = 0.0
        for proc in [self.process, *self.process.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
        return total

    def peak_rss_mb(self) -> float:
        """The kernel's high-water mark of resident memory for the server process (VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def running_server(
    cache_root: Path | str,
    log_path: Path,
    options: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    script: str = "dashboard.py",
    cwd: Path = REPO,
) -> Iterator[Server]:
    """`streamlit run dashboard.py` on a free port with the repository's .streamlit/config.toml.

    `options` are extra Streamlit config options (name -> value), to try a setting before adopting it;
    `cwd` is the checkout to run (another one, to measure an older commit beside this one).
    """
    port = _free_port()
    env = {**os.environ, "DASHBOARD_CACHE": str(cache_root), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    for name, value in (options or {}).items():
        cmd += [f"--{name}", value]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        spawned_at = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield Server(proc, port, spawned_at)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_healthy(server: Server, timeout_s: float = 60.0) -> float:
    """Seconds from spawn until /_stcore/health answers ok."""
    url = f"http://127.0.0.1:{server.port}/_stcore/health"
    deadline = time.perf_counter() + timeout_s
    with requests.Session() as http:
        while time.perf_counter() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"the app exited with code {server.proc.returncode}; see its log")
            try:
                if http.get(url, timeout=1).text == "ok":
                    return time.perf_counter() - server.spawned_at
            except requests.RequestException:
                pass
            time.sleep(HEALTH_POLL_S)
    raise RuntimeError(f"the app was not healthy after {timeout_s:.0f} s")


def check(result: wsclient.ViewResult, view: View) -> None:
    """A view counts only if the page rendered without error and shows the filters asked for."""
    if result.errors:
        raise RuntimeError(f"the page showed an error for {view.query_string}: {result.errors[0]}")
    if not any(view.expect in text for text in result.texts):
        raise RuntimeError(f"the page for {view.query_string} does not show {view.expect!r}")


@dataclass(frozen=True)
class ColdStart:
    healthy_s: float
    first_page_s: float  # spawn to the first page's script_finished


def cold_start(server: Server, view: View, page: str = PAGE) -> ColdStart:
    healthy = wait_healthy(server)
    result = asyncio.run(wsclient.one_view(server.port, page, view.query_string))
    check(result, view)
    return ColdStart(healthy, time.perf_counter() - server.spawned_at)


@dataclass(frozen=True)
class CpuPerView:
    views: int
    cpu_ms: float  # server CPU per view
    wall_ms: float  # median latency of a view


def cpu_per_view(server: Server, views: list[View], page: str = PAGE) -> CpuPerView:
    """Server CPU time over a sequential batch of views, one visitor after another, divided by views."""
    latencies: list[float] = []

    async def batch() -> None:
        for view in views:
            result = await wsclient.one_view(server.port, page, view.query_string)
            check(result, view)
            latencies.append(result.seconds)

    before = server.cpu_seconds()
    asyncio.run(batch())
    used = server.cpu_seconds() - before
    latencies.sort()
    return CpuPerView(len(views), used / len(views) * 1000, latencies[len(latencies) // 2] * 1000)


@dataclass(frozen=True)
class Load:
    sessions: int
    views: int
    peak_rss_mb: float  # highest of: sampled RSS of the server's process tree, and its VmHWM
    sampled_peak_mb: float
    median_latency_ms: float
    seconds: float


def concurrent_sessions(server: Server, plans: list[list[View]], time_limit_s: float = 300) -> Load:
    """Open one session per plan at once; each changes its filters through its plan's views."""
    sampler = _RssSampler(server)
    latencies: list[float] = []

    async def one_session(plan: list[View]) -> None:
        async with wsclient.Session(server.port) as session:
            for view in plan:
                result = await session.view(PAGE, view.query_string)
                check(result, view)
                latencies.append(result.seconds)

    async def everyone() -> None:
        await asyncio.wait_for(asyncio.gather(*(one_session(p) for p in plans)), time_limit_s)

    started = time.perf_counter()
    with sampler:
        asyncio.run(everyone())
    latencies.sort()
    return Load(
        sessions=len(plans),
        views=len(latencies),
        peak_rss_mb=max(sampler.peak_mb, server.peak_rss_mb()),
        sampled_peak_mb=sampler.peak_mb,
        median_latency_ms=latencies[len(latencies) // 2] * 1000,
        seconds=time.perf_counter() - started,
    )


class _RssSampler:
    """Samples the resident memory of the server's process tree every 100 ms on a background thread."""

    def __init__(self, server: Server):
        self.server = server
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = self.server.process
                rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                self.peak_mb = max(self.peak_mb, rss / 2**20)
            except psutil.Error:
                pass
            self._stop.wait(SAMPLE_EVERY_S)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
