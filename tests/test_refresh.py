"""Refresh end to end against the local feed server: publish, refuse, retry, resume incrementally."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loaders.http import RetryPolicy
from loaders.refresh import RefreshOptions, refresh
from store import snapshots
from store.cityindex import read_city_index
from tests.feedserver import DatasetSettings, Fault, make_table
from tests.local_city import serve_city, source_entry, write_catalog

FAST = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=1.5)
REPO = Path(__file__).resolve().parents[1]


def _options(tmp_path, **kw):
    return RefreshOptions(cache_root=tmp_path / "cache", retry_policy=FAST, **kw)


def _ids(tmp_path, source_id):
    snap = snapshots.current(tmp_path / "cache", source_id)
    return pq.read_table(snap.file("data.parquet"), columns=["record_id"]).column("record_id").to_pylist()


def test_refresh_publishes_all_three_kinds_from_three_platforms(tmp_path, feed_server):
    """Socrata crime, CKAN complaints and ArcGIS use of force each land as a snapshot with a manifest."""
    serve_city(feed_server)
    for name, n in (("crime", 2500), ("complaints", 900), ("force", 1300)):
        feed_server.add_dataset(name, make_table(n, seed=n))
    catalog = write_catalog(
        tmp_path,
        feed_server,
        source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime"),
        source_entry(feed_server, "t_complaints", "complaint", "ckan", "complaints", page_size=400),
        source_entry(feed_server, "t_force", "use_of_force", "arcgis", "force"),
    )
    outcomes = refresh(catalog, _options(tmp_path))
    assert [(o.source_id, o.status) for o in outcomes] == [
        ("t_crime", "ok"),
        ("t_complaints", "ok"),
        ("t_force", "ok"),
    ], [o.message for o in outcomes]
    for sid, n in (("t_crime", 2500), ("t_complaints", 900), ("t_force", 1300)):
        manifest = snapshots.current(tmp_path / "cache", sid).manifest
        assert manifest.row_count == manifest.source_count == n
        assert manifest.newest_record_at and manifest.provenance["publisher"].startswith("Testville")
        assert 0 < manifest.stats["geo_methods"]["point"] <= n
        assert len(set(_ids(tmp_path, sid))) == n
    index = read_city_index(tmp_path / "cache", "testville")
    assert index.datasets == {
        "crime_incident": ["t_crime"],
        "complaint": ["t_complaints"],
        "use_of_force": ["t_force"],
    }


def test_socrata_pages_cover_every_row_once_despite_ties_and_a_capped_limit(tmp_path, feed_server):
    """With tied timestamps and a server cap below our page size, no row is lost or doubled."""
    serve_city(feed_server)
    table = make_table(3000, seed=3, ties=7)
    feed_server.add_dataset("crime", table, settings=DatasetSettings(socrata_max_limit=450))
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    [outcome] = refresh(catalog, _options(tmp_path))
    assert outcome.status == "ok", outcome.message
    assert sorted(_ids(tmp_path, "t_crime")) == sorted(table.column("id").to_pylist())
    assert outcome.pages == 7


def test_app_token_travels_only_in_a_header(tmp_path, feed_server, monkeypatch):
    """The token is sent as X-App-Token on every request and never appears in a URL or message."""
    serve_city(feed_server)
    feed_server.add_dataset("crime", make_table(300))
    feed_server.inject("/resource/crime.csv", Fault.server_error(503), times=5)
    monkeypatch.setenv("TEST_TOKEN", "canary-token-7f3a")
    catalog = write_catalog(
        tmp_path,
        feed_server,
        source_entry(
            feed_server, "t_crime", "crime_incident", "socrata", "crime", extra='token_env = "TEST_TOKEN"'
        ),
    )
    [outcome] = refresh(catalog, _options(tmp_path))
    assert outcome.status == "failed" and "canary" not in outcome.message
    feed_calls = [r for r in feed_server.requests if "/resource/" in r.path or "/api/views/" in r.path]
    assert feed_calls and all(r.headers.get("X-App-Token") == "canary-token-7f3a" for r in feed_calls)
    assert not any("canary" in r.path or "canary" in str(r.query) for r in feed_server.requests)


def test_failed_refresh_keeps_the_last_good_snapshot(tmp_path, feed_server):
    """A pull that keeps failing publishes nothing: CURRENT stays, and the failure is recorded."""
    serve_city(feed_server)
    feed_server.add_dataset("crime", make_table(500))
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    refresh(catalog, _options(tmp_path))
    good = snapshots.current(tmp_path / "cache", "t_crime")
    feed_server.inject("/resource/crime.csv", Fault.server_error(503), times=50)
    [outcome] = refresh(catalog, _options(tmp_path, is_full=True))
    assert outcome.status == "failed"
    assert "gave up after 3 attempts" in outcome.message
    assert snapshots.current(tmp_path / "cache", "t_crime").name == good.name
    assert snapshots.read_attempt(tmp_path / "cache", "t_crime").status == "failed"


def test_transient_faults_are_retried_until_the_pull_completes(tmp_path, feed_server):
    """429 with Retry-After, a 503, a cut-off body and a maintenance page are all ridden out."""
    serve_city(feed_server)
    feed_server.add_dataset("crime", make_table(1200))
    for fault in (
        Fault.rate_limited(retry_after_s=1),
        Fault.server_error(503),
        Fault.truncated(),
        Fault.html_maintenance(),
    ):
        feed_server.inject("/resource/crime.csv", fault)
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    options = RefreshOptions(
        cache_root=tmp_path / "cache", retry_policy=RetryPolicy(max_attempts=6, backoff_base_s=0.01)
    )
    started = time.monotonic()
    [outcome] = refresh(catalog, options)
    assert outcome.status == "ok", outcome.message
    assert time.monotonic() - started >= 1.0, "Retry-After: 1 was honoured"
    assert len(set(_ids(tmp_path, "t_crime"))) == 1200


def test_a_sharp_drop_in_rows_is_held_back(tmp_path, feed_server):
    """A full pull that suddenly has half the rows is not published without --allow-drop."""
    serve_city(feed_server)
    feed_server.add_dataset("crime", make_table(1000))
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    refresh(catalog, _options(tmp_path))
    feed_server.add_dataset("crime", make_table(1000).slice(0, 500))
    [outcome] = refresh(catalog, _options(tmp_path, is_full=True))
    assert outcome.status == "failed" and "fell from 1,000 to 500" in outcome.message
    assert snapshots.current(tmp_path / "cache", "t_crime").manifest.row_count == 1000
    [outcome] = refresh(catalog, _options(tmp_path, is_full=True, is_drop_allowed=True))
    assert outcome.status == "ok" and outcome.rows == 500


def test_incremental_refresh_pulls_only_changed_rows(tmp_path, feed_server):
    """After a full pull, the next refresh asks only for rows updated since, and merges them in."""
    serve_city(feed_server)
    table = make_table(4000, seed=9)
    feed_server.add_dataset("crime", table)
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    [full] = refresh(catalog, _options(tmp_path))
    newest = pc.max(table.column("updated_at")).as_py()
    changed = pa.array([i % 100 == 0 for i in range(4000)])
    stamps = pc.if_else(
        changed,
        pa.scalar(newest.replace(year=newest.year + 1), table.schema.field("updated_at").type),
        table.column("updated_at"),
    )
    cats = pc.if_else(changed, pa.scalar("RECLASSIFIED AS ROBBERY"), table.column("category"))
    table = table.set_column(6, "updated_at", stamps).set_column(2, "category", cats)
    feed_server.add_dataset("crime", table)
    [delta] = refresh(catalog, _options(tmp_path))
    assert delta.status == "ok" and delta.mode == "incremental", delta.message
    assert delta.pulled == 40 and delta.rows == 4000
    assert delta.bytes_received < full.bytes_received * 0.05
    snap = snapshots.current(tmp_path / "cache", "t_crime")
    offenses = pq.read_table(snap.file("data.parquet"), columns=["offense_raw"]).column("offense_raw")
    assert pc.sum(pc.equal(offenses, "RECLASSIFIED AS ROBBERY")).as_py() == 40


def test_killing_a_refresh_mid_write_leaves_current_readable(tmp_path, feed_server):
    """SIGKILL during a pull leaves CURRENT on a whole snapshot; the next refresh cleans up and publishes."""
    serve_city(feed_server)
    feed_server.add_dataset("crime", make_table(3000))
    catalog = write_catalog(
        tmp_path,
        feed_server,
        source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime", page_size=500),
    )
    cmd = [
        sys.executable,
        "-m",
        "loaders",
        "--catalog",
        str(catalog.path),
        "--cache",
        str(tmp_path / "cache"),
        "refresh",
    ]
    first = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    good = snapshots.current(tmp_path / "cache", "t_crime")
    feed_server.inject("offset=1500", Fault.slow(30))
    seen = len(feed_server.requests)
    proc = subprocess.Popen([*cmd, "--full"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not any(r.query.get("$offset") == ["1500"] for r in feed_server.requests[seen:]):
        assert time.monotonic() < deadline, "the refresh never reached the slow page"
        time.sleep(0.05)
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert [p.name for p in (tmp_path / "cache" / "t_crime").glob(".staging-*")], (
        "the kill left a half-written pull"
    )
    current = snapshots.current(tmp_path / "cache", "t_crime")
    assert current.name == good.name
    assert pq.read_metadata(current.file("data.parquet")).num_rows == 3000
    again = subprocess.run([*cmd, "--full"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert not list((tmp_path / "cache" / "t_crime").glob(".staging-*"))
    assert "t_crime" in again.stdout and "ok" in again.stdout
