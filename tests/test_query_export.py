"""Downloads: exact CSV bytes for hostile cells, file names, notes, ZIP bundles and the row-level policy."""

import io
import json
import zipfile
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from query import (
    DisclosurePolicy,
    ExportPolicy,
    ExportRefused,
    Filters,
    bundle_name,
    count_records,
    export_filename,
    export_records,
    export_refusal,
    notes_text,
    open_city,
    page_aggregates,
    records_bundle,
    table_bundle,
    to_csv_bytes,
    zip_bundle,
)
from tests.query_fixtures import CITY, sample_rows, write_city

BOM = b"\xef\xbb\xbf"
MADE_AT = datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)  # ZIP times have 2-second steps


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return open_city(write_city(tmp_path_factory.mktemp("cache"), sample_rows()), CITY)


def test_hostile_text_cells_are_escaped_and_quoted_exactly():
    """Formula starters get an apostrophe, RFC 4180 quoting where needed, CRLF line ends, UTF-8 with BOM."""
    df = pd.DataFrame(
        {
            "name": [
                "=SUM(A1)",
                "+1",
                "-2",
                "@x",
                "\tx",
                "\rx",
                'say "hi"',
                "a,b",
                "two\nlines",
                "Peñalosa 東京",
                None,
            ],
            "n": pd.array([-2, 1, None, 4, 5, 6, 7, 8, 9, 10, 11], dtype="Int64"),
        }
    )
    expected = (
        "name,n\r\n"
        "'=SUM(A1),-2\r\n"
        "'+1,1\r\n"
        "'-2,\r\n"
        "'@x,4\r\n"
        "'\tx,5\r\n"
        '"\'\rx",6\r\n'
        '"say ""hi""",7\r\n'
        '"a,b",8\r\n'
        '"two\nlines",9\r\n'
        "Peñalosa 東京,10\r\n"
        ",11\r\n"
    )
    assert to_csv_bytes(df) == BOM + expected.encode("utf-8")
    assert to_csv_bytes(df, is_excel_bom=False) == expected.encode("utf-8")


def test_numbers_dates_and_booleans_keep_their_types():
    """-2 the number stays -2 (only the text '-2' is escaped); dates ISO; NaN, NA and infinity empty."""
    chicago = ZoneInfo("America/Chicago")
    df = pd.DataFrame(
        {
            "=bad": ["-2", "ok"],
            "ratio": [-0.5, float("nan")],
            "big": [1e-05, float("inf")],
            "day": [date(2021, 1, 2), None],
            "at": [pd.Timestamp(2021, 1, 2, 12, tz=chicago), pd.NaT],
            "flag": pd.array([True, None], dtype="boolean"),
            "mixed": [-3, "-3"],
        }
    )
    assert to_csv_bytes(df, is_excel_bom=False).decode() == (
        "'=bad,ratio,big,day,at,flag,mixed\r\n"
        "'-2,-0.5,1e-05,2021-01-02,2021-01-02T12:00:00-06:00,true,-3\r\n"
        "ok,,,,,,'-3\r\n"
    )


def test_string_columns_are_written_as_text_even_when_they_hold_numbers():
    """An identifier stored as a number is still text by schema: -7 in a string column becomes '-7."""
    df = pd.DataFrame({"record_id": [-7, 12], "count": [-7, 12]})
    assert (
        to_csv_bytes(df, string_columns=["record_id"], is_excel_bom=False)
        == b"record_id,count\r\n'-7,-7\r\n12,12\r\n"
    )


def test_csv_reads_back_into_the_same_table():
    """A spreadsheet-safe file is still a faithful file: pandas reads the same values (bar the apostrophes)."""
    df = pd.DataFrame({"name": ["a,b", 'q"uote', "two\nlines", "Köln"], "n": [1, 2, 3, 4]})
    back = pd.read_csv(io.BytesIO(to_csv_bytes(df)), encoding="utf-8-sig")
    assert back["name"].tolist() == df["name"].tolist() and back["n"].tolist() == [1, 2, 3, 4]


def test_export_filename_is_a_safe_descriptive_slug():
    """File names say kind, area, dates, snapshot and contents, in ASCII without spaces."""
    assert (
        export_filename(
            "use_of_force",
            "Alder Park",
            date(2021, 1, 1),
            date(2022, 6, 30),
            "2026-01-01T06:00:00+00:00",
            "records",
        )
        == "use_of_force_alder-park_2021-01-01_2022-06-30_snapshot-2026-01-01_records.csv"
    )
    assert (
        export_filename("complaint", "Peñalosa Park / North", None, None, None, "by neighborhood")
        == "complaint_penalosa-park-north_earliest_latest_by_neighborhood.csv"
    )
    assert (
        export_filename("complaint", "../../etc", None, date(2021, 1, 1), date(2026, 1, 1), "x/y")[:18]
        == "complaint_etc_earl"
    )


