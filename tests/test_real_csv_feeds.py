"""The real NYC and Seattle CSV exports in ../shared load through the catalogue's csv entries, every row."""

import csv
import dataclasses
from pathlib import Path
from types import MappingProxyType

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from loaders.catalog import Catalog, load_catalog
from loaders.refresh import RefreshOptions, refresh
from store import snapshots
from tests.shared_data import shared_file

pytestmark = pytest.mark.shared
FIXTURES = Path(__file__).parent / "fixtures"


def _rows_in(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def _local_catalog(feed_server, city_files: dict, source_files: dict) -> Catalog:
    """The shipped catalogue, with the chosen cities' and sources' URLs pointed at the local server."""
    catalog = load_catalog()
    cities = dict(catalog.cities)
    for city_id, (boundaries, population) in city_files.items():
        cities[city_id] = dataclasses.replace(
            cities[city_id],
            boundaries_url=feed_server.add_file(f"{city_id}.geojson", boundaries.read_bytes()),
            population_url=feed_server.add_file(f"{city_id}_pop.csv", population.read_bytes()),
        )
    sources = tuple(
        dataclasses.replace(
            catalog.source(sid), endpoint=feed_server.add_file(f"{sid}.csv", path.read_bytes())
        )
        for sid, path in source_files.items()
    )
    return Catalog(MappingProxyType(cities), sources, catalog.path)


@pytest.mark.parametrize(
    ("source_id", "city_id", "data_file"),
    [
        ("nyc_use_of_force", "nyc", "nyc/NYPD_Use_of_Force_Incidents.csv"),
        ("seattle_use_of_force", "seattle", "seattle/Use_Of_Force.csv"),
        ("seattle_crime", "seattle", "seattle/SPD_Crime_Data_2008-Present_ROBBERY_only.csv"),
    ],
)
def test_real_export_loads_every_row(tmp_path, feed_server, source_id, city_id, data_file):
    """A real portal export becomes a snapshot with exactly the file's row count, dated and placed."""
    data = shared_file(data_file)
    if city_id == "nyc":
        reference = (shared_file("nyc/nyc_precincts.geojson"), shared_file("nyc/nyc_precinct_2020pop.csv"))
    else:
        reference = (
            FIXTURES / "seattle_precincts_handmade.geojson",
            FIXTURES / "seattle_precinct_population_handmade.csv",
        )
    catalog = _local_catalog(feed_server, {city_id: reference}, {source_id: data})
    [outcome] = refresh(catalog, RefreshOptions(cache_root=tmp_path))
    assert outcome.status == "ok", outcome.message
    snap = snapshots.current(tmp_path, source_id)
    assert snap.manifest.row_count == _rows_in(data)
    table = pq.read_table(snap.file("data.parquet"), columns=["occurred_at", "neighborhood_id"])
    assert table.column("occurred_at").null_count / table.num_rows < 0.01, (
        "dates parse in the catalogue's format"
    )
    assigned = table.num_rows - table.column("neighborhood_id").null_count
    assert assigned / table.num_rows > 0.9, snap.manifest.stats["geo_methods"]


def test_nyc_precinct_population_sums_to_the_census_total(tmp_path, feed_server):
    """NYC's reference data joins all 77 precincts to the 2020 census, 8,804,081 residents in all."""
    data = shared_file("nyc/NYPD_Use_of_Force_Incidents.csv")
    reference = (shared_file("nyc/nyc_precincts.geojson"), shared_file("nyc/nyc_precinct_2020pop.csv"))
    catalog = _local_catalog(feed_server, {"nyc": reference}, {"nyc_use_of_force": data})
    refresh(catalog, RefreshOptions(cache_root=tmp_path))
    snap = snapshots.current(tmp_path, "nyc__reference")
    hoods = pq.read_table(snap.file("neighborhoods.parquet"))
    assert hoods.num_rows == 77
    assert pc.sum(hoods.column("population")).as_py() == 8_804_081
