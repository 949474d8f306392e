"""Pinned links reopen last month's figures after newer snapshots; old snapshots are kept by age and size."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from streamlit.testing.v1 import AppTest

from loaders.refresh import RefreshOptions, refresh
from query import Filters, open_city, page_aggregates
from store import snapshots
from tests.feedserver import make_table
from tests.local_city import serve_city, source_entry, write_catalog

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
YEAR = Filters.make("crime_incident", date(2021, 1, 1), date(2021, 12, 31))


def _count(city) -> int:
    return page_aggregates(city, YEAR).totals.records


def _two_snapshots(tmp_path, feed_server):
    """A first refresh, its pin, then a second refresh after the publisher dropped 200 records of 2021."""
    serve_city(feed_server)
    table = make_table(1200, seed=6)
    feed_server.add_dataset("crime", table)
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    options = RefreshOptions(cache_root=tmp_path / "cache", is_full=True, is_drop_allowed=True)
    refresh(catalog, options)
    first = open_city(tmp_path / "cache", "testville")
    pin, before = first.pin, _count(first)
    first.con.close()
    feed_server.add_dataset("crime", pa.concat_tables([table.slice(0, 350), table.slice(550)]))
    [outcome] = refresh(catalog, options)
    assert outcome.status == "ok", outcome.message
    return pin, before


def test_a_pinned_link_reopens_the_old_figures_after_a_newer_snapshot(tmp_path, feed_server):
    """as_of from before the second refresh gives the first snapshot's count; no as_of gives today's."""
    pin, before = _two_snapshots(tmp_path, feed_server)
    pinned = open_city(tmp_path / "cache", "testville", as_of=pin)
    now = open_city(tmp_path / "cache", "testville")
    assert _count(pinned) == before > _count(now)
    assert pinned.expired_pins == () and pinned.as_of == pin and pinned.snapshot_key != now.snapshot_key


def test_an_expired_pin_opens_current_data_and_says_so(tmp_path, feed_server):
    """A pin older than every kept snapshot opens today's data, naming what expired."""
    _two_snapshots(tmp_path, feed_server)
    city = open_city(tmp_path / "cache", "testville", as_of="20000101T0000")
    assert set(city.expired_pins) == {"t_crime", "testville__reference"}
    assert _count(city) == _count(open_city(tmp_path / "cache", "testville"))


def test_the_site_shows_a_pinned_view_with_a_notice(tmp_path, feed_server, monkeypatch):
    """?as_of= on the crime page shows the old headline and says the view is pinned."""
    pin, before = _two_snapshots(tmp_path, feed_server)
    monkeypatch.setenv("DASHBOARD_CACHE", str(tmp_path / "cache"))
    app = AppTest.from_file(APP, default_timeout=90)
    for key, value in {"city": "testville", "as_of": pin, "from": "2021-01-01", "to": "2021-12-31"}.items():
        app.query_params[key] = value
    app.run()
    app.switch_page("pages/crime.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("Pinned view" in i.value for i in app.info)
    assert f"{before:,}" in " ".join(m.value for m in app.markdown)


def _fake_snapshot(parent: Path, name: str, size: int) -> None:
    (parent / name).mkdir(parents=True)
    (parent / name / "data.parquet").write_bytes(b"x" * size)
    manifest = snapshots.Manifest(dataset_id="d", kind="crime_incident", fetched_at="", row_count=0, files={})
    (parent / name / "manifest.json").write_text(manifest.to_json())


def _stamp(days_ago: float) -> str:
    return snapshots.utc_stamp(datetime.now(UTC) - timedelta(days=days_ago))


def test_retention_keeps_13_months_then_trims_the_oldest_by_size_never_the_current(tmp_path):
    """Older than the retention goes; over the size cap the oldest go next; CURRENT always stays."""
    parent = tmp_path / "d"
    ages = {"ancient": 500, "old": 300, "month": 30, "week": 7, "new": 0}
    names = {k: _stamp(v) for k, v in ages.items()}
    for name in names.values():
        _fake_snapshot(parent, name, 1000)
    (parent / "CURRENT").write_text(names["month"] + "\n")  # a rollback: current is not the newest
    snapshots.prune(parent, retention=snapshots.Retention(days=396, max_bytes=10_000, keep=1))
    kept = sorted(p.name for p in parent.iterdir() if p.is_dir())
    assert kept == sorted(names[k] for k in ("old", "month", "week", "new"))
    snapshots.prune(parent, retention=snapshots.Retention(days=396, max_bytes=2_500, keep=1))
    kept = sorted(p.name for p in parent.iterdir() if p.is_dir())
    assert kept == sorted([names["month"], names["new"]])
    assert (parent / "HISTORY").read_text().split() == kept
    assert json.loads((parent / kept[0] / "manifest.json").read_text())["dataset_id"] == "d"


def test_a_snapshot_written_before_a_column_was_added_still_opens(tmp_path, feed_server):
    """A pinned or old snapshot without a newer schema column (subject_id) opens, that column empty."""
    serve_city(feed_server)
    feed_server.add_dataset("force", make_table(300, seed=3))
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_force", "use_of_force", "socrata", "force")
    )
    refresh(catalog, RefreshOptions(cache_root=tmp_path / "cache"))
    data = snapshots.current(tmp_path / "cache", "t_force").file("data.parquet")
    pq.write_table(pq.read_table(data).drop_columns(["subject_id"]), data)  # as written before the column
    city = open_city(tmp_path / "cache", "testville")
    assert city.query("SELECT count(*) AS n, count(subject_id) AS ids FROM use_of_force").iloc[
        0
    ].tolist() == [300, 0]
