"""The disclosure gate closes each bypass found when the site was tried: rows, labels, the map, the notes."""

import csv
import io
import zipfile

import pandas as pd
import pytest

from query import gate
from query.disclosure import DisclosurePolicy
from query.export import ExportPolicy
from tests import query_fixtures
from tests.query_fixtures import CITY, local, row, write_city
from ui import charts, map_chart

EXPORTS = ExportPolicy({"complaint": True, "use_of_force": True, "crime_incident": True})
SITE = gate.SitePolicy(exports=EXPORTS)


def _complaints() -> list[dict]:
    """40 complaints from Black, 20 from Hispanic and 3 from White complainants in 2024, one allegation each."""
    people = ["Black"] * 40 + ["Hispanic"] * 20 + ["White"] * 3
    return [
        row(
            "complaint",
            f"c{i}",
            local(2024, 1 + i % 12, 1 + i % 27),
            ["alder", "birch"][i % 2],
            complainant_race=race,
            complainant_sex="Male",
            complainant_age=30,
            officer_race="White",
        )
        for i, race in enumerate(people)
    ] + [row("complaint", "late", local(2025, 3, 1), "alder", complainant_race="Black")]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    root = write_city(tmp_path_factory.mktemp("gate"), {"complaint": {"t_complaints": _complaints()}})
    return gate.open_city(root, CITY)


def _white(**extra) -> gate.Filters:
    return gate.Filters.make("complaint", None, None, races=("White",), **extra)


def _zip_texts(file: gate.ExportFile) -> tuple[str, str]:
    with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
        csv_name = next(n for n in archive.namelist() if n.endswith(".csv"))
        return archive.read(csv_name).decode("utf-8-sig"), archive.read("README.txt").decode()


def test_three_records_under_a_race_filter_are_neither_listed_nor_downloaded(city):
    """The 3 White complainants' records: the listing and the download are refused (they used to be given)."""
    view = gate.records_view(city, _white(), SITE, 100)
    assert view.rows is None and "race, sex or age filter" in view.refusal
    assert gate.records_refusal(city, _white(), SITE) is not None
    with pytest.raises(gate.ExportRefused):
        gate.records_file(city, _white(), SITE)


def test_with_demographic_rows_on_a_small_person_filter_is_still_refused_and_a_large_one_is_not(city):
    """Demographic rows enabled: 3 matches stay refused under k=5, 40 matches are listed with their race."""
    site = gate.SitePolicy(exports=EXPORTS, is_demographic_rows_enabled=True)
    assert "Fewer than 5" in gate.records_view(city, _white(), site, 100).refusal
    black = gate.Filters.make("complaint", None, None, races=("Black",))
    view = gate.records_view(city, black, site, 100)
    assert len(view.rows.frame) == 41 and set(view.rows.frame["complainant_race"]) == {"Black"}


def test_demographic_columns_are_withheld_from_rows_by_default_and_the_notes_say_so(city):
    """Without the setting, records files carry no race, sex or age column, and the notes name each withheld one."""
    csv_text, notes = _zip_texts(gate.records_file(city, gate.Filters.make("complaint"), SITE))
    header = next(csv.reader(io.StringIO(csv_text)))
    withheld = gate.demographic_columns("complaint")
    assert {"complainant_race", "officer_race", "complainant_age"} <= set(withheld)
    assert not set(withheld) & set(header) and "record_id" in header
    assert all(column in notes for column in withheld) and "identify a person" in notes
    listing = gate.records_view(city, gate.Filters.make("complaint"), SITE, 10)
    assert not set(withheld) & set(listing.rows.frame.columns)


def test_hidden_counts_are_worded_with_the_deployments_threshold():
    """A hidden headline says 'fewer than 10' when DASHBOARD_SMALL_CELL is 10, not a fixed '<5'."""
    site = gate.SitePolicy(disclosure=DisclosurePolicy(threshold=10))
    assert "fewer than 10" in gate.count_text(None, site)
    assert "<5" not in gate.count_text(None, site)
    assert gate.count_text(1234, site) == "1,234"


def test_a_rate_with_no_population_says_so_and_is_grey_on_the_map(tmp_path, monkeypatch):
    """A neighborhood with no resident count shows 'no population', is not coloured as 0, and not ranked."""
    hoods = [(*n[:2], None, *n[3:]) if n[0] == "cedar" else n for n in query_fixtures.NEIGHBORHOODS]
    monkeypatch.setattr(query_fixtures, "NEIGHBORHOODS", hoods)
    crimes = [row("crime_incident", f"x{i}", local(2024, 5, 1), ["alder", "cedar"][i % 2]) for i in range(8)]
    city = gate.open_city(write_city(tmp_path, {"crime_incident": {"t_crime": crimes}}), CITY)
    table = gate.map_table(city, gate.Filters.make("crime_incident"), SITE, is_rate=True)
    cedar = table.frame[table.frame["neighborhood_id"] == "cedar"].iloc[0]
    assert cedar["display"] == "no population" and pd.isna(cedar["value"])
    figure = map_chart.choropleth(city.boundaries, table, value="value", value_label="per 1,000")
    coloured, grey = figure.data
    assert "cedar" not in coloured["locations"] and "cedar" in grey["locations"]
    assert "cedar" not in list(charts.top(table, 15).frame["neighborhood_id"])