def test_notes_say_what_where_from_and_how_to_read(city):
    """The README names the selection, each source, the counting unit, suppression and the apostrophes."""
    f = Filters.make("complaint", date(2021, 1, 1), date(2021, 12, 31), neighborhood_ids=["alder"])
    notes = notes_text(city, f, what="by race", disclosure=DisclosurePolicy(), generated_at=MADE_AT)
    for text in (
        "Selection: Civilian complaints in Alder Park, Jan 2021 – Dec 2021",
        "Civilian complaints (hand-made test data) (Testville Police Department (fictional))",
        "Landing page: https://data.testville.example/d/t_complaints",
        "Licence: CC0 1.0",
        "fetched: 2026-01-01 06:00 UTC",
        "Counting unit: allegations. One row per allegation.",
        "counts from 1 to 4",
        "start with an apostrophe (')",
        "Generated: 2026-01-02 03:04 UTC",
    ):
        assert text in notes


def test_zip_bundle_holds_the_csv_and_its_readme():
    """One download, two files: the CSV unchanged and README.txt with Windows line ends."""
    data = zip_bundle("x.csv", b"a,b\r\n1,2\r\n", "line one\nline two\n", made_at=MADE_AT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["x.csv", "README.txt"]
        assert archive.read("x.csv") == b"a,b\r\n1,2\r\n"
        assert archive.read("README.txt") == b"line one\r\nline two\r\n"
        assert archive.getinfo("x.csv").date_time == (2026, 1, 2, 3, 4, 6)


def test_row_level_export_is_refused_where_switched_off(city):
    """A kind without row-level downloads says so and points to the summaries and the source."""
    with pytest.raises(ExportRefused, match="switched off") as refused:
        export_records(city, Filters.make("use_of_force"), ExportPolicy({"complaint": True}))
    assert "source's own page" in refused.value.reason


def test_export_refusal_can_be_asked_before_building_anything(city):
    """The page asks first, to show the reason instead of a download button that would fail."""
    f = Filters.make("complaint", neighborhood_ids=["birch"])
    assert export_refusal(city, f, ExportPolicy({"complaint": True})) is None
    assert "switched off" in export_refusal(city, f, ExportPolicy())
    assert "records match" in export_refusal(city, f, ExportPolicy({"complaint": True}, max_rows=1))


def test_row_level_export_over_the_cap_is_refused_with_the_count(city):
    """More matching rows than the cap: refused before reading them, with the count and what to do."""
    f = Filters.make("crime_incident")
    matching = count_records(city, f)
    with pytest.raises(ExportRefused, match=f"{matching:,} records match, more than the 100") as refused:
        export_records(city, f, ExportPolicy({"crime_incident": True}, max_rows=100))
    assert "Narrow the dates or neighborhoods" in refused.value.reason
    assert (
        len(
            pd.read_csv(
                io.BytesIO(export_records(city, f, ExportPolicy({"crime_incident": True}, max_rows=matching)))
            )
        )
        == matching
    )


def test_exported_records_carry_public_columns_only(city):
    """The CSV has every matching record and no coordinates or other non-public columns."""
    f = Filters.make("complaint", neighborhood_ids=["birch"])
    csv_bytes = export_records(city, f, ExportPolicy({"complaint": True}))
    back = pd.read_csv(io.BytesIO(csv_bytes), encoding="utf-8-sig")
    assert len(back) == count_records(city, f)
    assert {"lat", "lon", "allegation_id"}.isdisjoint(back.columns)
    assert "complainant_race" in back.columns


def test_bundles_are_named_and_noted(city):
    """records_bundle and table_bundle give a ZIP named after the selection, with notes and a datapackage.json inside."""
    f = Filters.make("complaint", date(2021, 1, 1), date(2021, 6, 30), neighborhood_ids=["birch"])
    bundle = records_bundle(city, f, ExportPolicy({"complaint": True}), made_at=MADE_AT)
    assert bundle.file_name == "complaint_birch-hill_2021-01-01_2021-06-30_snapshot-2026-01-01_records.zip"
    assert bundle_name(city, f, "records") == bundle.file_name  # known before the bytes are built
    page = page_aggregates(city, f)
    table = table_bundle(city, f, page.by_race, "by race", disclosure=DisclosurePolicy(), made_at=MADE_AT)
    with zipfile.ZipFile(io.BytesIO(table.data)) as archive:
        csv_name = table.file_name.removesuffix(".zip") + ".csv"
        assert archive.namelist() == [csv_name, "README.txt", "datapackage.json"]
        assert b"counts from 1 to 4" in archive.read("README.txt")
        package = json.loads(archive.read("datapackage.json"))
        [resource] = package["resources"]
        header = archive.read(csv_name).removeprefix(BOM).split(b"\r\n", 1)[0].decode().split(",")
        assert resource["path"] == csv_name and [f["name"] for f in resource["schema"]["fields"]] == header
        assert package["licenses"] and package["sources"][0]["title"]
        assert archive.read(csv_name).startswith(
            BOM + b"group,count,share,population_share,is_suppressed,reason,label\r\n"
        )
