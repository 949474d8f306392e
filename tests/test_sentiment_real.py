"""The real Chicago Police Sentiment Scores export in ../shared loads through the catalogue's entry."""

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pyarrow.parquet as pq
import pytest

from loaders.catalog import Catalog, load_catalog
from loaders.refresh import RefreshOptions, refresh
from query import gate
from store import snapshots
from tests.shared_data import shared_file

pytestmark = pytest.mark.shared
DISTRICTS = Path(__file__).parent / "fixtures" / "chicago_districts_handmade.geojson"
EXPORT = "chicago/Police_Sentiment_Scores.csv"


@pytest.fixture(scope="module")
def chicago(tmp_path_factory):
    """The shipped Chicago sentiment entry, served from the local feed server, refreshed once."""
    from tests.feedserver import FeedServer

    path = shared_file(EXPORT)
    root = tmp_path_factory.mktemp("chicago")
    catalog = load_catalog()
    with FeedServer() as server:
        city = dataclasses.replace(
            catalog.cities["chicago"],
            boundaries_url=server.add_file("districts.geojson", DISTRICTS.read_bytes()),
        )
        source = dataclasses.replace(
            catalog.source("chicago_sentiment"), endpoint=server.add_file("sentiment.csv", path.read_bytes())
        )
        local = Catalog(MappingProxyType({**catalog.cities, "chicago": city}), (source,), catalog.path)
        [outcome] = refresh(local, RefreshOptions(cache_root=root))
    return root, outcome, path


def _independent_district_scores(path: Path, column: str = "TRUST") -> pd.DataFrame:
    """Per-district monthly scores of one published column, read with pandas alone from the
    de-duplicated file."""
    raw = pd.read_csv(path, dtype=str).drop_duplicates()
    district = raw[raw["DISTRICT"].notna() & raw["SECTOR"].isna() & raw[column].notna()]
    start = pd.to_datetime(district["START_DATE"], format="%m/%d/%Y")
    end = pd.to_datetime(district["END_DATE"], format="%m/%d/%Y")
    monthly = district[(start.dt.day == 1) & (end == start + pd.offsets.MonthEnd(0))]
    return pd.DataFrame(
        {
            "month": pd.to_datetime(monthly["START_DATE"], format="%m/%d/%Y").dt.date,
            "neighborhood_id": monthly["DISTRICT"],
            "score": monthly[column].astype(float),
        }
    ).sort_values(["neighborhood_id", "month"], ignore_index=True)


def test_chicago_copies_are_dropped_and_reported(chicago):
    """Every row of the export is at least doubled: the copies are dropped, counted and shown in words."""
    root, outcome, path = chicago
    assert outcome.status == "ok", outcome.message
    raw = pd.read_csv(path, dtype=str)
    copies = len(raw) - len(raw.drop_duplicates())
    manifest = snapshots.current(root, "chicago_sentiment").manifest
    assert manifest.stats["identity"]["copied_published_rows"] == copies == 5_008
    assert manifest.stats["identity"]["published_rows_kept"] == 4_868
    words = gate.source_quality(manifest, gate.SitePolicy()).figures
    assert any("5,008 published rows were copies" in line for line in words), words


def test_chicago_levels_are_read_from_the_filled_keys(chicago):
    """Sector, district, area and city rows are told apart by which of AREA, DISTRICT, SECTOR are filled."""
    root, _, _ = chicago
    table = pq.read_table(
        snapshots.current(root, "chicago_sentiment").file("data.parquet"),
        columns=["geo_level", "measure", "group_type", "neighborhood_id", "period_end"],
    ).to_pandas()
    trust = table[(table["measure"] == "trust") & (table["group_type"] == "all")]
    assert trust["geo_level"].value_counts().to_dict() == {
        "sector": 3243,
        "district": 1034,
        "area": 463,
        "city": 128,
    }
    placed = table.loc[table["neighborhood_id"].notna(), "geo_level"]
    assert set(placed) == {"district"}


def test_chicago_district_monthly_trust_equals_pandas(chicago):
    """Each district's monthly trust through the gate equals pandas on the de-duplicated file."""
    root, _, path = chicago
    city = gate.open_city(root, "chicago")
    ours = gate.sentiment_monthly(city, "trust").frame
    ours = ours[ours["neighborhood_id"].notna()][["month", "neighborhood_id", "score"]]
    ours = ours.sort_values(["neighborhood_id", "month"], ignore_index=True)
    expected = _independent_district_scores(path)
    assert len(ours) == 22 * 47
    pd.testing.assert_frame_equal(ours, expected, check_dtype=False)


@pytest.mark.parametrize(
    ("measure", "group", "column"),
    [
        ("trust", "Black", "T_RACE_AFRICAN_AMERICAN"),
        ("listen", "White", "T_LISTEN_RACE_WHITE"),
        ("safety", "Income: low", "S_INCOME_LOW"),
    ],
)
def test_chicago_group_scores_equal_pandas(chicago, measure, group, column):
    """A group's monthly district scores (read from its own column) equal pandas on that column."""
    root, _, path = chicago
    city = gate.open_city(root, "chicago")
    ours = gate.sentiment_monthly(city, measure, group).frame
    ours = ours[ours["neighborhood_id"].notna()][["month", "neighborhood_id", "score"]]
    ours = ours.sort_values(["neighborhood_id", "month"], ignore_index=True)
    pd.testing.assert_frame_equal(ours, _independent_district_scores(path, column), check_dtype=False)
