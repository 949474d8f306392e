"""Page aggregates, key figures, records and the city connection, checked against pandas on the Parquet files."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pandas as pd
import pytest

from query import (
    NO_SUPPRESSION,
    DisclosurePolicy,
    Filters,
    city_overview,
    count_records,
    current_snapshot_key,
    filter_options,
    key_figures,
    neighborhood_counts,
    open_city,
    page_aggregates,
    records,
)
from query.filters import CATEGORY_COLUMN, UNIT_COLUMN, age_band
from tests.query_fixtures import CITY, NAMES, local, publish_rows, read_kind, row, sample_rows, write_city


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_city(tmp_path_factory.mktemp("cache"), sample_rows())


@pytest.fixture(scope="module")
def city(root):
    return open_city(root, CITY)


def expected(root, f: Filters) -> dict:
    """The same numbers computed independently with pandas, straight from the Parquet files."""
    df = read_kind(root, f.kind)
    if f.date_from:
        df = df[df["occurred_date"] >= f.date_from]
    if f.date_to:
        df = df[df["occurred_date"] <= f.date_to]
    if f.neighborhood_ids:
        df = df[df["neighborhood_id"].isin(f.neighborhood_ids)]
    category = df[CATEGORY_COLUMN[f.kind]].fillna("Not recorded")
    if f.categories:
        df, category = df[category.isin(f.categories)], category[category.isin(f.categories)]
    out = {"total": len(df), "category": category.value_counts().to_dict()}
    out["month"] = {pd.Timestamp(m).date(): n for m, n in df["occurred_month"].value_counts().items()}
    out["neighborhood"] = df["neighborhood_id"].fillna("(none)").value_counts().to_dict()
    prefix = {"complaint": "complainant", "use_of_force": "subject"}.get(f.kind)
    if prefix:
        race = df[f"{prefix}_race"].fillna("Unknown")
        sex = df[f"{prefix}_sex"].fillna("Unknown")
        band = df[f"{prefix}_age"].map(lambda a: age_band(None if pd.isna(a) else a))
        keep = pd.Series(True, index=df.index)
        for values, selected in ((race, f.races), (sex, f.sexes), (band, f.age_bands)):
            keep &= values.isin(selected) if selected else True
        df, race, sex, band = df[keep], race[keep], sex[keep], band[keep]
        out = expected_after_person_filter(df, f, race, sex, band)
    if f.kind in UNIT_COLUMN:
        out["units"] = df[UNIT_COLUMN[f.kind]].nunique()
    if f.kind == "complaint":
        out["finding"] = df["finding"].fillna("Not recorded").value_counts().to_dict()
    return out


def expected_after_person_filter(df, f, race, sex, band) -> dict:
    return {
        "total": len(df),
        "category": df[CATEGORY_COLUMN[f.kind]].fillna("Not recorded").value_counts().to_dict(),
        "month": {pd.Timestamp(m).date(): n for m, n in df["occurred_month"].value_counts().items()},
        "neighborhood": df["neighborhood_id"].fillna("(none)").value_counts().to_dict(),
        "race": race.value_counts().to_dict(),
        "sex": sex.value_counts().to_dict(),
        "age": band.value_counts().to_dict(),
    }


def nonzero(df: pd.DataFrame, key: str) -> dict:
    return {k: int(n) for k, n in zip(df[key], df["count"], strict=True) if n}


CASES = [
    Filters.make("crime_incident"),
    Filters.make("crime_incident", date(2021, 1, 1), date(2021, 6, 30)),  # whole months: the cube alone
    Filters.make("crime_incident", date(2020, 3, 17), date(2021, 8, 3), neighborhood_ids=["alder", "cedar"]),
    Filters.make(
        "crime_incident", date(2021, 2, 10), date(2021, 2, 20), categories=["property", "Not recorded"]
    ),
    Filters.make("crime_incident", None, date(2021, 5, 9), categories=["weird"]),
    Filters.make("complaint"),
    Filters.make("complaint", date(2020, 6, 15), date(2022, 2, 1), categories=["Force"]),
    Filters.make("complaint", neighborhood_ids=["birch"], races=["Black", "Unknown"]),
    Filters.make(
        "use_of_force", date(2021, 1, 1), date(2022, 12, 31), sexes=["Male"], age_bands=["Unknown", "65+"]
    ),
    Filters.make("use_of_force", categories=["Not recorded", "Chemical spray"]),
]


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.describe(NAMES))
def test_page_aggregates_equal_an_independent_pandas_count(root, city, f):
    """Every breakdown and total matches pandas over the same Parquet files (suppression off)."""
    page = page_aggregates(city, f, NO_SUPPRESSION)
    want = expected(root, f)
    assert page.totals.records == want["total"]
    assert nonzero(page.trend, "month") == want["month"]
    assert nonzero(page.by_category, "category") == want["category"]
    hoods = page.by_neighborhood.assign(
        neighborhood_id=page.by_neighborhood["neighborhood_id"].fillna("(none)")
    )
    assert nonzero(hoods, "neighborhood_id") == want["neighborhood"]
    if "race" in want:
        assert nonzero(page.by_race, "group") == want["race"]
        assert nonzero(page.by_sex, "group") == want["sex"]
        assert nonzero(page.by_age_band, "group") == want["age"]
    else:
        assert page.by_race.empty and page.by_sex.empty and page.by_age_band.empty
    if "units" in want:
        assert page.totals.units == want["units"]
    if "finding" in want:
        assert nonzero(page.by_finding, "finding") == want["finding"]


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.describe(NAMES))
def test_the_map_table_equals_the_page_table(city, f):
    """neighborhood_counts gives exactly the by-neighborhood table of page_aggregates, suppression included."""
    pd.testing.assert_frame_equal(neighborhood_counts(city, f), page_aggregates(city, f).by_neighborhood)


def test_crime_reads_every_source_of_the_kind(city):
    """Two crime datasets are one kind: totals add both (160 + 60 hand-made rows)."""
    assert page_aggregates(city, Filters.make("crime_incident")).totals.records == 220
    assert city.cube_kinds == frozenset({"crime_incident"})


def test_neighborhood_rates_and_unstable_flags(city):
    """Rates are per 1,000 residents per year of the data's span; counts under 20 are flagged; unassigned records get their own row."""
    hoods = page_aggregates(city, Filters.make("crime_incident")).by_neighborhood.set_index("name")
    alder = hoods.loc["Alder Park"]
    first, last = city.coverage["crime_incident"]
    per_year = 365.25 / ((last - first).days + 1)
    assert alder["rate_per_1000"] == pytest.approx(alder["count"] / 10_000 * 1000 * per_year)
    assert bool(alder["is_rate_unstable"]) == (alder["count"] < 20)
    assert pd.isna(hoods.loc["Unassigned", "population"]) and pd.isna(
        hoods.loc["Unassigned", "rate_per_1000"]
    )


