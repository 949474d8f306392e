"""The snapshot layout on S3-compatible object storage (AWS S3, MinIO, R2, moto).

    s3://<bucket>/<prefix>/<dataset_id>/<UTC timestamp>/<files> + manifest.json   (immutable)
    s3://<bucket>/<prefix>/<dataset_id>/CURRENT                                    (one line)
    s3://<bucket>/<prefix>/<dataset_id>/LEASE                                      (held by a refresh)
    s3://<bucket>/<prefix>/_cities/<city_id>.json, _cities/index.json

Bulk bytes go through pyarrow's S3 filesystem. The two writes that must be atomic against another
writer (CURRENT and LEASE) are conditional PUTs (If-Match / If-None-Match), which pyarrow does not
expose, so they go through boto3; S3, MinIO and R2 document both headers. Endpoint and credentials
come from the standard AWS environment variables.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

from store.snapshots import MANIFEST_NAME, POINTER_NAME, Manifest, Snapshot, SnapshotError

LEASE_NAME = "LEASE"
LEASE_SECONDS = 3600  # a refresh that died is presumed gone after this long
TIMEOUT_S = 5.0


class StoreUnreachable(SnapshotError):
    """The object store did not answer (network, DNS, credentials)."""


def is_object_store(root: Path | str) -> bool:
    return str(root).startswith("s3://")


@dataclass(frozen=True)
class ObjectStore:
    """One bucket and prefix, with the clients to reach it."""

    bucket: str
    prefix: str

    @classmethod
    def from_url(cls, url: str) -> ObjectStore:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or len(parsed.netloc) < 3:
            raise SnapshotError(f"not an s3://bucket/prefix address: {url!r}")
        return cls(parsed.netloc, parsed.path.strip("/"))

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def path(self, *parts: str) -> str:
        """The address pyarrow's filesystem uses: bucket/key."""
        return f"{self.bucket}/{self.key(*parts)}"

    @cached_property
    def fs(self) -> pafs.S3FileSystem:
        endpoint = urlparse(os.environ.get("AWS_ENDPOINT_URL", ""))
        options: dict = {}
        if endpoint.netloc:
            options = {"endpoint_override": endpoint.netloc, "scheme": endpoint.scheme or "https"}
        return pafs.S3FileSystem(
            region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            connect_timeout=TIMEOUT_S,
            request_timeout=TIMEOUT_S,
            # a replica must notice an unreachable store in seconds, not after a long retry ladder
            retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=2),
            **options,
        )

    @cached_property
    def client(self):
        """boto3, only for conditional writes; imported here so readers do not need it."""
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=TIMEOUT_S, read_timeout=TIMEOUT_S, retries={"max_attempts": 2})
        return boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None, config=config)


@contextlib.contextmanager
def _reaching(store: ObjectStore, what: str) -> Iterator[None]:
    """Turn the many ways a network call fails into one error a caller can act on."""
    try:
        yield
    except (FileNotFoundError, SnapshotError):
        raise
    except OSError as exc:  # pyarrow's network errors are OSErrors
        raise StoreUnreachable(f"{store.url}: cannot {what}: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3")) and not _is_conditional(exc):
            raise StoreUnreachable(f"{store.url}: cannot {what}: {exc}") from None
        raise


def read_bytes(store: ObjectStore, *parts: str) -> bytes | None:
    """An object's bytes, or None when it does not exist."""
    with _reaching(store, f"read {'/'.join(parts)}"):
        try:
            with store.fs.open_input_stream(store.path(*parts)) as fh:
                return fh.read()
        except FileNotFoundError:
            return None


def read_text(store: ObjectStore, *parts: str) -> str | None:
    data = read_bytes(store, *parts)
    return None if data is None else data.decode("utf-8")


def write_text(store: ObjectStore, text: str, *parts: str) -> None:
    """An unconditional PUT: fine for objects only one lease holder writes (attempts, city index)."""
    with _reaching(store, f"write {'/'.join(parts)}"), store.fs.open_output_stream(store.path(*parts)) as fh:
        fh.write(text.encode("utf-8"))


def read_pointer(store: ObjectStore, dataset_id: str) -> str | None:
    """The snapshot name CURRENT holds, or None before the first publish."""
    text = read_text(store, dataset_id, POINTER_NAME)
    return text.strip() if text else None


def read_manifest(store: ObjectStore, dataset_id: str, name: str) -> Manifest:
    text = read_text(store, dataset_id, name, MANIFEST_NAME)
    if text is None:
        raise SnapshotError(f"{dataset_id}: CURRENT names {name}, which has no manifest")
    return Manifest.from_json(text)


def pointer_etag(store: ObjectStore, dataset_id: str) -> str | None:
    """CURRENT's ETag (the token a compare-and-swap needs), or None when there is no CURRENT yet."""
    with _reaching(store, f"read {dataset_id}/CURRENT"):
        try:
            return store.client.head_object(Bucket=store.bucket, Key=store.key(dataset_id, POINTER_NAME))[
                "ETag"
            ]
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise


