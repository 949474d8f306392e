"""Filters: normalisation, the words on captions and downloads, safe SQL, and the source's own query."""

from datetime import date

import duckdb
import pytest

from query import AGE_BANDS, Filters, age_band, open_city
from query.filters import age_band_sql
from tests.query_fixtures import CITY, NAMES, local, row, write_city

HOSTILE = "'; DROP TABLE x; --"


def test_make_sorts_dedupes_and_orders_dates():
    """Two selections that differ only in order or repetition are the same filter (one cache entry)."""
    a = Filters.make(
        "complaint", date(2022, 6, 30), date(2021, 1, 1), races=["White", "Black", "White", None]
    )
    b = Filters.make("complaint", date(2021, 1, 1), date(2022, 6, 30), races=("Black", "White"))
    assert a == b
    assert a.date_from == date(2021, 1, 1) and a.races == ("Black", "White")
    assert Filters.make("complaint", age_bands=["65+", "Under 18"]).age_bands == ("Under 18", "65+")


def test_make_refuses_unknown_kinds_and_age_bands():
    """A mistyped kind or age band fails loudly instead of silently matching nothing."""
    with pytest.raises(KeyError):
        Filters.make("parking_ticket")
    with pytest.raises(ValueError, match="age band"):
        Filters.make("complaint", age_bands=["18-24"])  # hyphen, not the en dash


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        (
            Filters.make(
                "use_of_force",
                date(2021, 1, 1),
                date(2022, 6, 30),
                neighborhood_ids=["alder"],
                races=["Black"],
            ),
            "Use of force in Alder Park, Jan 2021 – Jun 2022, subject race Black",
        ),
        (Filters.make("crime_incident"), "Crime incidents in all neighborhoods, all dates"),
        (
            Filters.make(
                "complaint",
                date(2021, 1, 3),
                date(2022, 6, 15),
                neighborhood_ids=["birch", "alder"],
                categories=["Force", "Discourtesy"],
                findings=["sustained"],
                sexes=["Female"],
            ),
            "Civilian complaints in Alder Park and Birch Hill, 3 Jan 2021 – 15 Jun 2022, allegation category "
            "Discourtesy or Force, finding sustained, complainant sex Female",
        ),
        (
            Filters.make("crime_incident", date(2021, 3, 1)),
            "Crime incidents in all neighborhoods, from Mar 2021",
        ),
        (
            Filters.make("crime_incident", None, date(2021, 6, 15)),
            "Crime incidents in all neighborhoods, until 15 Jun 2021",
        ),
        (
            Filters.make("crime_incident", date(2021, 5, 1), date(2021, 5, 31)),
            "Crime incidents in all neighborhoods, May 2021",
        ),
        (
            Filters.make(
                "use_of_force",
                neighborhood_ids=["alder", "birch", "cedar", "dogwood"],
                age_bands=["18–24", "Unknown"],
            ),
            "Use of force in 4 neighborhoods, all dates, subject age 18–24 or Unknown",
        ),
    ],
)
def test_describe_reads_as_plain_english(filters, words):
    """Captions and file notes say what was selected, with names instead of ids."""
    assert filters.describe(NAMES) == words


def test_describe_lists_every_neighborhood_for_file_notes():
    """With max_listed=None every name is spelled out; an id the reference lacks is shown as itself."""
    f = Filters.make("crime_incident", neighborhood_ids=["alder", "birch", "cedar", "dogwood"])
    assert f.describe(NAMES, max_listed=None) == (
        "Crime incidents in Alder Park, Birch Hill, Cedar Flats and dogwood, all dates"
    )


def test_person_filters_on_crime_are_ignored_and_said_so():
    """Crime records name no person: a race filter is dropped from the query and the caption says why."""
    f = Filters.make("crime_incident", races=["Black"], findings=["sustained"])
    where, params = f.to_sql()
    assert where == "TRUE" and params == {}
    assert not f.has_person_filter
    assert f.describe(NAMES) == (
        "Crime incidents in all neighborhoods, all dates (Only complaint and use-of-force records describe a "
        "person, so race, sex and age filters are ignored here. Only civilian complaints have findings, so the "
        "finding filter is ignored here.)"
    )


def test_to_sql_binds_values_and_names_only_allowlisted_columns():
    """Every selected value is a parameter; the SQL text is fixed by the kind alone."""
    f = Filters.make(
        "use_of_force",
        date(2021, 1, 1),
        date(2021, 12, 31),
        neighborhood_ids=["alder"],
        categories=["Firearm"],
        races=["Black"],
        sexes=["Male"],
        age_bands=["65+"],
    )
    where, params = f.to_sql()
    assert where.startswith(
        "occurred_date >= $date_from AND occurred_date <= $date_to AND neighborhood_id = ANY($neighborhood_ids) "
        "AND coalesce(force_type, 'Not recorded') = ANY($categories) AND coalesce(subject_race, 'Unknown') = "
        "ANY($races) AND coalesce(subject_sex, 'Unknown') = ANY($sexes) AND (CASE WHEN subject_age BETWEEN 0 AND 17"
    )
    assert params == {
        "date_from": date(2021, 1, 1),
        "date_to": date(2021, 12, 31),
        "neighborhood_ids": ["alder"],
        "categories": ["Firearm"],
        "races": ["Black"],
        "sexes": ["Male"],
        "age_bands": ["65+"],
    }