def test_under_a_person_filter_the_map_and_other_breakdowns_are_withheld_not_zero(city):
    """With a race filter no neighborhood is painted (no hidden cell drawn as 0) and no monthly count is shown."""
    page = gate.page(city, _white(), SITE)
    assert page.is_narrowed_by_person
    assert gate.map_table(city, _white(), SITE, is_rate=False).frame.empty
    assert page.trend.frame.empty and page.by_category.frame.empty and page.by_neighborhood.frame.empty


def test_table_downloads_state_the_deployments_policy_and_what_the_threshold_counts(city):
    """Trend, category and map files say 'from 1 to 9' when the threshold is 10, and that allegations are counted."""
    site = gate.SitePolicy(disclosure=DisclosurePolicy(threshold=10), exports=EXPORTS)
    filters = gate.Filters.make("complaint")
    page = gate.page(city, filters, site)
    tables = [page.trend, page.by_category, gate.map_table(city, filters, site, False)]
    for table in tables:
        _, notes = _zip_texts(gate.table_file(city, filters, table, site))
        assert "counts from 1 to 9" in notes and "counts from 1 to 4" not in notes
        assert "counts allegations, not people" in notes and "no complainant id" in notes


def test_hidden_cells_carry_their_reason(city):
    """Each hidden cell of a published table says why in words; shown cells have no reason."""
    page = gate.page(city, gate.Filters.make("complaint"), SITE)
    race = page.by_race.frame.set_index("group")
    assert race.loc["White", "reason"] == "fewer than 5" and pd.isna(race.loc["White", "count"])
    assert race.loc["Hispanic", "reason"].startswith("hidden so that a smaller hidden count")
    assert race.loc["Black", "reason"] == "" and race.loc["Black", "count"] == 40


def test_under_a_person_filter_the_headline_is_the_one_cell_of_the_fixed_table(city):
    """One race chosen: the headline is that cell of the finished year's table; two races: not published."""
    black = gate.page(city, gate.Filters.make("complaint", None, None, races=("Black",)), SITE)
    assert black.headline == "40" and black.headline_words.endswith("in calendar year 2024, the whole city")
    white = gate.page(city, _white(), SITE)
    assert white.headline == "suppressed (fewer than 5)"
    both = gate.page(city, gate.Filters.make("complaint", None, None, races=("Black", "White")), SITE)
    assert both.headline.startswith("not published") and both.figures.count is None


def test_a_kind_kept_from_row_level_output_is_neither_listed_nor_downloaded(city):
    """DASHBOARD_ROW_EXPORTS without complaints: the complaints listing is refused as well as the download."""
    site = gate.SitePolicy(exports=ExportPolicy({"crime_incident": True}))
    filters = gate.Filters.make("complaint")
    assert gate.records_view(city, filters, site, 10).rows is None
    assert gate.records_view(city, filters, SITE, 10).rows is not None
    assert gate.records_refusal(city, filters, site) is not None


def test_a_race_table_file_holds_exactly_the_published_cells_and_reasons(city):
    """The by-race CSV, byte for byte: 40 shown, 3 hidden as small, 20 hidden beside it, reasons in words."""
    filters = gate.Filters.make("complaint")
    table = gate.page(city, filters, SITE).by_race
    csv_text, _ = _zip_texts(gate.table_file(city, filters, table, SITE))
    # Residents: Black 5,300, White 4,300, Hispanic 1,500, Asian 700 of 12,500 (query_fixtures); "other"
    # residents are not one group, so Other and American Indian / Alaska Native have no share.
    assert csv_text == (
        "group,count,share,population_share,is_suppressed,reason,label\r\n"
        f"Black,40,{40 / 63!r},0.424,false,,40\r\n"
        "White,,,0.344,true,fewer than 5,suppressed\r\n"
        "Hispanic,,,0.12,true,hidden so that a smaller hidden count cannot be worked out from the total,"
        "suppressed\r\n"
        "Asian / Pacific Islander,0,0.0,0.056,false,,0\r\n"
        "American Indian / Alaska Native,0,0.0,,false,,0\r\n"
        "Other,0,0.0,,false,,0\r\n"
        "Unknown,0,0.0,,false,,0\r\n"
    )


def test_a_records_file_holds_exactly_the_released_columns(city):
    """The records CSV header, byte for byte: the public columns less race, sex and age, in schema order."""
    filters = gate.Filters.make("complaint", neighborhood_ids=("birch",))
    csv_text, _ = _zip_texts(gate.records_file(city, filters, SITE))
    released = [
        c for c in gate.schema_for("complaint").public_names if c not in gate.demographic_columns("complaint")
    ]
    assert csv_text.split("\r\n", 1)[0] == ",".join(released)
    assert "complainant_race" not in csv_text.split("\r\n", 1)[0]
