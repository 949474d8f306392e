"""Snapshot store on S3 (moto's real server on 127.0.0.1): publish, race, swap, damage, outage."""

from dataclasses import replace

import pyarrow.parquet as pq
import pytest

from loaders.catalog import load_catalog
from loaders.parallel import refresh_all
from loaders.refresh import RefreshOptions
from query.db import open_city
from store import objectstore as obj
from store import snapshots
from store.replica import Replica

CRIME = "demo_crime"


def _refresh_demo(url, work, jobs=1):
    outcomes = refresh_all(
        load_catalog(), RefreshOptions(cache_root=work), [], ["demo"], jobs=jobs, store_url=url
    )
    expected = len(load_catalog().for_city("demo"))  # every Demo City feed, the survey included
    assert [o.status for o in outcomes] == ["ok"] * expected, [o.message for o in outcomes]


def _crime_rows(root) -> int:
    city = open_city(root, "demo")
    try:
        return int(city.query("SELECT count(*) AS n FROM crime_incident")["n"][0])
    finally:
        city.con.close()


def _publish_fewer_rows(url, work, rows):
    """A new crime snapshot holding the first `rows` rows, published to the store like a refresh does."""
    store = obj.ObjectStore.from_url(url)
    snap = snapshots.current(work, CRIME)
    staging = snapshots.new_staging_dir(work, CRIME)
    pq.write_table(pq.read_table(snap.file("data.parquet")).slice(0, rows), staging / "data.parquet")
    files = {"data.parquet": snapshots.sha256_file(staging / "data.parquet")}
    new = snapshots.publish(staging, replace(snap.manifest, row_count=rows, files=files))
    obj.push_current(store, new, obj.pointer_etag(store, CRIME), snapshots.KEEP_SNAPSHOTS)
    return new


def test_a_city_refreshed_into_the_store_is_served_by_a_replica(s3_store, tmp_path):
    """Demo City refreshed with --jobs 2 into s3:// opens on a replica with every kind and row."""
    _refresh_demo(s3_store, tmp_path / "work", jobs=2)
    state = Replica(s3_store, tmp_path / "replica").check()
    assert state.error is None
    city = open_city(state.root, "demo")
    try:
        assert city.kinds_with_data() == ("crime_incident", "complaint", "use_of_force")
        assert city.score_kinds_with_data() == ("community_sentiment",)
        local = snapshots.current(tmp_path / "work", CRIME)
        assert city.snapshots["crime_incident"][0].name == local.name
        assert _crime_rows(state.root) == local.manifest.row_count
    finally:
        city.con.close()


def test_two_refreshes_racing_cannot_both_replace_current(s3_store, tmp_path):
    """The second refresh of a source is refused while the first holds the lease, and a stale swap fails."""
    _refresh_demo(s3_store, tmp_path / "work")
    store = obj.ObjectStore.from_url(s3_store)
    with obj.lease(store, CRIME):
        with pytest.raises(snapshots.SnapshotError, match="another refresh is running"):
            with obj.lease(store, CRIME):
                pass
    stale = obj.pointer_etag(store, CRIME)
    winner = _publish_fewer_rows(s3_store, tmp_path / "work", 100)
    with pytest.raises(snapshots.SnapshotError, match="CURRENT moved"):
        obj.swap_pointer(store, CRIME, "20990101T000000000000Z", stale)
    assert obj.read_pointer(store, CRIME) == winner.name


def test_a_reader_keeps_its_snapshot_while_the_replica_swaps(s3_store, tmp_path):
    """A page that resolved the old copy reads it whole after the swap; new pages see the new snapshot."""
    _refresh_demo(s3_store, tmp_path / "work")
    replica = Replica(s3_store, tmp_path / "replica")
    old = replica.check().root
    before = _crime_rows(old)
    _publish_fewer_rows(s3_store, tmp_path / "work", 100)
    new = replica.check().root
    assert new != old
    assert _crime_rows(new) == 100
    assert _crime_rows(old) == before


def test_a_damaged_snapshot_is_never_served(s3_store, tmp_path):
    """Bytes that do not match the manifest's sha256 keep the replica on its last good copy, saying why."""
    _refresh_demo(s3_store, tmp_path / "work")
    replica = Replica(s3_store, tmp_path / "replica")
    good = replica.check().root
    store = obj.ObjectStore.from_url(s3_store)
    new = _publish_fewer_rows(s3_store, tmp_path / "work", 100)
    with store.fs.open_output_stream(store.path(CRIME, new.name, "data.parquet")) as fh:
        fh.write(b"not the bytes that were hashed")
    with pytest.raises(snapshots.SnapshotError, match="sha256"):
        obj.verify_snapshot(store, CRIME, new.name, new.manifest)
    state = replica.check()
    assert state.root == good and "sha256" in state.error
    assert _crime_rows(state.root) > 100


def test_a_replica_started_during_an_outage_serves_its_last_copy(s3_store, tmp_path, monkeypatch):
    """With the store unreachable a restarted replica keeps its local copy; a new one has none and says so."""
    _refresh_demo(s3_store, tmp_path / "work")
    good = Replica(s3_store, tmp_path / "replica").check().root
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    restarted = Replica(s3_store, tmp_path / "replica").check()
    assert restarted.root == good and "cannot" in restarted.error
    assert _crime_rows(restarted.root) > 0
    fresh = Replica(s3_store, tmp_path / "fresh").check()
    assert fresh.root is None and "cannot" in fresh.error
