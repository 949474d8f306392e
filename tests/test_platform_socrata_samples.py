"""Real recorded Socrata responses parse through the Socrata adapter's page parsers."""

import pyarrow as pa
import pytest

from loaders.errors import FeedFormatError
from loaders.platforms.socrata import parse_csv_page, parse_json_page
from tests.shared_data import cassette_bodies, shared_file

pytestmark = pytest.mark.shared


def test_recorded_json_page_keeps_every_row_as_text():
    """The 1,000-row SODA JSON page (rows split by newline-comma) parses whole, all values strings."""
    page = parse_json_page(shared_file("api-samples/socrata/sodapy_bike_counts_page_1.json").read_bytes())
    assert page.num_rows == 1000
    assert set(page.column_names) >= {"id", "date", "counts", "status"}
    assert all(pa.types.is_string(t) for t in page.schema.types)
    assert page.column("date")[0].as_py().endswith(".000")


def test_recorded_last_page_has_the_one_remaining_row():
    """The $offset=1000 page holds the single last row, so the pull totals 1,001."""
    page = parse_json_page(shared_file("api-samples/socrata/sodapy_bike_counts_page_2.json").read_bytes())
    assert page.num_rows == 1


def test_recorded_csv_page_matches_its_json_twin():
    """The recorded NYC CSV answer has the same 1,000 rows and fields as the JSON one."""
    ((_, _, csv_body),) = cassette_bodies("api-samples/socrata/sodapy_afeld_cassette_test_get_csv.yaml")
    ((_, _, json_body),) = cassette_bodies("api-samples/socrata/sodapy_afeld_cassette_test_get.yaml")
    from_csv, from_json = parse_csv_page(csv_body), parse_json_page(json_body)
    assert from_csv.num_rows == from_json.num_rows == 1000
    assert from_csv.column_names == ["countid", "id", "date", "counts", "status"]
    assert from_csv.column("countid").to_pylist() == from_json.column("countid").to_pylist()


def test_recorded_missing_dataset_error_is_a_clear_error():
    """The real 404 body for a missing dataset is reported, not mistaken for an empty page."""
    ((_, status, body),) = cassette_bodies("api-samples/socrata/sodapy_afeld_cassette_test_get_missing.yaml")
    assert status == 404
    with pytest.raises(FeedFormatError, match="Not found"):
        parse_json_page(body, "nyc_test")
