"""'Check at the source' links ask the publisher's API for the same count the page shows, or say why they cannot."""

from datetime import date

import numpy as np
import pyarrow as pa
import pytest
import requests

from loaders.refresh import RefreshOptions, refresh
from query import Filters, open_city, page_aggregates
from query.source_check import arcgis_count_url, snapshot_query, socrata_count_url, source_checks
from tests.feedserver import make_table
from tests.local_city import serve_city, source_entry, write_catalog

CODES = ("O'Hare", "Peñalolén", "Loop")  # a quote and non-ASCII, as real district names have
GEOGRAPHY = {
    "socrata": ("lat", "lon"),
    "arcgis": ("__geometry_y", "__geometry_x"),
}


def _district_city(tmp_path, feed_server, platform: str):
    serve_city(feed_server)
    table = make_table(1500, seed=11)
    codes = pa.array(np.array(CODES)[np.random.default_rng(1).integers(0, 3, table.num_rows)])
    feed_server.add_dataset("force", table.append_column("district", codes))
    entry = source_entry(feed_server, "t_force", "use_of_force", platform, "force")
    lat, lon = GEOGRAPHY[platform]
    entry = entry.replace(
        f'method = "point"\nlat = "{lat}"\nlon = "{lon}"',
        'method = "source_field"\ndistrict_field = "district"\n[sources.geography.crosswalk]\n'
        '"O\'Hare" = "W"\n"Peñalolén" = "E"\n"Loop" = "E"',
    )
    catalog = write_catalog(tmp_path, feed_server, entry)
    [outcome] = refresh(catalog, RefreshOptions(cache_root=tmp_path / "cache"))
    assert outcome.status == "ok", outcome.message
    return open_city(tmp_path / "cache", "testville")


@pytest.mark.parametrize("platform", ["socrata", "arcgis"])
def test_the_source_counts_what_the_page_shows(tmp_path, feed_server, platform):
    """For a neighborhood placed by district code and a date window, the publisher's API returns the page's count."""
    city = _district_city(tmp_path, feed_server, platform)
    filters = Filters.make("use_of_force", date(2021, 3, 1), date(2022, 2, 28), neighborhood_ids=["E"])
    shown = page_aggregates(city, filters).totals.records
    [check] = source_checks(city, filters)
    assert check.url, check.explanation
    answer = requests.get(check.url, timeout=10).json()
    counted = int(answer[0]["count"]) if platform == "socrata" else answer["count"]
    assert counted == shown > 0


def test_recoded_categories_cannot_be_asked_at_the_source_and_say_so(tmp_path, feed_server):
    """A force-type filter is recoded here, so there is no link, and one sentence says why."""
    city = _district_city(tmp_path, feed_server, "socrata")
    [check] = source_checks(city, Filters.make("use_of_force", categories=["Firearm"]))
    assert check.url is None and "recoded" in check.explanation


def test_count_urls_quote_values_and_keep_non_ascii():
    """Quotes are doubled and non-ASCII is percent-encoded as UTF-8 in both platforms' URLs."""
    january = Filters.make("use_of_force", date(2024, 1, 1), date(2024, 1, 31))
    where = january.to_soql({"occurred_at": "occurred"})
    soql = socrata_count_url("https://x.example", "abcd-1234", where, "district", ("O'Hare", "Ñu"))
    assert "%24where=occurred+%3E%3D+%272024-01-01T00%3A00%3A00%27" in soql
    assert "O%27%27Hare" in soql and "%C3%91u" in soql and "%24select=count%28%2A%29" in soql
    esri_where = january.to_arcgis_where({"occurred_at": "occurred"}, "America/Chicago")
    esri = arcgis_count_url("https://x.example/FeatureServer/0", esri_where, None, ())
    assert "TIMESTAMP+%272024-01-01+06%3A00%3A00%27" in esri and "returnCountOnly=true" in esri


def test_the_shown_snapshot_query_counts_what_the_page_shows(tmp_path, feed_server):
    """The SQL printed under a figure, run over the snapshot, gives the figure."""
    city = _district_city(tmp_path, feed_server, "socrata")
    filters = Filters.make("use_of_force", date(2021, 1, 1), date(2021, 6, 30), neighborhood_ids=["W"])
    shown = page_aggregates(city, filters).totals.records
    assert int(city.query(snapshot_query(filters)).iloc[0, 0]) == shown > 0
