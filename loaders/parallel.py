"""Refresh many sources at once (`--jobs N`), into a folder or an s3:// snapshot store.

Each source is refreshed by `loaders.refresh` in its own process, so the per-source lock, the
staging folders and the temporary names (all keyed on the process id) never collide. A city's
neighborhoods are refreshed once, before its sources, and its index is written once, after them.

With an `s3://bucket/prefix` store the refresh works in a local folder (the working copy): per source
it takes the LEASE object in the store, copies the current snapshot down (incremental pulls need the
previous one), refreshes locally, uploads the new snapshot to its own prefix, reads it back to check
every sha256, and only then replaces CURRENT by compare-and-swap against the ETag it saw at the start.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from loaders.catalog import Catalog
from loaders.errors import FeedError
from loaders.http import HttpClient
from loaders.reference import refresh_reference
from loaders.refresh import (
    RefreshOptions,
    Reporter,
    SourceOutcome,
    publish_city_index,
    refresh,
    select_sources,
)
from store import objectstore as obj
from store import snapshots
from store.cityindex import INDEX_DIR, CityIndex, reference_dataset_id

WORK_ROOT = Path(os.environ.get("DASHBOARD_WORK") or Path("data") / "work")


def local_root(cache: str) -> Path:
    """The folder a refresh writes into: the store itself, or a working copy for an s3:// store."""
    if not obj.is_object_store(cache):
        return Path(cache)
    return WORK_ROOT / hashlib.sha256(cache.encode()).hexdigest()[:12]


def refresh_all(
    catalog: Catalog,
    options: RefreshOptions,
    source_ids: list[str],
    city_ids: list[str],
    reporter: Reporter | None = None,
    *,
    jobs: int = 1,
    store_url: str | None = None,
) -> list[SourceOutcome]:
    """Refresh the chosen sources with up to `jobs` processes; publish to `store_url` when given."""
    chosen = select_sources(catalog, source_ids, city_ids)
    if jobs <= 1 and store_url is None:
        return refresh(catalog, options, source_ids, city_ids, reporter)  # exactly the serial path
    store = obj.ObjectStore.from_url(store_url) if store_url else None
    cities = list(dict.fromkeys(s.city for s in chosen))
    for city_id in cities:
        _refresh_reference(catalog, city_id, options, store)
    if jobs <= 1:
        outcomes = [_one_source(catalog, options, s.source_id, store_url, reporter) for s in chosen]
    else:
        outcomes = _in_processes(jobs, [s.source_id for s in chosen], (catalog, options, store_url, reporter))
    for city_id in cities:
        publish_city_index(catalog, catalog.cities[city_id], options.cache_root)
        if store is not None:
            _push_city_index(store, options.cache_root, city_id)
    return outcomes


_SHARED: tuple = ()  # what forked workers inherit: the catalogue holds mapping proxies, not picklable


def _in_processes(jobs: int, source_ids: list[str], shared: tuple) -> list[SourceOutcome]:
    global _SHARED
    _SHARED = shared
    try:
        # fork: workers inherit the loaded catalogue and modules instead of importing them again
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_forked_source, source_ids))
    finally:
        _SHARED = ()


def _forked_source(source_id: str) -> SourceOutcome:
    catalog, options, store_url, reporter = _SHARED
    return _one_source(catalog, options, source_id, store_url, reporter)


def _refresh_reference(catalog: Catalog, city_id: str, options: RefreshOptions, store) -> None:
    """Neighborhoods once per city; a failure keeps the last good copy (as the serial refresh does)."""
    city, root = catalog.cities[city_id], options.cache_root
    dataset_id = reference_dataset_id(city_id)
    try:
        if store is None:
            refresh_reference(city, root, HttpClient(dataset_id, policy=options.retry_policy))
            return
        with obj.lease(store, dataset_id):
            etag = obj.pointer_etag(store, dataset_id)
            before = obj.pull_current(store, dataset_id, root)
            snap = refresh_reference(city, root, HttpClient(dataset_id, policy=options.retry_policy))
            if snap.name != before:
                obj.push_current(store, snap, etag, snapshots.KEEP_SNAPSHOTS)
    except (FeedError, snapshots.SnapshotError) as exc:
        print(f"  {dataset_id}: keeping the last good neighborhoods: {exc}")


def _one_source(catalog, options: RefreshOptions, source_id: str, store_url, reporter) -> SourceOutcome:
    if store_url is None:
        return refresh(catalog, options, [source_id], reporter=reporter)[0]
    store = obj.ObjectStore.from_url(store_url)
    try:
        with obj.lease(store, source_id):
            etag = obj.pointer_etag(store, source_id)
            before = obj.pull_current(store, source_id, options.cache_root)
            outcome = refresh(catalog, options, [source_id], reporter=reporter)[0]
            snap = snapshots.current(options.cache_root, source_id)
            if outcome.status == "ok" and snap is not None and snap.name != before:
                obj.push_current(store, snap, etag, snapshots.KEEP_SNAPSHOTS)
    except snapshots.SnapshotError as exc:
        outcome = SourceOutcome(source_id, "failed", message=str(exc))
        snapshots.write_attempt(options.cache_root, snapshots.Attempt(source_id, _now(), "failed", str(exc)))
    _push_attempt(store, options.cache_root, source_id)
    return outcome


def _push_attempt(store: obj.ObjectStore, root: Path, source_id: str) -> None:
    attempt = snapshots.read_attempt(root, source_id)
    if attempt is not None:
        text = (snapshots.dataset_dir(root, source_id) / snapshots.ATTEMPT_NAME).read_text()
        try:
            obj.write_text(store, text, source_id, snapshots.ATTEMPT_NAME)
        except obj.StoreUnreachable as exc:
            print(f"  {source_id}: the outcome could not be recorded in the store: {exc}")


def _push_city_index(store: obj.ObjectStore, root: Path, city_id: str) -> None:
    """The city's index, then the list of cities (read, merged, written: only refreshes write it)."""
    index = CityIndex.from_json((root / INDEX_DIR / f"{city_id}.json").read_text())
    # the working copy holds only the sources refreshed here: keep those the store already lists
    remote = obj.read_text(store, INDEX_DIR, f"{city_id}.json")
    datasets = {k: list(v) for k, v in index.datasets.items()}
    for kind, ids in (CityIndex.from_json(remote).datasets if remote else {}).items():
        datasets[kind] = list(dict.fromkeys([*datasets.get(kind, []), *ids]))
    obj.write_text(store, replace(index, datasets=datasets).to_json(), INDEX_DIR, f"{city_id}.json")
    known = json.loads(obj.read_text(store, INDEX_DIR, "index.json") or "[]")
    obj.write_text(store, json.dumps(sorted({*known, city_id})), INDEX_DIR, "index.json")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
