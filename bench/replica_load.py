"""What `bench.replicas load` measures through the proxy: views per second, and a mid-test publish.

Every visitor is a websocket session with its own route cookie, as a browser tab would be; its
page must render without an exception and show the filters it asked for (`bench.app.check`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from bench import app, wsclient
from bench.generate import CITY_ID
from query.db import open_city
from store import objectstore as obj
from store import snapshots

if TYPE_CHECKING:
    from bench.replicas import Store

DEMO = "demo"
CRIME = "demo_crime"
TIME_LIMIT_S = 300
SEEN_WITHIN_S = 60
PUBLISH_DEADLINE_S = 90


@dataclass
class LoadResult:
    views: int = 0
    seconds: float = 0.0
    errors: int = 0
    first_error: str = ""
    per_replica: Counter = field(default_factory=Counter)
    unsticky: int = 0  # visitors whose reconnect reached another replica

    def line(self, replicas: int) -> str:
        spread = ", ".join(f"{k}: {v}" for k, v in sorted(self.per_replica.items()))
        return (
            f"- {replicas} replica(s): {self.views} views in {self.seconds:.1f} s = "
            f"**{self.views / self.seconds:.1f} views/s**, {self.errors} errors"
            f"{' (' + self.first_error + ')' if self.errors else ''}; views per replica {spread}; "
            f"visitors moved between replicas on reconnect: {self.unsticky}"
        )


def demo_views(store: Store, count: int, seed: int = 11) -> list[app.View]:
    """Distinct crime-page links for Demo City (the benchmark's generator, pointed at the demo city)."""
    city = open_city(store.work, DEMO)
    try:
        names = dict(city.neighborhood_names)
    finally:
        city.con.close()
    views = app.distinct_views(names, count, seed)
    return [replace(v, query_string=v.query_string.replace(f"city={CITY_ID}", f"city={DEMO}")) for v in views]


def load_run(port: int, store: Store, visitors: int, views: int) -> LoadResult:
    """`visitors` sessions at once, each through `views` distinct links, bounded by TIME_LIMIT_S."""
    links = demo_views(store, visitors * views)
    plans = [links[i::visitors] for i in range(visitors)]
    result = LoadResult()

    async def visitor(plan: list[app.View]) -> None:
        cookie = f"dashboard_route={secrets.token_hex(8)}"
        async with wsclient.Session(port, cookie=cookie) as session:
            upstream = session.upstream
            for view in plan:
                shown = await session.view(app.PAGE, view.query_string)
                result.views += 1
                result.per_replica[upstream] += 1
                try:
                    app.check(shown, view)
                except RuntimeError as exc:
                    result.errors += 1
                    result.first_error = result.first_error or str(exc)
        async with wsclient.Session(port, cookie=cookie) as again:
            result.unsticky += again.upstream != upstream

    async def everyone() -> None:
        await asyncio.wait_for(asyncio.gather(*(visitor(p) for p in plans)), TIME_LIMIT_S)

    started = time.perf_counter()
    asyncio.run(everyone())
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class SeenResult:
    old_rows: int
    new_rows: int
    seen_after_s: dict[str, float] = field(default_factory=dict)  # replica -> seconds after publish
    replicas: int = 0
    views: int = 0
    mixed: int = 0  # pages showing both counts, or neither

    @property
    def ok(self) -> bool:
        late = [s for s in self.seen_after_s.values() if s > SEEN_WITHIN_S]
        return len(self.seen_after_s) == self.replicas and not late and self.mixed == 0

    def line(self) -> str:
        seen = ", ".join(f"{k} after {v:.1f} s" for k, v in sorted(self.seen_after_s.items()))
        return (
            f"- snapshot published mid-test ({self.old_rows:,} -> {self.new_rows:,} crime records): "
            f"seen by {len(self.seen_after_s)} of {self.replicas} replicas ({seen or 'none'}); "
            f"{self.views} views, {self.mixed} showing a mix or neither; target: every replica within "
            f"{SEEN_WITHIN_S} s -> {'met' if self.ok else 'MISSED'}"
        )


def publish_run(port: int, store: Store, replicas: int, visitors: int) -> SeenResult:
    """Publish a crime snapshot one record shorter, then look through the proxy until every replica shows it."""
    old = snapshots.current(store.work, CRIME).manifest.row_count
    result = SeenResult(old, old - 1, replicas=replicas)
    link = f"city={DEMO}"
    _publish_fewer_rows(store, old - 1)
    published = time.monotonic()

    async def look() -> None:
        async with wsclient.Session(port, cookie=f"dashboard_route={secrets.token_hex(8)}") as session:
            shown = await session.view(app.PAGE, link)
            text = " ".join(shown.texts)
            has_old, has_new = f"{old:,} records" in text, f"{old - 1:,} records" in text
            result.views += 1
            result.mixed += has_old == has_new or bool(shown.errors)
            if has_new and session.upstream not in result.seen_after_s:
                result.seen_after_s[session.upstream] = time.monotonic() - published

    async def round_of_looks() -> None:
        await asyncio.wait_for(asyncio.gather(*(look() for _ in range(visitors))), TIME_LIMIT_S)

    while len(result.seen_after_s) < replicas and time.monotonic() - published < PUBLISH_DEADLINE_S:
        asyncio.run(round_of_looks())
        time.sleep(1.0)
    return result


def _publish_fewer_rows(store: Store, rows: int) -> None:
    """A new crime snapshot of the first `rows` rows, staged, verified and swapped in as a refresh does."""
    target = obj.ObjectStore.from_url(store.url)
    snap = snapshots.current(store.work, CRIME)
    staging = snapshots.new_staging_dir(store.work, CRIME)
    pq.write_table(pq.read_table(snap.file("data.parquet")).slice(0, rows), staging / "data.parquet")
    files = {"data.parquet": snapshots.sha256_file(staging / "data.parquet")}
    new = snapshots.publish(staging, replace(snap.manifest, row_count=rows, files=files))
    with obj.lease(target, CRIME):
        obj.push_current(target, new, obj.pointer_etag(target, CRIME), snapshots.KEEP_SNAPSHOTS)
