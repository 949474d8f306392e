"""The synthetic Demo City: deterministic, plausible, geographically consistent, served page by page."""

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import shapely

from loaders import demo_city
from loaders.catalog import load_catalog
from loaders.demo_city import DEMO_SEED, KINDS, SOURCE_UPDATED_AT, raw_feed
from loaders.errors import FeedConfigError
from loaders.platforms.base import UPDATED_AT_COLUMN, PullRequest
from loaders.platforms.demo import DemoAdapter, fetch_reference

COLUMNS = {
    "crime_incident": [
        "incident_number", "offense_description", "occurred_on", "reported_on", "precinct",
        "latitude", "longitude", "updated_at",
    ],
    "complaint": [
        "complaint_number", "allegation_number", "allegation", "fado_type", "disposition", "incident_date",
        "received_date", "closed_date", "precinct", "complainant_ethnicity", "complainant_gender",
        "complainant_age", "mos_ethnicity", "mos_gender", "mos_age",
    ],
    "use_of_force": [
        "tri_incident_number", "subject_id", "force_type", "occurrence_date", "incident_pct", "subject_race",
        "subject_gender", "subject_age", "subject_injured", "officer_injured", "latitude", "longitude",
    ],
}  # fmt: skip
# The raw value sets the catalogue and recode tables are written against.
VALUE_SETS = {
    ("complaint", "fado_type"): {"Force", "Abuse of Authority", "Discourtesy", "Offensive Language"},
    ("complaint", "disposition"): {
        "Substantiated (Charges)", "Substantiated (Command Discipline)", "Unsubstantiated", "Exonerated",
        "Unfounded", "Officer(s) Unidentified", "Closed - Pending Litigation", "Pending",
    },
    ("complaint", "complainant_ethnicity"): {
        "Black", "White", "Hispanic", "Asian", "American Indian", "Other Race", "Unknown", None,
    },
    ("complaint", "complainant_gender"): {"Male", "Female", "Transwoman (MTF)", "Not described", None},
    ("complaint", "mos_ethnicity"): {"White", "Black", "Hispanic", "Asian", "American Indian"},
    ("complaint", "mos_gender"): {"M", "F"},
    ("use_of_force", "force_type"): {
        "Physical Force", "Electrical Weapon", "OC Spray", "Impact Weapon", "Firearm",
        "Restraining Mesh Blanket", "Police Canine",
    },
    ("use_of_force", "subject_race"): {
        "BLACK", "WHITE", "HISPANIC", "ASIAN / PAC.ISL", "AMER IND", "OTHER", "UNKNOWN",
    },
    ("use_of_force", "subject_gender"): {"MALE", "FEMALE", "UNKNOWN"},
    ("use_of_force", "subject_injured"): {"Y", "N"},
    ("use_of_force", "officer_injured"): {"Y", "N"},
}  # fmt: skip
PRECINCT_COLUMN = {"crime_incident": "precinct", "complaint": "precinct", "use_of_force": "incident_pct"}
ALL_PRECINCTS = {f"P{i:02d}" for i in range(1, 31)}


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _polygons_by_precinct(seed: int = DEMO_SEED) -> dict[str, shapely.Polygon]:
    doc = orjson.loads(demo_city.boundaries_geojson(seed))
    return {f["properties"]["precinct"]: shapely.geometry.shape(f["geometry"]) for f in doc["features"]}


def _dates(values: pa.Array, fmt: str) -> np.ndarray:
    return pc.strptime(values, format=fmt, unit="s").to_numpy(zero_copy_only=False)


def _pull(source_id: str, **changes) -> tuple[list[pa.Table], list[tuple[int, int]], object]:
    source = load_catalog().source(source_id)
    endpoint = changes.pop("endpoint", None)
    if endpoint:
        source = replace(source, endpoint=endpoint)
    pages, calls = [], []
    result = DemoAdapter().pull(
        PullRequest(source, **changes), None, pages.append, lambda p, r: calls.append((p, r))
    )
    return pages, calls, result


def test_same_seed_gives_identical_bytes_and_another_seed_differs():
    """Regenerating from scratch reproduces every feed and reference file byte for byte."""
    first = {kind: _ipc_bytes(raw_feed(kind)) for kind in KINDS}
    refs = (demo_city.boundaries_geojson(), demo_city.population_csv())
    for cached in (
        demo_city._raw_feed,
        demo_city.demo_city,
        demo_city.boundaries_geojson,
        demo_city.population_csv,
    ):
        cached.cache_clear()
    assert {kind: _ipc_bytes(raw_feed(kind)) for kind in KINDS} == first
    assert (demo_city.boundaries_geojson(), demo_city.population_csv()) == refs
    assert _ipc_bytes(raw_feed("complaint", DEMO_SEED + 1)) != first["complaint"]


def test_feeds_have_the_raw_columns_all_as_text():
    """Each feed has exactly the documented raw column names, every one a string column."""
    for kind in KINDS:
        table = raw_feed(kind)
        assert table.column_names == COLUMNS[kind]
        assert all(pa.types.is_string(t) for t in table.schema.types)


