"""Snapshot layout, manifests and atomic publish.

    <root>/<dataset_id>/<UTC timestamp>/<files> + manifest.json   (immutable, written once)
    <root>/<dataset_id>/CURRENT                                    (one line: the snapshot name)
    <root>/<dataset_id>/HISTORY                                    (the kept snapshots' names, oldest first)

A snapshot folder is staged under a hidden name, validated, renamed into place, and only then
does CURRENT move. Readers resolve CURRENT and never list folders, so the same layout works on
object storage where a "rename" is a copy and listing is slow or eventually consistent.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

MANIFEST_NAME = "manifest.json"
POINTER_NAME = "CURRENT"
STAGING_PREFIX = ".staging-"
HISTORY_NAME = "HISTORY"
KEEP_SNAPSHOTS = 3


@dataclass(frozen=True)
class Retention:
    """How long old snapshots stay, so a figure quoted at last month's meeting reopens exactly.

    The newest `keep` snapshots and the current one always stay; older ones stay for `days`, then
    go, and the oldest go first whenever the dataset's snapshots take more than `max_bytes`.
    """

    days: float = 396.0  # 13 months
    max_bytes: int = 5 << 30
    keep: int = KEEP_SNAPSHOTS


class SnapshotError(Exception):
    """A snapshot could not be staged, validated or published."""


@dataclass(frozen=True)
class Manifest:
    dataset_id: str
    kind: str
    fetched_at: str
    row_count: int
    files: dict[str, str]  # file name -> sha256
    status: str = "ok"
    source_count: int | None = None
    source_updated_at: str | None = None
    newest_record_at: str | None = None
    oldest_record_at: str | None = None
    schema_fingerprint: str | None = None
    city: str | None = None
    is_synthetic: bool = False
    mode: str = "full"
    error: str | None = None
    stats: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)  # title, publisher, landing_page, licence, endpoint

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Snapshot:
    dataset_id: str
    name: str
    path: Path
    manifest: Manifest

    @property
    def snapshot_id(self) -> str:
        return f"{self.dataset_id}/{self.name}"

    def file(self, name: str) -> Path:
        return self.path / name


def utc_stamp(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_dir(root: Path, dataset_id: str) -> Path:
    if not dataset_id or "/" in dataset_id or dataset_id.startswith("."):
        raise SnapshotError(f"not a valid dataset id: {dataset_id!r}")
    return Path(root) / dataset_id


def new_staging_dir(root: Path, dataset_id: str) -> Path:
    """A private folder, next to where the snapshot will live, to write files into."""
    parent = dataset_dir(root, dataset_id)
    parent.mkdir(parents=True, exist_ok=True)
    path = parent / f"{STAGING_PREFIX}{utc_stamp()}-{os.getpid()}"
    path.mkdir()
    return path


def publish(
    staging: Path, manifest: Manifest, *, keep: int = KEEP_SNAPSHOTS, retention: Retention | None = None
) -> Snapshot:
    """Validate the staged files against the manifest, move them into place, swap CURRENT."""
    staging = Path(staging)
    _check_files(staging, manifest)
    (staging / MANIFEST_NAME).write_text(manifest.to_json())
    _fsync_dir(staging)
    parent = staging.parent
    name = utc_stamp()
    final = parent / name
    os.rename(staging, final)
    _write_pointer(parent, name)
    prune(parent, keep=keep, retention=retention)
    return Snapshot(manifest.dataset_id, name, final, manifest)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def current(root: Path, dataset_id: str) -> Snapshot | None:
    """The published snapshot CURRENT points at, or None if there is none yet."""
    parent = dataset_dir(root, dataset_id)
    try:
        name = (parent / POINTER_NAME).read_text().strip()
    except FileNotFoundError:
        return None
    path = parent / name
    try:
        manifest = Manifest.from_json((path / MANIFEST_NAME).read_text())
    except FileNotFoundError:
        raise SnapshotError(f"{dataset_id}: CURRENT names {name}, which has no manifest") from None
    return Snapshot(dataset_id, name, path, manifest)


def prune(parent: Path, *, keep: int = KEEP_SNAPSHOTS, retention: Retention | None = None) -> None:
    """Delete snapshots past the retention (without one: beyond the newest `keep`), never the current
    one, and staging folders left by dead writers; HISTORY then lists exactly what is kept."""
    pointer = (parent / POINTER_NAME).read_text().strip()
    names = sorted(p.name for p in parent.iterdir() if p.is_dir() and p.name[0].isdigit())
    doomed = (
        _past_retention(parent, names, pointer, retention) if retention else names[:-keep] if keep else names
    )
    for name in doomed:
        if name != pointer:
            shutil.rmtree(parent / name, ignore_errors=True)
    _write_lines(parent, HISTORY_NAME, [n for n in names if n == pointer or n not in doomed])
    for stale in parent.glob(f"{STAGING_PREFIX}*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _past_retention(parent: Path, names: list[str], pointer: str, retention: Retention) -> list[str]:
    """Oldest first: those older than `days`, then more of the oldest while over `max_bytes`."""
    kept_always = set(names[-retention.keep :]) | {pointer} if retention.keep else {pointer}
    cutoff = utc_stamp(datetime.now(UTC) - timedelta(days=retention.days))
    doomed = [n for n in names if n < cutoff and n not in kept_always]
    sizes = {n: _folder_bytes(parent / n) for n in names if n not in doomed}
    total = sum(sizes.values())
    for name in (n for n in names if n in sizes and n not in kept_always):
        if total <= retention.max_bytes:
            break
        doomed.append(name)
        total -= sizes[name]
    return doomed


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def pinned(root: Path, dataset_id: str, as_of: str) -> Snapshot | None:
    """The newest kept snapshot published at or before `as_of` (a snapshot name, or a prefix of
    one such as 20261101T0415), from HISTORY; None when none is kept any more (the pin expired)."""
    parent = dataset_dir(root, dataset_id)
    try:
        names = (parent / HISTORY_NAME).read_text().split()
    except FileNotFoundError:
        return None
    # Compare on the pin's own precision, so a pin at a minute also takes snapshots within it.
    earlier = [n for n in names if n[: len(as_of)] <= as_of]
    for name in reversed(earlier):
        try:
            manifest = Manifest.from_json((parent / name / MANIFEST_NAME).read_text())
        except FileNotFoundError:
            continue  # pruned since HISTORY was written
        return Snapshot(dataset_id, name, parent / name, manifest)
    return None


def _write_lines(parent: Path, file_name: str, lines: list[str]) -> None:
    tmp = parent / f".{file_name}.tmp-{os.getpid()}"
    tmp.write_text("".join(f"{line}\n" for line in lines))
    os.replace(tmp, parent / file_name)


@contextlib.contextmanager
def write_lock(root: Path, dataset_id: str) -> Iterator[None]:
    """Hold an exclusive lock so that two refreshes of one dataset never interleave."""
    parent = dataset_dir(root, dataset_id)
    parent.mkdir(parents=True, exist_ok=True)
    with (parent / ".lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SnapshotError(f"{dataset_id}: another refresh is running; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_files(staging: Path, manifest: Manifest) -> None:
    if not manifest.files:
        raise SnapshotError(f"{manifest.dataset_id}: the manifest lists no files")
    for name, expected in manifest.files.items():
        path = staging / name
        if not path.is_file():
            raise SnapshotError(f"{manifest.dataset_id}: staged file {name} is missing")
        actual = sha256_file(path)
        if actual != expected:
            raise SnapshotError(f"{manifest.dataset_id}: {name} changed after it was hashed")
        with path.open("rb") as fh:
            os.fsync(fh.fileno())


def _write_pointer(parent: Path, name: str) -> None:
    tmp = parent / f".{POINTER_NAME}.{os.getpid()}.tmp"
    with tmp.open("w") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, parent / POINTER_NAME)
    _fsync_dir(parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


ATTEMPT_NAME = "LAST_ATTEMPT.json"


@dataclass(frozen=True)
class Attempt:
    """The outcome of the newest refresh try, kept even when it published nothing."""

    dataset_id: str
    attempted_at: str
    status: str  # ok | unchanged | failed
    error: str | None = None


def write_attempt(root: Path, attempt: Attempt) -> None:
    parent = dataset_dir(root, attempt.dataset_id)
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{ATTEMPT_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(attempt), indent=2))
    os.replace(tmp, parent / ATTEMPT_NAME)


def read_attempt(root: Path, dataset_id: str) -> Attempt | None:
    try:
        data = json.loads((dataset_dir(root, dataset_id) / ATTEMPT_NAME).read_text())
    except FileNotFoundError:
        return None
    return Attempt(**{k: v for k, v in data.items() if k in Attempt.__dataclass_fields__})
