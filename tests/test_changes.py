"""What changed since the last snapshot: records added, removed and revised, and the months that moved."""

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from loaders.refresh import RefreshOptions, refresh
from query.quality import source_quality
from store import snapshots
from tests.feedserver import make_table
from tests.local_city import serve_city, source_entry, write_catalog


def _month_counts(table: pa.Table) -> dict[str, int]:
    months = pc.strftime(table.column("occurred"), format="%Y-%m")
    return {row["values"]: row["counts"] for row in pc.value_counts(months).to_pylist()}


def test_a_moved_a_deleted_and_an_added_record_show_as_changes(tmp_path, feed_server):
    """One record moved to another month, one deleted, one added: each counted, each month's old and new count listed."""
    serve_city(feed_server)
    table = make_table(500, seed=8)
    feed_server.add_dataset("crime", table)
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_crime", "crime_incident", "socrata", "crime")
    )
    options = RefreshOptions(cache_root=tmp_path / "cache", is_full=True)
    refresh(catalog, options)
    first = snapshots.current(tmp_path / "cache", "t_crime")
    occurred = table.column("occurred").to_pylist()
    occurred[10] = datetime(2019, 6, 15, 12, 0)  # moved to a month of its own, before the data began
    revised = table.set_column(1, "occurred", pa.array(occurred, pa.timestamp("us")))
    added = make_table(501, seed=8).slice(500).set_column(0, "id", pa.array(["NEW-1"]))
    revised = pa.concat_tables([revised.slice(1), added])  # the first record deleted upstream
    feed_server.add_dataset("crime", revised)
    [outcome] = refresh(catalog, options)
    assert outcome.status == "ok", outcome.message
    changes = snapshots.current(tmp_path / "cache", "t_crime").manifest.stats["changes"]
    assert (changes["added"], changes["removed"], changes["revised"]) == (1, 1, 1)
    assert changes["previous_snapshot"] == first.snapshot_id
    before, after = _month_counts(table), _month_counts(revised)
    expected = {m: (before.get(m, 0), after.get(m, 0)) for m in before.keys() | after.keys()}
    expected = {m: c for m, c in expected.items() if c[0] != c[1]}
    assert {c["month"]: (c["before"], c["after"]) for c in changes["months"]} == expected
    assert "2019-06" in expected
    words = " ".join(source_quality(snapshots.current(tmp_path / "cache", "t_crime").manifest).changes)
    assert "1 added, 1 removed, 1 revised" in words and "Jun 2019: 0 → 1" in words