def test_race_population_share_follows_the_neighborhood_filter(city):
    """The population column beside the race breakdown is the share of residents of the selected areas."""
    everywhere = page_aggregates(city, Filters.make("use_of_force")).by_race.set_index("group")
    assert everywhere.loc["Black", "population_share"] == pytest.approx(5_300 / 12_500)
    birch = page_aggregates(city, Filters.make("use_of_force", neighborhood_ids=["birch"])).by_race.set_index(
        "group"
    )
    assert birch.loc["White", "population_share"] == pytest.approx(1_200 / 2_000)
    assert pd.isna(birch.loc["Unknown", "population_share"])


def test_a_person_filter_makes_every_count_a_protected_cell(city):
    """With a race filter, small counts by month and neighborhood are hidden too, and labelled."""
    f = Filters.make("use_of_force", races=["Asian / Pacific Islander"])
    page = page_aggregates(city, f, DisclosurePolicy(threshold=5))
    for table in (page.trend, page.by_neighborhood, page.by_category):
        shown = table["count"].dropna()
        assert not ((shown > 0) & (shown < 5)).any()
        assert (table.loc[table["is_suppressed"], "label"] == "suppressed").all()
    assert page.by_neighborhood["is_suppressed"].any()
    assert page.by_neighborhood.loc[page.by_neighborhood["is_suppressed"], "rate_per_1000"].isna().all()
    assert any("To protect the people" in n for n in page.notes)