def upload_snapshot(store: ObjectStore, snap: Snapshot) -> None:
    """Copy a published local snapshot's files to its immutable prefix, manifest last, then verify."""
    for name in [*snap.manifest.files, MANIFEST_NAME]:
        with (
            _reaching(store, f"upload {snap.snapshot_id}/{name}"),
            snap.file(name).open("rb") as src,
            store.fs.open_output_stream(store.path(snap.dataset_id, snap.name, name)) as dst,
        ):
            for block in iter(lambda: src.read(1 << 22), b""):
                dst.write(block)
    verify_snapshot(store, snap.dataset_id, snap.name, snap.manifest)


def verify_snapshot(store: ObjectStore, dataset_id: str, name: str, manifest: Manifest) -> None:
    """Read every file back and compare its sha256 with the manifest; raise on any difference."""
    for file_name, expected in manifest.files.items():
        digest = hashlib.sha256()
        with _reaching(store, f"read {dataset_id}/{name}/{file_name}"):
            try:
                with store.fs.open_input_stream(store.path(dataset_id, name, file_name)) as fh:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        digest.update(block)
            except FileNotFoundError:
                raise SnapshotError(f"{dataset_id}/{name}: {file_name} is missing in the store") from None
        if digest.hexdigest() != expected:
            raise SnapshotError(f"{dataset_id}/{name}: {file_name} does not match its sha256")


def swap_pointer(store: ObjectStore, dataset_id: str, name: str, expected_etag: str | None) -> None:
    """Point CURRENT at `name` only if CURRENT is still what this writer read (compare-and-swap)."""
    condition = {"IfMatch": expected_etag} if expected_etag else {"IfNoneMatch": "*"}
    with _reaching(store, f"swap {dataset_id}/CURRENT"):
        try:
            store.client.put_object(
                Bucket=store.bucket,
                Key=store.key(dataset_id, POINTER_NAME),
                Body=(name + "\n").encode(),
                **condition,
            )
        except Exception as exc:
            if _is_conditional(exc):
                raise SnapshotError(
                    f"{dataset_id}: CURRENT moved while this refresh ran; it was not replaced"
                ) from None
            raise


def prune(store: ObjectStore, dataset_id: str, keep: int) -> None:
    """Delete snapshot prefixes beyond the newest `keep` (a writer may list; readers never do)."""
    pointer = read_pointer(store, dataset_id)
    with _reaching(store, f"list {dataset_id}"):
        infos = store.fs.get_file_info(pafs.FileSelector(store.path(dataset_id), allow_not_found=True))
        names = sorted(
            i.base_name for i in infos if i.type == pafs.FileType.Directory and i.base_name[:1].isdigit()
        )
        for name in names[:-keep]:
            if name != pointer:
                store.fs.delete_dir(store.path(dataset_id, name))


@contextlib.contextmanager
def lease(store: ObjectStore, dataset_id: str, seconds: int = LEASE_SECONDS) -> Iterator[None]:
    """Hold the dataset's LEASE object so that two refreshes (on any machines) never interleave."""
    key = store.key(dataset_id, LEASE_NAME)
    owner = f"{socket.gethostname()}:{os.getpid()}:{time.time_ns()}"
    body = json.dumps({"owner": owner, "expires": time.time() + seconds}).encode()
    if not _create(store, key, body):
        _break_if_expired(store, dataset_id, key)
        if not _create(store, key, body):
            raise SnapshotError(f"{dataset_id}: another refresh is running; wait for it to finish")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            store.client.delete_object(Bucket=store.bucket, Key=key)


def _create(store: ObjectStore, key: str, body: bytes) -> bool:
    with _reaching(store, f"take {key}"):
        try:
            store.client.put_object(Bucket=store.bucket, Key=key, Body=body, IfNoneMatch="*")
        except Exception as exc:
            if _is_conditional(exc):
                return False
            raise
    return True


def _break_if_expired(store: ObjectStore, dataset_id: str, key: str) -> None:
    """Remove a lease whose holder let it expire (a refresh that crashed)."""
    text = read_text(store, dataset_id, LEASE_NAME)
    if text and json.loads(text).get("expires", 0) < time.time():
        with _reaching(store, f"break {key}"):
            store.client.delete_object(Bucket=store.bucket, Key=key)


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _is_conditional(exc: Exception) -> bool:
    """A refused If-Match / If-None-Match: 412, or 409 when another conditional write is in flight."""
    code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
    return code in {"PreconditionFailed", "ConditionalRequestConflict"} or _status(exc) in {409, 412}


def pull_current(store: ObjectStore, dataset_id: str, local_root: Path) -> str | None:
    """Copy the dataset's current snapshot into a local folder store (a refresh's working copy)."""
    from store.replica import fetch_snapshot  # replica builds on this module, not the other way

    name = read_pointer(store, dataset_id)
    if name is None:
        return None
    fetch_snapshot(store, dataset_id, name, Path(local_root))
    pointer = Path(local_root) / dataset_id / POINTER_NAME
    tmp = pointer.with_name(f".{POINTER_NAME}.{os.getpid()}.tmp")
    tmp.write_text(name + "\n")
    os.replace(tmp, pointer)
    return name


def push_current(store: ObjectStore, snap: Snapshot, expected_etag: str | None, keep: int) -> None:
    """Publish a local snapshot: immutable prefix, verified, then CURRENT by compare-and-swap."""
    upload_snapshot(store, snap)
    swap_pointer(store, snap.dataset_id, snap.name, expected_etag)
    prune(store, snap.dataset_id, keep)