def test_hostile_text_stays_a_parameter(tmp_path):
    """A category of "'; DROP TABLE x; --" never enters the SQL; it matches nothing and harms nothing."""
    write_city(
        tmp_path, {"crime_incident": {"t_crime": [row("crime_incident", "r1", local(2021, 1, 5), "alder")]}}
    )
    city = open_city(tmp_path, CITY)
    f = Filters.make("crime_incident", categories=[HOSTILE], neighborhood_ids=[HOSTILE])
    where, params = f.to_sql()
    assert HOSTILE not in where and "DROP" not in where
    assert params["categories"] == [HOSTILE]
    assert city.query(f"SELECT count(*) AS n FROM crime_incident WHERE {where}", params)["n"][0] == 0
    assert city.query("SELECT count(*) AS n FROM crime_incident")["n"][0] == 1


def test_age_bands_in_sql_and_python_agree():
    """The SQL CASE and the Python rule put every age (and no age) in the same band."""
    ages = [None, -1, 0, 17, 18, 24, 25, 34, 35, 44, 45, 54, 55, 64, 65, 120, 121, 300]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (age SMALLINT)")
    con.executemany("INSERT INTO t VALUES (?)", [[a] for a in ages])
    sql_bands = [b for (b,) in con.sql(f"SELECT {age_band_sql('age')} FROM t").fetchall()]
    assert sql_bands == [age_band(a) for a in ages]
    assert sql_bands[:5] == ["Unknown", "Unknown", "Under 18", "Under 18", "18–24"]
    assert set(sql_bands) == set(AGE_BANDS)


def test_previous_period_and_year_before():
    """Whole months compare with the months before; other windows with the same number of days."""
    months = Filters.make("complaint", date(2021, 7, 1), date(2021, 12, 31))
    assert months.previous_period().date_from == date(2021, 1, 1)
    assert months.previous_period().date_to == date(2021, 6, 30)
    days = Filters.make("complaint", date(2021, 3, 10), date(2021, 3, 19))
    assert (days.previous_period().date_from, days.previous_period().date_to) == (
        date(2021, 2, 28),
        date(2021, 3, 9),
    )
    leap = Filters.make("complaint", date(2020, 2, 1), date(2020, 2, 29)).year_before()
    assert (leap.date_from, leap.date_to) == (date(2019, 2, 1), date(2019, 2, 28))
    assert Filters.make("complaint").previous_period() is None
    assert Filters.make("complaint", date(2021, 1, 1)).year_before() is None


FIELDS = {
    "occurred_at": "date_occ",
    "neighborhood_id": "community_area",
    "allegation_category": "fado_type",
    "complainant_race": "race",
    "complainant_age": "age",
}


def test_source_query_quotes_values_and_says_none_when_it_cannot():
    """The 'check this at the source' query escapes quotes; an unmapped filter gives None, not a wrong link."""
    f = Filters.make(
        "complaint",
        date(2021, 1, 1),
        date(2021, 12, 31),
        categories=["O'Brien", "Not recorded"],
        races=["Black"],
        age_bands=["Under 18", "Unknown"],
    )
    assert f.to_soql(FIELDS) == (
        "date_occ >= '2021-01-01T00:00:00' AND date_occ < '2022-01-01T00:00:00' AND "
        "(fado_type IN ('O''Brien') OR fado_type IS NULL) AND race IN ('Black') AND "
        "((age >= 0 AND age <= 17) OR (age IS NULL OR age < 0 OR age > 120))"
    )
    assert f.to_arcgis_where(FIELDS).startswith(
        "date_occ >= TIMESTAMP '2021-01-01 00:00:00' AND date_occ < TIMESTAMP '2022-01-01 00:00:00'"
    )
    assert Filters.make("complaint", sexes=["Female"]).to_soql(FIELDS) is None  # sex not mapped
    assert Filters.make("complaint", neighborhood_ids=["alder"]).to_soql({"occurred_at": "date_occ"}) is None
    assert Filters.make("complaint").to_soql(FIELDS) == ""
    assert Filters.make("complaint").to_arcgis_where(FIELDS) == "1=1"
    assert Filters.make("complaint", date(2021, 1, 1)).to_soql({"occurred_at": "date; DROP"}) is None
