"""A web replica's local read-through copy of an object store, switched atomically.

    <local>/objects/<dataset_id>/<snapshot>/...   verified copies of immutable snapshots
    <local>/generations/<key>/                    a complete folder store (the layout snapshots.py
                                                  reads), its snapshot folders linked into objects/
    <local>/ACTIVE -> generations/<key>           the generation new page views read

A generation is built completely (every CURRENT of every city resolved, every file's sha256 checked)
before ACTIVE moves, and never changes afterwards, so a page that resolved ACTIVE once reads one
consistent set of snapshots even while the next generation is swapped in. A damaged or unreachable
store leaves ACTIVE where it was: the replica keeps serving its last good copy, across restarts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from store import objectstore as obj
from store.cityindex import INDEX_DIR, CityIndex
from store.snapshots import ATTEMPT_NAME, MANIFEST_NAME, POINTER_NAME, SnapshotError, sha256_file

ACTIVE_NAME = "ACTIVE"
KEEP_GENERATIONS = 3  # an in-flight page view may still read the one before the newest
POLL_SECONDS = 30.0


@dataclass(frozen=True)
class ReplicaState:
    """What a replica serves and how fresh it is, for the page banner."""

    root: Path | None  # the generation to read; None when there has never been a good copy
    synced_at: float | None = None  # time.time() of the last check that reached the store
    error: str | None = None  # why the last check failed (the store keeps the last good copy)
    switched_at: float | None = None


def active_generation(local: Path) -> Path | None:
    """The generation ACTIVE points at, if this machine ever made one."""
    link = Path(local) / ACTIVE_NAME
    try:
        return (Path(local) / os.readlink(link)).resolve()
    except FileNotFoundError:
        return None


def sync(store: obj.ObjectStore, local: Path) -> tuple[Path, bool]:
    """Make ACTIVE match the store's CURRENT pointers; returns the generation and whether it moved."""
    local = Path(local)
    cities = _read_cities(store)
    pointers = {}
    for ds in sorted({d for index in cities.values() for d in _dataset_ids(index)}):
        name = obj.read_pointer(store, ds)
        if name is not None:
            pointers[ds] = name
    attempts = {ds: obj.read_text(store, ds, ATTEMPT_NAME) for ds in pointers}
    key = _key(cities, pointers, attempts)
    gen = local / "generations" / key
    if not gen.is_dir():
        for ds, name in pointers.items():
            fetch_snapshot(store, ds, name, local / "objects")
        _build_generation(local, gen, cities, pointers, attempts)
    moved = active_generation(local) != gen.resolve()
    if moved:
        _activate(local, gen)
        _prune(local)
    return gen, moved


def _read_cities(store: obj.ObjectStore) -> dict[str, CityIndex]:
    text = obj.read_text(store, INDEX_DIR, "index.json")
    cities = {}
    for city_id in json.loads(text) if text else []:
        body = obj.read_text(store, INDEX_DIR, f"{city_id}.json")
        if body is not None:
            cities[city_id] = CityIndex.from_json(body)
    return cities


def _dataset_ids(index: CityIndex) -> list[str]:
    return [d for ids in index.datasets.values() for d in ids] + [index.reference_dataset]


