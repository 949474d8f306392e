"""The contract: canonical schemas, snapshot layout and manifests. Imports nothing else from the project."""

from store.schema import KINDS, SCHEMAS, KindSchema, schema_for
from store.snapshots import Manifest, Snapshot, SnapshotError, current

DEFAULT_CACHE_ROOT = "data/cache"

__all__ = [
    "DEFAULT_CACHE_ROOT",
    "KINDS",
    "SCHEMAS",
    "KindSchema",
    "Manifest",
    "Snapshot",
    "SnapshotError",
    "current",
    "schema_for",
]