def test_row_counts_and_identifiers():
    """About 150k crimes, 5k allegations in 2k complaints, 8k subjects in 6.5k incidents; ids unique."""
    crime, complaints, force = (raw_feed(kind) for kind in KINDS)
    assert 140_000 <= crime.num_rows <= 160_000
    assert 4_500 <= complaints.num_rows <= 5_800
    assert 1_800 <= pc.count_distinct(complaints["complaint_number"]).as_py() <= 2_300
    assert 7_200 <= force.num_rows <= 8_800
    assert 6_000 <= pc.count_distinct(force["tri_incident_number"]).as_py() <= 7_000
    for table, column in (
        (crime, "incident_number"),
        (complaints, "allegation_number"),
        (force, "subject_id"),
    ):
        assert pc.count_distinct(table[column]).as_py() == table.num_rows
    assert pc.all(pc.match_substring_regex(crime["incident_number"], r"^C\d{7}$")).as_py()


def test_categorical_columns_stay_within_their_raw_value_sets():
    """Raw categories take only the documented values, and the common ones all occur."""
    for (kind, column), allowed in VALUE_SETS.items():
        seen = set(pc.unique(raw_feed(kind)[column]).to_pylist())
        assert seen <= allowed, (column, seen - allowed)
        assert len(seen) >= len(allowed) - 2, column  # only the rarest may be missing


def test_crime_points_lie_inside_their_precincts_polygon():
    """Every crime and use-of-force point is inside the polygon of the precinct it is filed under."""
    polygons = _polygons_by_precinct()
    for kind in ("crime_incident", "use_of_force"):
        table = raw_feed(kind)
        has_point = pc.is_valid(table["latitude"])
        located = table.filter(has_point)
        shapes = np.array([polygons[p] for p in located[PRECINCT_COLUMN[kind]].to_pylist()])
        lon = pc.cast(located["longitude"], pa.float64()).to_numpy()
        lat = pc.cast(located["latitude"], pa.float64()).to_numpy()
        assert shapely.contains_xy(shapes, lon, lat).all()
        assert pc.all(pc.is_valid(table[PRECINCT_COLUMN[kind]])).as_py()
        blank = 1 - located.num_rows / table.num_rows
        assert (0.01 < blank < 0.03) if kind == "crime_incident" else (0.07 < blank < 0.13)


@pytest.mark.parametrize("seed", [DEMO_SEED, 1, 2, 3, 99, 12345])
def test_neighborhoods_tile_the_city_without_gaps_or_overlaps(seed):
    """The 30 polygons are valid, overlap nowhere and together cover the whole rectangle."""
    polygons = list(_polygons_by_precinct(seed).values())
    assert len(polygons) == 30 and all(p.is_valid for p in polygons)
    union = shapely.union_all(polygons)
    total = sum(p.area for p in polygons)
    assert union.area == pytest.approx(total, rel=1e-9)
    assert union.area == pytest.approx(shapely.box(*union.bounds).area, rel=1e-9)
    assert shapely.get_num_interior_rings(union) == 0


def test_summer_has_more_crime_than_winter():
    """June–August hold clearly more crimes than December–February."""
    months = pc.month(pc.strptime(raw_feed("crime_incident")["occurred_on"], "%Y-%m-%dT%H:%M:%S.000", "s"))
    counts = np.bincount(months.to_numpy(), minlength=13)
    assert counts[[6, 7, 8]].sum() > 1.2 * counts[[12, 1, 2]].sum()


def test_every_neighborhood_has_data_and_rates_differ():
    """All 30 precincts appear in every feed, and the busiest has several times the crimes of the quietest."""
    for kind in KINDS:
        assert set(pc.unique(raw_feed(kind)[PRECINCT_COLUMN[kind]]).to_pylist()) == ALL_PRECINCTS
    counts = pc.value_counts(raw_feed("crime_incident")["precinct"]).field("counts").to_numpy()
    assert counts.max() > 4 * counts.min()