def _key(cities: dict[str, CityIndex], pointers: dict[str, str], attempts: dict[str, str | None]) -> str:
    blob = json.dumps(
        [{c: i.to_json() for c, i in cities.items()}, pointers, attempts], sort_keys=True, default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def fetch_snapshot(store: obj.ObjectStore, ds: str, name: str, objects: Path) -> Path:
    """Download one immutable snapshot once, checking every file's sha256 before it may be used."""
    final = objects / ds / name
    if (final / MANIFEST_NAME).is_file():
        return final  # renamed into place only after it was verified
    manifest = obj.read_manifest(store, ds, name)
    tmp = objects / ds / f".partial-{name}-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for file_name, expected in manifest.files.items():
            data = obj.read_bytes(store, ds, name, file_name)
            if data is None:
                raise SnapshotError(f"{ds}/{name}: {file_name} is missing in the store")
            (tmp / file_name).write_bytes(data)
            if sha256_file(tmp / file_name) != expected:
                raise SnapshotError(f"{ds}/{name}: {file_name} does not match its sha256; not served")
        (tmp / MANIFEST_NAME).write_text(manifest.to_json())
        with contextlib.suppress(OSError):  # another process finished the same snapshot first
            os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _build_generation(local, gen, cities, pointers, attempts) -> None:
    tmp = gen.with_name(f".building-{gen.name}-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / INDEX_DIR).mkdir(parents=True)
    for city_id, index in cities.items():
        (tmp / INDEX_DIR / f"{city_id}.json").write_text(index.to_json())
    (tmp / INDEX_DIR / "index.json").write_text(json.dumps(sorted(cities)))
    for ds, name in pointers.items():
        (tmp / ds).mkdir()
        (tmp / ds / name).symlink_to(local.resolve() / "objects" / ds / name, target_is_directory=True)
        (tmp / ds / POINTER_NAME).write_text(name + "\n")
        if attempts.get(ds):
            (tmp / ds / ATTEMPT_NAME).write_text(attempts[ds])
    try:
        os.rename(tmp, gen)
    except OSError:  # built by another process meanwhile: theirs is identical
        shutil.rmtree(tmp, ignore_errors=True)


def _activate(local: Path, gen: Path) -> None:
    """Swap ACTIVE in one rename, so a reader sees the old generation or the new, never a mix."""
    tmp = local / f".{ACTIVE_NAME}.{os.getpid()}.{threading.get_ident()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(gen.relative_to(local), target_is_directory=True)
    os.replace(tmp, local / ACTIVE_NAME)


def _prune(local: Path) -> None:
    """Keep the newest generations, and only the snapshot copies they still link to."""
    done = [g for g in (local / "generations").iterdir() if not g.name.startswith(".")]  # not mid-build
    gens = sorted(done, key=lambda p: p.stat().st_mtime)
    active = active_generation(local)
    kept = gens[-KEEP_GENERATIONS:]
    for old in gens:
        if old not in kept and old.resolve() != active:
            shutil.rmtree(old, ignore_errors=True)
    used = {os.readlink(link) for g in kept for link in g.glob("*/*") if link.is_symlink()}
    for snap in (local / "objects").glob("*/*"):
        if not snap.name.startswith(".") and str(snap.resolve()) not in used:
            shutil.rmtree(snap, ignore_errors=True)


class Replica:
    """Polls the store's CURRENT pointers on a thread and keeps the local copy in step."""

    def __init__(self, url: str, local: Path, interval: float = POLL_SECONDS) -> None:
        self.store = obj.ObjectStore.from_url(url)
        self.local = Path(local)
        self.interval = interval
        root = active_generation(
            self.local
        )  # a copy left by an earlier run is served until the store answers
        self._state = ReplicaState(root=root, switched_at=root.stat().st_mtime if root else None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def state(self) -> ReplicaState:
        return self._state

    def check(self) -> ReplicaState:
        """One poll: switch to the store's current snapshots, or keep the last copy and say why."""
        now = time.time()
        try:
            gen, moved = sync(self.store, self.local)
        except (SnapshotError, OSError, ValueError) as exc:
            self._state = ReplicaState(
                self._state.root, self._state.synced_at, str(exc), self._state.switched_at
            )
        else:
            switched = now if moved or self._state.switched_at is None else self._state.switched_at
            self._state = ReplicaState(gen, now, None, switched)
        return self._state

    def start(self) -> Replica:
        """Check once now (so the first view has data when the store is up), then every interval."""
        self.check()
        self._thread = threading.Thread(target=self._loop, name="replica-poll", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
