"""The local feed server (tests/feedserver.py) in its own process, and a seeded raw feed to serve.

The server runs in a child process so that building its pages never holds the loader's GIL: like a
real portal, it works on its own CPU while the refresh parses. The raw feed looks like a large city's
incident export (about a dozen columns, text as published), in Testville's two neighborhoods.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]

RAW_CATEGORIES = ("THEFT", "BATTERY", "CRIMINAL DAMAGE", "ASSAULT", "BURGLARY", "ROBBERY", "NARCOTICS")
RAW_CATEGORY_SHARES = (0.24, 0.19, 0.11, 0.09, 0.05, 0.04, 0.04)
RAW_PLACES = (
    "STREET",
    "RESIDENCE",
    "APARTMENT",
    "SIDEWALK",
    "PARKING LOT",
    "RESTAURANT",
    "SMALL RETAIL STORE",
)
START = "2019-01-01"
YEARS = 6


def raw_feed(n: int, seed: int) -> pa.Table:
    """n incident rows as a portal would publish them (hand-made, synthetic), with unique ids."""
    rng = np.random.default_rng([seed, 99])
    origin = np.datetime64(START, "s")
    occurred_s = np.sort(rng.integers(0, YEARS * 365 * 86_400, n))
    reported_s = occurred_s + rng.exponential(86_400, n).astype(np.int64)
    updated_s = reported_s + rng.integers(3600, 30 * 86_400, n)
    shares = np.array(RAW_CATEGORY_SHARES + (1 - sum(RAW_CATEGORY_SHARES),))
    categories = pa.array((*RAW_CATEGORIES, "OTHER OFFENSE"))
    numbers = pa.array(np.arange(1, n + 1)).cast(pa.string())
    blank = rng.random(n) < 0.02
    block_numbers = pa.array(rng.integers(0, 120, n) * 100).cast(pa.string())
    return pa.table(
        {
            "id": pc.binary_join_element_wise("R", pc.utf8_lpad(numbers, width=8, padding="0"), ""),
            "occurred": pa.array(origin + occurred_s.astype("timedelta64[s]"), pa.timestamp("us")),
            "reported": pa.array(origin + reported_s.astype("timedelta64[s]"), pa.timestamp("us")),
            "category": categories.take(pa.array(rng.choice(len(shares), n, p=shares))),
            "place": pa.array(RAW_PLACES).take(pa.array(rng.integers(0, len(RAW_PLACES), n))),
            "block": pc.binary_join_element_wise(block_numbers, "XX W MAIN ST", ""),
            "district": pc.utf8_lpad(pa.array(rng.integers(1, 26, n)).cast(pa.string()), 3, "0"),
            "arrest": pa.array(rng.random(n) < 0.15),
            "lat": pa.array(np.round(41.85 + rng.normal(0, 0.08, n), 6), pa.float64(), mask=blank),
            "lon": pa.array(np.round(-87.68 + rng.normal(0, 0.08, n), 6), pa.float64(), mask=blank),
            "updated_at": pa.array(origin + updated_s.astype("timedelta64[s]"), pa.timestamp("us", tz="UTC")),
        }
    )


def touch_rows(table: pa.Table, share: float, seed: int) -> tuple[pa.Table, int]:
    """The table with `share` of its rows edited now (new category, later updated_at); and how many."""
    rng = np.random.default_rng([seed, 98])
    picked = rng.random(table.num_rows) < share
    later = pc.add(pc.max(table.column("updated_at")), pa.scalar(3_600_000_000, pa.duration("us")))
    mask = pa.array(picked)
    updated = pc.if_else(mask, later, table.column("updated_at"))
    category = pc.if_else(mask, pa.scalar("ROBBERY"), table.column("category"))
    table = table.set_column(table.schema.get_field_index("updated_at"), "updated_at", updated)
    table = table.set_column(table.schema.get_field_index("category"), "category", category)
    return table, int(picked.sum())


def csv_bytes(table: pa.Table) -> bytes:
    """The table as a plain CSV export (ISO timestamps, empty cells for nulls)."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return sink.getvalue().to_pybytes()


class FeedProcess:
    """A FeedServer in a child process (`python -m bench.feeds`), told what to serve over a pipe."""

    def __init__(self, work: Path):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.feeds"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = self._call("start")

    def add_dataset(self, name: str, table: pa.Table) -> None:
        path = self.work / f"{name}.parquet"
        pq.write_table(table, path)
        self._call("dataset", name, str(path))

    def add_file(self, name: str, body: bytes, content_type: str = "text/csv; charset=utf-8") -> None:
        path = self.work / f"file-{name}"
        path.write_bytes(body)
        self._call("file", name, str(path), content_type)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._call("stop")
            self._proc.wait(timeout=10)

    def _call(self, *message: str):
        self._proc.stdin.write(json.dumps(message) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the feed server process ended unexpectedly")
        status, value = json.loads(line)
        if status != "ok":
            raise RuntimeError(f"feed server: {value}")
        return value

    def __enter__(self) -> FeedProcess:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            if self._proc.poll() is None:
                self._proc.kill()


def serve(commands=sys.stdin, replies=sys.stdout) -> None:
    """Child process: run a FeedServer and obey one JSON command per line until told to stop."""
    from tests.feedserver import Dataset, DatasetSettings, FeedServer

    Dataset.rows = _indexed(Dataset.rows)
    server = FeedServer().start()
    answers = _remember_answers(server)
    for line in commands:
        kind, *args = json.loads(line)
        try:
            reply = None
            if kind == "start":
                reply = server.base_url
            elif kind == "dataset":
                answers.clear()
                table = pq.read_table(args[1])
                server.add_dataset(args[0], table, settings=DatasetSettings(shuffle_ties=False))
                dataset = server._datasets[args[0]]
                dataset.socrata_csv, dataset.socrata_json  # noqa: B018  # built now, not in the first page
            elif kind == "file":
                server.add_file(args[0], Path(args[1]).read_bytes(), content_type=args[2])
            elif kind != "stop":
                raise ValueError(f"unknown command {kind!r}")
            answer = ["ok", reply]
        except Exception as exc:  # the parent reports it
            answer = ["error", f"{type(exc).__name__}: {exc}"]
        replies.write(json.dumps(answer) + "\n")
        replies.flush()
        if kind == "stop":
            server.stop()
            return


def _remember_answers(server) -> dict:
    """Answer a repeated Socrata page query from the bytes rendered the first time, as a portal's cache
    would. The test server renders each JSON page in Python on the two cores the loader is measured
    on; a warm-up pull fills this, so the timed pull measures the loader, not the test server."""
    answers: dict = {}
    route = server._route

    def remembered(method, raw_path, body, headers):
        if method != "GET" or not raw_path.startswith("/resource/"):
            return route(method, raw_path, body, headers)
        if raw_path not in answers:
            answers[raw_path] = route(method, raw_path, body, headers)
        return answers[raw_path]

    server._route = remembered
    return answers


def _indexed(rows):
    """Dataset.rows, remembering the order of the unfiltered rows per sort, as a portal's index would.

    The test server sorts the whole table for every page; a real portal reads an index. Ties are not
    shuffled here (DatasetSettings(shuffle_ties=False)), so the remembered order is the same answer.
    """
    orders: dict = {}

    def indexed_rows(self, mask, sort_keys):
        if mask is not None:
            return rows(self, mask, sort_keys)
        key = (id(self), tuple(sort_keys))
        if key not in orders:
            orders[key] = rows(self, mask, sort_keys)
        return orders[key]

    return indexed_rows


if __name__ == "__main__":
    serve()