def test_dates_are_well_formed_and_in_order():
    """Occurrences fall in 2019–2025; reports follow within 5 days; complaints close after they are received."""
    crime = raw_feed("crime_incident")
    occurred = _dates(crime["occurred_on"], "%Y-%m-%dT%H:%M:%S.000")
    delay = _dates(crime["reported_on"], "%Y-%m-%dT%H:%M:%S.000") - occurred
    assert occurred.min() >= np.datetime64("2019-01-01") and occurred.max() < np.datetime64("2026-01-01")
    assert delay.min() >= np.timedelta64(0) and delay.max() <= np.timedelta64(5, "D")
    updated = _dates(crime["updated_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert updated.max() <= np.datetime64(SOURCE_UPDATED_AT.replace(tzinfo=None))
    complaints = raw_feed("complaint")
    incident, received = (_dates(complaints[c], "%m/%d/%Y") for c in ("incident_date", "received_date"))
    assert (received >= incident).all()
    is_open = pc.is_null(complaints["closed_date"]).to_numpy(zero_copy_only=False)
    assert (is_open == pc.equal(complaints["disposition"], "Pending").to_numpy(zero_copy_only=False)).all()
    closed = _dates(complaints["closed_date"].filter(pc.invert(pa.array(is_open))), "%m/%d/%Y")
    assert (closed > received[~is_open]).all()


def test_allegations_of_a_complaint_share_its_facts():
    """All allegations of one complaint carry the same dates, precinct and complainant."""
    shared = ["incident_date", "received_date", "closed_date", "precinct", "complainant_ethnicity",
              "complainant_gender", "complainant_age"]  # fmt: skip
    table = raw_feed("complaint").select(["complaint_number", *shared])
    keyed = table.group_by("complaint_number").aggregate(
        [(c, "count_distinct", pc.CountOptions("all")) for c in shared]
    )
    for column in shared:
        assert pc.max(keyed[f"{column}_count_distinct"]).as_py() == 1, column


def test_substantiation_is_about_a_quarter_of_closed_allegations():
    """Roughly 25% of closed allegations are substantiated, as in the CCRB file."""
    disposition = raw_feed("complaint")["disposition"]
    closed = disposition.filter(pc.not_equal(disposition, "Pending"))
    share = pc.sum(pc.starts_with(closed, "Substantiated")).as_py() / len(closed)
    assert 0.20 < share < 0.30


def test_reference_files_describe_30_synthetic_neighborhoods():
    """Boundaries carry ids, names, districts, precincts and the synthetic flag; population rows add up."""
    doc = orjson.loads(fetch_reference("demo://boundaries"))
    props = [f["properties"] for f in doc["features"]]
    assert [p["neighborhood_id"] for p in props] == [f"N{i:02d}" for i in range(1, 31)]
    assert len({p["neighborhood_name"] for p in props}) == 30
    assert {p["district"] for p in props} == {f"D{i}" for i in range(1, 7)}
    assert all(p["synthetic"] is True for p in props)
    rows = list(csv.DictReader(io.StringIO(fetch_reference("demo://population").decode())))
    assert [r["neighborhood_id"] for r in rows] == [p["neighborhood_id"] for p in props]
    groups = ["pop_black", "pop_white", "pop_hispanic", "pop_asian", "pop_other"]
    for row in rows:
        assert 4_000 <= int(row["population"]) <= 60_000
        assert sum(int(row[g]) for g in groups) == int(row["population"])
    black_share = [int(r["pop_black"]) / int(r["population"]) for r in rows]
    assert max(black_share) - min(black_share) > 0.2
    assert fetch_reference("demo://population?seed=5") != fetch_reference("demo://population")


def test_adapter_pages_cover_every_row_exactly_once():
    """Pages of the requested size, in order, add up to the whole feed with no row twice."""
    pages, calls, result = _pull("demo_crime", page_size=40_000)
    table = raw_feed("crime_incident")
    assert [p.num_rows for p in pages[:-1]] == [40_000] * (len(pages) - 1)
    whole = pa.concat_tables(pages)
    assert whole.drop_columns([UPDATED_AT_COLUMN]).equals(table)
    assert calls == [(i + 1, min((i + 1) * 40_000, table.num_rows)) for i in range(len(pages))]
    assert (result.pages, result.rows, result.source_count) == (len(pages), table.num_rows, table.num_rows)
    assert result.source_updated_at == SOURCE_UPDATED_AT
    assert whole[UPDATED_AT_COLUMN].type == pa.timestamp("us", tz="UTC")


def test_incremental_pull_returns_only_rows_updated_since():
    """With a watermark the crime feed sends only later updates; complaints are sent whole."""
    since = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    pages, _, result = _pull("demo_crime", since=since, page_size=10_000)
    stamps = pa.concat_arrays([p[UPDATED_AT_COLUMN].combine_chunks() for p in pages])
    expected = pc.sum(pc.greater(raw_feed("crime_incident")["updated_at"], "2025-06-01T12:00:00Z")).as_py()
    assert 0 < result.rows == len(stamps) == expected < raw_feed("crime_incident").num_rows
    assert pc.min(stamps).as_py() > since
    _, _, whole = _pull("demo_complaints", since=since)
    assert whole.rows == raw_feed("complaint").num_rows


def test_endpoint_seed_is_honoured_and_bad_endpoints_are_refused():
    """?seed=N selects another city; an unknown feed or a non-numeric seed is a configuration error."""
    pages, _, _ = _pull("demo_use_of_force", endpoint="demo://use_of_force?seed=8")
    assert pa.concat_tables(pages).equals(raw_feed("use_of_force", 8))
    assert not pa.concat_tables(pages).equals(raw_feed("use_of_force"))
    for endpoint in ("demo://parking_tickets", "demo://complaint?seed=abc", "demo://complaint?seed=-1"):
        with pytest.raises(FeedConfigError):
            _pull("demo_complaints", endpoint=endpoint)
    with pytest.raises(FeedConfigError):
        fetch_reference("demo://census")
