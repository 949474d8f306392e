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
            population_url=population and feed_server.add_file(f"{city_id}_pop.csv", population.read_bytes()),
        )
    sources = []
    for sid, (path, *related) in source_files.items():
        source = dataclasses.replace(
            catalog.source(sid), endpoint=feed_server.add_file(f"{sid}.csv", path.read_bytes())
        )
        if related:
            url = feed_server.add_file(f"{sid}_related.csv", related[0].read_bytes())
            source = dataclasses.replace(source, join=dataclasses.replace(source.join, endpoint=url))
        sources.append(source)
    return Catalog(MappingProxyType(cities), tuple(sources), catalog.path)


def _distinct(path: Path, *columns: str) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return len({tuple(row[c].strip() for c in columns) for row in csv.DictReader(fh)})


NYC_REFERENCE = ("nyc/nyc_precincts.geojson", "nyc/nyc_precinct_2020pop.csv")
SEATTLE_REFERENCE = (FIXTURES / "seattle_precincts_handmade.geojson", None)


@pytest.mark.parametrize(
    ("source_id", "city_id", "files", "unit_columns"),
    [
        (
            "nyc_use_of_force",
            "nyc",
            ("nyc/NYPD_Use_of_Force__Subjects.csv", "nyc/NYPD_Use_of_Force_Incidents.csv"),
            None,
        ),
        ("seattle_use_of_force", "seattle", ("seattle/Use_Of_Force.csv",), ("Incident_Num", "Subject_ID")),
        (
            "seattle_crime",
            "seattle",
            ("seattle/SPD_Crime_Data_2008-Present_ROBBERY_only.csv",),
            ("Report Number",),
        ),
    ],
)
def test_real_export_loads_at_its_counting_unit(
    tmp_path, feed_server, source_id, city_id, files, unit_columns
):
    """A real portal export becomes one record per counted unit (subject, incident), dated and placed."""
    data = [shared_file(f) for f in files]
    reference = tuple(shared_file(f) for f in NYC_REFERENCE) if city_id == "nyc" else SEATTLE_REFERENCE
    catalog = _local_catalog(feed_server, {city_id: reference}, {source_id: data})
    [outcome] = refresh(catalog, RefreshOptions(cache_root=tmp_path))
    assert outcome.status == "ok", outcome.message
    snap = snapshots.current(tmp_path, source_id)
    expected = _rows_in(data[0]) if unit_columns is None else _distinct(data[0], *unit_columns)
    assert snap.manifest.row_count == expected
    assert outcome.pulled == _rows_in(data[0])
    table = pq.read_table(snap.file("data.parquet"), columns=["occurred_at", "neighborhood_id"])
    assert table.column("occurred_at").null_count / table.num_rows < 0.01, (
        "dates parse in the catalogue's format"
    )
    assigned = table.num_rows - table.column("neighborhood_id").null_count
    assert assigned / table.num_rows > 0.9, snap.manifest.stats["geo_methods"]
    assert snap.manifest.stats["quality"]["unjoined_share"] == 0.0


def test_nyc_subjects_keep_their_incident_and_share_it(tmp_path, feed_server):
    """NYC subjects joined to incidents: 16,650 distinct incidents, as many as the subjects file names."""
    data = [
        shared_file(f) for f in ("nyc/NYPD_Use_of_Force__Subjects.csv", "nyc/NYPD_Use_of_Force_Incidents.csv")
    ]
    reference = tuple(shared_file(f) for f in NYC_REFERENCE)
    catalog = _local_catalog(feed_server, {"nyc": reference}, {"nyc_use_of_force": data})
    [outcome] = refresh(catalog, RefreshOptions(cache_root=tmp_path))
    assert outcome.status == "ok", outcome.message
    snap = snapshots.current(tmp_path, "nyc_use_of_force")
    incidents = pq.read_table(snap.file("data.parquet"), columns=["incident_id"]).column("incident_id")
    assert pc.count_distinct(incidents).as_py() == _distinct(data[0], "TRI Incident Number")


def test_nyc_precinct_population_sums_to_the_census_total(tmp_path, feed_server):
    """NYC's reference data joins all 77 precincts to the 2020 census, 8,804,081 residents in all."""
    data = [
        shared_file(f) for f in ("nyc/NYPD_Use_of_Force__Subjects.csv", "nyc/NYPD_Use_of_Force_Incidents.csv")
    ]
    reference = tuple(shared_file(f) for f in NYC_REFERENCE)
    catalog = _local_catalog(feed_server, {"nyc": reference}, {"nyc_use_of_force": data})
    refresh(catalog, RefreshOptions(cache_root=tmp_path))
    snap = snapshots.current(tmp_path, "nyc__reference")
    hoods = pq.read_table(snap.file("neighborhoods.parquet"))
    assert hoods.num_rows == 77
    assert pc.sum(hoods.column("population")).as_py() == 8_804_081