def test_a_small_total_under_a_person_filter_is_hidden(root, city):
    """A total of 1..4 people of one group is not published, nor is its distinct incident count."""
    f = Filters.make("use_of_force", date(2021, 1, 1), date(2021, 3, 31), races=["Hispanic"])
    n = expected(root, f)["total"]
    assert 0 < n < 5, "fixture should give a small group here"
    totals = page_aggregates(city, f).totals
    assert totals.records is None and totals.units is None and totals.is_suppressed


def test_a_kind_without_data_gives_empty_but_typed_results(tmp_path):
    """A city with crime only still answers for complaints: zero records, empty breakdowns."""
    write_city(
        tmp_path, {"crime_incident": {"t_crime": [row("crime_incident", "r1", local(2021, 1, 5), "alder")]}}
    )
    city = open_city(tmp_path, CITY)
    page = page_aggregates(city, Filters.make("complaint"))
    assert page.totals.records == 0 and page.totals.units == 0
    assert page.trend.empty and page.by_race["count"].sum() == 0
    assert not city.has_data("complaint")
    assert records(city, Filters.make("complaint")).empty


def test_key_figures_compare_with_the_previous_period_and_year(root, city):
    """Counts for the window, the one before and a year before, with percentage changes."""
    f = Filters.make("crime_incident", date(2021, 7, 1), date(2021, 12, 31))
    figures = key_figures(city, f)
    assert figures.count == expected(root, f)["total"]
    assert figures.previous_count == expected(root, f.previous_period())["total"]
    assert figures.year_before_count == expected(root, f.year_before())["total"]
    change = (figures.count - figures.previous_count) / figures.previous_count * 100
    assert figures.change_vs_previous_pct == pytest.approx(change)
    assert not figures.is_partial


@pytest.mark.parametrize(
    "f",
    [
        Filters.make("crime_incident", date(2021, 3, 10), date(2021, 8, 20), categories=["property"]),
        Filters.make("crime_incident", date(2021, 2, 3), date(2021, 2, 17), neighborhood_ids=["alder"]),
        Filters.make("complaint", date(2021, 3, 10), date(2021, 8, 20), races=["Black"]),
    ],
    ids=lambda f: f.describe(NAMES),
)
def test_key_figures_for_any_days_match_pandas(root, city, f):
    """Windows that start and end mid-month count the same as pandas, for the cube and the rows alike."""
    figures = key_figures(city, f, NO_SUPPRESSION)
    assert figures.count == expected(root, f)["total"]
    assert figures.previous_count == expected(root, f.previous_period())["total"]
    assert figures.year_before_count == expected(root, f.year_before())["total"]


def test_key_figures_say_none_where_a_window_has_no_data(city):
    """A comparison window before the first record gives None, never a misleading zero."""
    figures = key_figures(city, Filters.make("crime_incident", date(2020, 1, 1), date(2020, 6, 30)))
    assert figures.count is not None
    assert figures.previous_count is None and figures.year_before_count is None
    assert figures.change_vs_previous_pct is None
    assert (
        key_figures(city, Filters.make("crime_incident", date(2030, 1, 1), date(2030, 1, 31))).count is None
    )


def test_city_overview_ranks_only_stable_rates(city):
    """The overview lists each kind, with top neighborhoods by rate among counts of 20 or more."""
    overview = city_overview(city, date(2020, 1, 1), date(2022, 12, 31))
    assert [k.kind for k in overview.kinds] == ["crime_incident", "complaint", "use_of_force"]
    top = overview.kinds[0].top_neighborhoods
    assert len(top) > 0 and (top["count"] >= 20).all()
    assert list(top["rate_per_1000"]) == sorted(top["rate_per_1000"], reverse=True)


