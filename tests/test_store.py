"""Snapshot store: atomic publish, the CURRENT pointer, pruning, locks and refusals."""

import json

import pytest

from store import snapshots
from store.snapshots import Manifest, SnapshotError


def _stage(root, dataset="feed", body=b"rows", rows=1):
    staging = snapshots.new_staging_dir(root, dataset)
    (staging / "data.parquet").write_bytes(body)
    manifest = Manifest(
        dataset,
        "complaint",
        "2026-01-01T00:00:00+00:00",
        rows,
        {"data.parquet": snapshots.sha256_file(staging / "data.parquet")},
    )
    return staging, manifest


def test_publish_moves_current_to_the_new_snapshot(tmp_path):
    """After publish, readers resolve CURRENT to the new folder and its manifest."""
    assert snapshots.current(tmp_path, "feed") is None
    staging, manifest = _stage(tmp_path)
    snap = snapshots.publish(staging, manifest)
    found = snapshots.current(tmp_path, "feed")
    assert found.path == snap.path
    assert found.manifest.row_count == 1
    assert (found.path / "data.parquet").read_bytes() == b"rows"
    assert not staging.exists()


def test_a_file_changed_after_hashing_is_not_published(tmp_path):
    """A staged file whose bytes differ from the manifest's hash leaves CURRENT where it was."""
    staging, manifest = _stage(tmp_path)
    first = snapshots.publish(staging, manifest)
    staging, manifest = _stage(tmp_path, body=b"new rows")
    (staging / "data.parquet").write_bytes(b"tampered")
    with pytest.raises(SnapshotError, match="changed after it was hashed"):
        snapshots.publish(staging, manifest)
    assert snapshots.current(tmp_path, "feed").path == first.path


def test_only_the_last_snapshots_are_kept(tmp_path):
    """Publishing a fourth snapshot deletes the oldest; CURRENT's target is never deleted."""
    published = []
    for i in range(4):
        staging, manifest = _stage(tmp_path, body=f"v{i}".encode())
        published.append(snapshots.publish(staging, manifest))
    names = sorted(p.name for p in (tmp_path / "feed").iterdir() if p.name[0].isdigit())
    assert names == [s.name for s in published[1:]]
    assert snapshots.current(tmp_path, "feed").name == published[-1].name


def test_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    """Two refreshes of one dataset cannot interleave: the second is told to wait."""
    with snapshots.write_lock(tmp_path, "feed"):
        with pytest.raises(SnapshotError, match="another refresh is running"):
            with snapshots.write_lock(tmp_path, "feed"):
                pass
    with snapshots.write_lock(tmp_path, "feed"):
        pass


def test_failed_attempt_is_recorded_without_touching_current(tmp_path):
    """A failed try is remembered for the banner while the last good snapshot stays current."""
    staging, manifest = _stage(tmp_path)
    good = snapshots.publish(staging, manifest)
    snapshots.write_attempt(
        tmp_path, snapshots.Attempt("feed", "2026-02-01T00:00:00+00:00", "failed", "HTTP 503")
    )
    assert snapshots.read_attempt(tmp_path, "feed").error == "HTTP 503"
    assert snapshots.current(tmp_path, "feed").name == good.name
    assert json.loads((tmp_path / "feed" / "LAST_ATTEMPT.json").read_text())["status"] == "failed"
