"""Normalize: renaming, dates in the city's zone, recodes that count what they do not know, neighborhoods."""

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from loaders.catalog import parse_catalog
from loaders.geo import NeighborhoodIndex
from loaders.normalize import Normalizer

FIXTURES = Path(__file__).parent / "fixtures"


def _catalog(kind="use_of_force", fields=None, geography=None, **extra):
    source = {
        "id": "t_src",
        "city": "t",
        "kind": kind,
        "platform": "csv",
        "endpoint": "http://127.0.0.1/x.csv",
        "title": "T",
        "publisher": "P",
        "landing_page": "http://127.0.0.1/",
        "licence": "CC0",
        "date_field": "when",
        "fields": fields
        or {
            "record_id": "id",
            "incident_id": "id",
            "force_type_raw": "force",
            "subject_race_raw": "race",
            "subject_sex_raw": "sex",
            "subject_age": "age",
            "subject_injured": "hurt",
        },
        "geography": geography or {"method": "point", "lat": "lat", "lon": "lon", "district_field": "pct"},
        **extra,
    }
    city = {
        "name": "Test",
        "time_zone": "America/New_York",
        "boundaries_url": "http://127.0.0.1/b",
        "population_url": "http://127.0.0.1/p",
        "boundary_id_field": "hood",
        "boundary_name_field": "label",
    }
    return parse_catalog({"cities": {"t": city}, "sources": [source]})


@pytest.fixture
def index():
    return NeighborhoodIndex.from_geojson((FIXTURES / "two_squares.geojson").read_bytes(), "hood", "label")


def test_use_of_force_page_is_renamed_recoded_and_placed(index):
    """A raw page becomes canonical rows: recoded values beside raw ones, a neighborhood per point."""
    catalog = _catalog()
    raw = pa.table(
        {
            "id": ["a", "b", "c"],
            "when": ["01/31/2021", "02/01/2021", "not a date"],
            "force": ["OC Spray", "Physical Force", "Sonic Cannon"],
            "race": ["BLACK", None, "ASIAN / PAC.ISL"],
            "sex": ["MALE", "F", "x"],
            "age": ["28", "", "200x"],
            "hurt": ["Y", "N", None],
            "lat": ["0.5", None, "0"],
            "lon": ["-0.5", None, "0"],
            "pct": [None, "E", "nowhere"],
        }
    )
    norm = Normalizer(catalog.sources[0], catalog.cities["t"], index)
    out = norm.normalize(raw).to_pydict()
    assert out["force_type"] == ["Chemical spray", "Physical force", "Sonic Cannon"]
    assert out["force_type_raw"] == ["OC Spray", "Physical Force", "Sonic Cannon"]
    assert out["subject_race"] == ["Black", "Unknown", "Asian / Pacific Islander"]
    assert out["subject_sex"] == ["Male", "Female", "Other"]
    assert out["subject_age"] == [28, None, None]
    assert out["subject_injured"] == [True, False, None]
    assert out["occurred_date"] == [date(2021, 1, 31), date(2021, 2, 1), None]
    assert out["occurred_month"] == [date(2021, 1, 1), date(2021, 2, 1), None]
    assert out["neighborhood_id"] == ["W", "E", None]
    assert out["neighborhood_name"] == ["West Square", "East Square", None]
    assert out["geo_method"] == ["point", "source_field", "unassigned"]
    assert out["lat"] == [0.5, None, None], "0,0 is a missing location, not a place"
    stats = norm.stats.as_dict()
    assert stats["unmapped_values"]["force_type"] == {"Sonic Cannon": 1}
    assert stats["date_failures"] == 1
    assert stats["unassigned_share"] == pytest.approx(1 / 3, abs=1e-3)


def test_floating_local_times_stay_local_and_utc_instants_are_converted(index):
    """Floating times are the city's wall clock; instants with Z move into the city's zone."""
    catalog = _catalog(date_format="iso")
    raw = pa.table({"id": ["a", "b"], "when": ["2021-01-01T00:30:00.000", "2021-01-01T03:30:00Z"]})
    out = Normalizer(catalog.sources[0], catalog.cities["t"], index).normalize(raw).to_pydict()
    assert [t.isoformat() for t in out["occurred_at"]] == [
        "2021-01-01T00:30:00-05:00",
        "2020-12-31T22:30:00-05:00",
    ]
    assert out["occurred_month"] == [date(2021, 1, 1), date(2020, 12, 1)], "the month is the local month"


def test_crime_offense_is_categorised_by_table_then_keyword(index):
    """Offense categories come from exact entries, then keywords; the published offense is kept."""
    catalog = _catalog(kind="crime_incident", fields={"record_id": "id", "offense_raw": "offense"})
    raw = pa.table(
        {
            "id": ["1", "2", "3", "4"],
            "when": ["01/01/2020"] * 4,
            "offense": ["DANGEROUS DRUGS", "PETIT LARCENY", "FELONY ASSAULT", "FORTUNE TELLING"],
        }
    )
    out = Normalizer(catalog.sources[0], catalog.cities["t"], index).normalize(raw).to_pydict()
    assert out["offense_category"] == ["drug", "property", "violent", "FORTUNE TELLING"]
    assert out["offense_raw"][3] == "FORTUNE TELLING"


def test_source_recode_overrides_shared_table(index):
    """A catalogue recode wins over the shared table for that source only."""
    catalog = _catalog(recode={"force_type": {"Physical Force": "Other"}})
    raw = pa.table({"id": ["a"], "when": ["01/01/2020"], "force": ["physical force"]})
    out = Normalizer(catalog.sources[0], catalog.cities["t"], index).normalize(raw).to_pydict()
    assert out["force_type"] == ["Other"]