def test_records_show_public_columns_only_newest_first(root, city):
    """Row-level pages never carry coordinates or other non-public columns, and page through in order."""
    f = Filters.make("complaint", neighborhood_ids=["alder"])
    first, second = records(city, f, limit=5), records(city, f, limit=5, offset=5)
    for column in ("lat", "lon", "allegation_id"):
        assert column not in first.columns
    assert "complainant_race" in first.columns
    times = list(first["occurred_at"]) + list(second["occurred_at"])
    assert times == sorted(times, reverse=True)
    assert str(first["occurred_at"].dt.tz) == "America/Chicago"
    assert count_records(city, f) == len(read_kind(root, "complaint").query("neighborhood_id == 'alder'"))


def test_snapshot_key_moves_when_a_snapshot_is_published(tmp_path):
    """The cheap pointer-only key equals the opened city's key, and changes after a refresh publishes."""
    write_city(
        tmp_path, {"crime_incident": {"t_crime": [row("crime_incident", "r1", local(2021, 1, 5), "alder")]}}
    )
    city = open_city(tmp_path, CITY)
    assert current_snapshot_key(tmp_path, CITY) == city.snapshot_key
    publish_rows(
        tmp_path, "t_crime", "crime_incident", [row("crime_incident", "r2", local(2021, 2, 5), "birch")]
    )
    assert current_snapshot_key(tmp_path, CITY) != city.snapshot_key
    assert open_city(tmp_path, CITY).snapshot_key == current_snapshot_key(tmp_path, CITY)
    assert open_city(tmp_path, "nowhere") is None and current_snapshot_key(tmp_path, "nowhere") == ""


def test_the_connection_is_locked_down_after_opening(city):
    """Views still read our Parquet files, but no other file, setting change or extension is possible."""
    assert city.query("SELECT count(*) AS n FROM complaint")["n"][0] > 0
    for statement in (
        "SELECT * FROM read_csv('/etc/passwd')",
        "SET enable_external_access = true",
        "SET allowed_paths = ['/']",
        "INSTALL httpfs",
    ):
        with pytest.raises(Exception, match=r"(?i)permission|locked|disabled"):
            city.query(statement)
    assert city.boundaries["features"][0]["properties"]["neighborhood_id"] == "alder"


def test_filter_options_offer_vocabulary_then_what_the_data_holds(city):
    """Widgets list the vocabulary, then unexpected values found, then 'Not recorded' if values are missing."""
    crime = filter_options(city, "crime_incident")
    assert crime.categories == (
        "violent",
        "property",
        "drug",
        "public order",
        "other",
        "weird",
        "Not recorded",
    )
    assert crime.races == () and crime.person_label is None
    force = filter_options(city, "use_of_force")
    assert force.person_label == "subject" and force.category_label == "force type"
    assert force.races[-1] == "Unknown" and "Black" in force.races
    assert force.neighborhoods[0] == ("alder", "Alder Park")
    assert force.first_date >= date(2020, 1, 1) and force.last_date <= date(2022, 12, 31)


def test_sessions_can_query_one_city_from_many_threads(city):
    """Each query takes its own cursor, so concurrent page renders give the same answers as one."""
    filters = [Filters.make("complaint", neighborhood_ids=[h]) for h in ("alder", "birch", "cedar")] * 4
    alone = [page_aggregates(city, f).totals for f in filters]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda f: page_aggregates(city, f).totals, filters))
    assert together == alone


def test_a_city_with_no_datasets_yet_still_opens(tmp_path):
    """Only neighborhoods published: every kind answers with zeros instead of failing."""
    write_city(tmp_path, {})
    city = open_city(tmp_path, CITY)
    assert city.kinds_with_data() == ()
    assert page_aggregates(city, Filters.make("use_of_force")).totals.records == 0
    assert key_figures(city, Filters.make("complaint", date(2021, 1, 1), date(2021, 1, 31))).count is None
