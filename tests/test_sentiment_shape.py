"""A hand-made wide survey export (tests/fixtures/sentiment_wide_handmade.csv) through the catalogue's
Chicago sentiment entry: copies dropped and counted, levels read from filled keys, blanks not scores."""

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pyarrow.parquet as pq
import pytest

from loaders.catalog import Catalog, CatalogError, load_catalog, parse_catalog
from loaders.catalog_scores import Unpivot
from loaders.refresh import RefreshOptions, refresh
from query import gate
from store import snapshots

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def loaded(tmp_path, feed_server):
    catalog = load_catalog()
    city = dataclasses.replace(
        catalog.cities["chicago"],
        boundaries_url=feed_server.add_file(
            "d.geojson", (FIXTURES / "chicago_districts_handmade.geojson").read_bytes()
        ),
    )
    body = (FIXTURES / "sentiment_wide_handmade.csv").read_bytes()
    source = dataclasses.replace(
        catalog.source("chicago_sentiment"), endpoint=feed_server.add_file("s.csv", body)
    )
    local = Catalog(MappingProxyType({**catalog.cities, "chicago": city}), (source,), catalog.path)
    [outcome] = refresh(local, RefreshOptions(cache_root=tmp_path))
    assert outcome.status == "ok", outcome.message
    snap = snapshots.current(tmp_path, "chicago_sentiment")
    return tmp_path, snap, pq.read_table(snap.file("data.parquet")).to_pandas()


def test_copies_are_dropped_once_and_said_in_words(loaded):
    """Two copied rows are dropped before unpivoting; the data page says so, with the rows left."""
    _, snap, _ = loaded
    identity = snap.manifest.stats["identity"]
    assert identity["copied_published_rows"] == 2 and identity["published_rows_kept"] == 10
    figures = gate.source_quality(snap.manifest, gate.SitePolicy()).figures
    assert "2 published rows were copies of an earlier row" in " ".join(figures)
    assert any("read as one record each" in rule for rule in snap.manifest.provenance["rules"])


def test_levels_come_from_the_filled_keys_and_only_districts_are_placed(loaded):
    """City, area, district and sector rows are told apart; only district rows get a neighborhood."""
    _, _, table = loaded
    trust = table[(table["measure"] == "trust") & (table["group_type"] == "all")]
    assert sorted(trust["geo_level"]) == ["area", "city", "city"] + ["district"] * 6 + ["sector"]
    placed = trust[trust["neighborhood_id"].notna()]
    assert set(placed["geo_level"]) == {"district"} and set(placed["neighborhood_id"]) == {"1", "2"}
    assert set(trust.loc[trust["geo_level"] != "district", "geo_method"]) == {"other_level"}
    assert trust.loc[trust["district"] == "99", "geo_method"].tolist() == ["unassigned"]


def test_blank_cells_are_not_scores_and_groups_read_in_words(loaded):
    """February's blank listening columns make no score; AFRICAN_AMERICAN reads as Black residents."""
    _, _, table = loaded
    february = table[table["occurred_month"].astype(str) == "2021-02-01"]
    assert "listen" not in set(february["measure"]) and len(february) == 3 * 6
    race = table[(table["group_type"] == "race") & (table["measure"] == "trust")]
    assert set(race["group_value"]) == {"Black", "White"}
    assert set(race["group_value_raw"]) == {"AFRICAN_AMERICAN", "WHITE"}
    assert (table["scale_max"] == 100).all() and table["method_note"].str.contains("Elucd").all()


def test_monthly_scores_leave_weekly_rows_and_other_levels_out(loaded):
    """The city line holds January's monthly score only; districts hold theirs; no sector or area."""
    root, _, _ = loaded
    city = gate.open_city(root, "chicago")
    frame = gate.sentiment_monthly(city, "trust").frame
    line = frame[frame["neighborhood_id"].isna()]
    assert line["score"].tolist() == [58.5] and line["neighborhood_name"].tolist() == ["Whole city"]
    districts = frame.dropna(subset=["neighborhood_id"]).sort_values(["neighborhood_id", "month"])
    assert districts[["neighborhood_id", "score"]].values.tolist() == [
        ["1", 60.75],
        ["1", 61.25],
        ["2", 45.5],
    ]
    black = gate.sentiment_monthly(city, "trust", "Black").frame
    assert black.loc[black["neighborhood_id"] == "2", "score"].tolist() == [41.25]


def test_the_longest_prefix_decides_the_measure():
    """T_LISTEN_RACE_WHITE is listening among White residents, not trust (T_) in a group 'LISTEN'."""
    rule = load_catalog().source("chicago_sentiment").unpivot
    assert isinstance(rule, Unpivot)
    assert rule.read("T_LISTEN_RACE_WHITE") == ("listen", "race", "WHITE")
    assert rule.read("T_RACE_WHITE") == ("trust", "race", "WHITE")
    assert rule.read("TRUST") == ("trust", "all", "") and rule.read("START_DATE") is None


def test_misspelt_reshaping_keys_are_named_with_a_suggestion():
    """A typo in [sources.unpivot] or [sources.levels], or a missing [sources.scores], is reported."""
    raw = {
        "cities": {"c": {"name": "C", "time_zone": "UTC", "boundaries_url": "x", "boundary_id_field": "id"}},
        "sources": [
            {
                "id": "s",
                "city": "c",
                "kind": "community_sentiment",
                "platform": "csv",
                "endpoint": "https://example.invalid/s.csv",
                "title": "t",
                "publisher": "p",
                "landing_page": "l",
                "licence": "l",
                "date_field": "START",
                "row_unit": "place_period",
                "fields": {"period_end": "END"},
                "unpivot": {"colums": {"trust": "TRUST"}},
                "levels": {"by_filled": [["distric", "D"]]},
            }
        ],
    }
    with pytest.raises(CatalogError) as caught:
        parse_catalog(raw)
    text = "\n".join(caught.value.problems)
    assert "unknown key 'colums' (did you mean 'columns'?)" in text
    assert "'distric' is not one of" in text and "did you mean 'district'?" in text
    assert "needs [sources.scores]" in text


def test_two_different_scores_for_one_place_and_month_show_neither(loaded):
    """District 2's two February versions are both kept in the snapshot, but neither is drawn."""
    root, _, table = loaded
    versions = table[
        (table["district"] == "2") & (table["measure"] == "trust") & (table["group_type"] == "all")
    ]
    assert sorted(versions["score"]) == [45.5, 46.25, 47.75]
    city = gate.open_city(root, "chicago")
    view = gate.voice_view(city, "2", (None, None))
    shown = view.lines.frame.query("place != 'Whole city'")
    assert set(shown["month"].astype(str)) == {"2021-01-01"}
    assert any(note.startswith("2 monthly scores are not shown") for note in view.notes), view.notes
