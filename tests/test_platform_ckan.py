"""The CKAN adapter reads every row exactly once despite rows_max, and parses real DataStore answers."""

from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

import orjson
import pyarrow as pa
import pytest

from loaders.catalog import Geography, Source
from loaders.errors import FeedConfigError, FeedFormatError, FeedIncompleteError
from loaders.http import HttpClient, RetryPolicy
from loaders.platforms.base import PullRequest
from loaders.platforms.ckan import CkanAdapter, parse_records, search_result
from tests.feedserver import DatasetSettings, Fault, FeedServer, make_table
from tests.shared_data import cassette_bodies

PARSER_CASSETTE = "api-samples/ckan/frictionless_cassette_test_ckan_parser.yaml"
TYPES_CASSETTE = "api-samples/ckan/frictionless_cassette_test_ckan_storage_types.yaml"


def _search(cassette: str, uri_part: str) -> dict:
    """The last recorded datastore_search answer whose request URI contains `uri_part`."""
    found = [
        body for uri, _, body in cassette_bodies(cassette) if "datastore_search" in uri and uri_part in uri
    ]
    return orjson.loads(found[-1])


# --- Real recorded DataStore answers (../shared); skipped when it is absent ---


@pytest.mark.shared
def test_recorded_page_keeps_both_rows_and_non_ascii_text():
    """The real demo.ckan.org page: 2 rows, _id and id as int64, "中国人" intact, total 2."""
    answer = _search(PARSER_CASSETTE, "include_total=False")
    result = search_result(answer, "demo")
    page = parse_records(result)
    assert result["total"] == 2
    assert page.column_names == ["_id", "id", "name"]
    assert page.schema.field("_id").type == page.schema.field("id").type == pa.int64()
    assert page.column("name").to_pylist() == ["english", "中国人"]


@pytest.mark.shared
def test_recorded_page_past_the_end_is_empty_although_next_link_remains():
    """The real offset=100 answer has no records but still a _links.next, so emptiness must end paging."""
    answer = _search(PARSER_CASSETTE, "offset=100")
    result = search_result(answer, "demo")
    assert "next" in result["_links"]
    assert parse_records(result).num_rows == 0
    assert result["total"] == 2


@pytest.mark.shared
def test_recorded_column_types_map_to_arrow_and_json_to_text():
    """The real one-of-each-type record: numbers typed, timestamps kept raw, json and arrays as JSON text."""
    answer = _search(TYPES_CASSETTE, "include_total=False")
    page = parse_records(search_result(answer, "demo"))
    row = page.to_pylist()[0]
    assert page.schema.field("integer").type == pa.int64()
    assert page.schema.field("number").type == pa.float64()
    assert page.schema.field("boolean").type == pa.bool_()
    assert row["datetime"] == "2015-01-01T03:00:00"
    assert row["time"] == "03:00:00"
    assert orjson.loads(row["array"]) == ["Mike", "John"]
    assert orjson.loads(row["geojson"]) == {"type": "Point", "coordinates": [33, 33.33]}
    assert orjson.loads(row["object"]) == {"chars": 560}
    assert (row["integer"], row["number"], row["boolean"], row["any"]) == (1, 7.0, True, "中国人")


@pytest.mark.shared
def test_recorded_count_probe_gives_the_total_without_rows():
    """A real limit=0 answer parses to no rows and the server's total."""
    answer = _search(TYPES_CASSETTE, "limit=0")
    result = search_result(answer, "demo")
    assert parse_records(result).num_rows == 0
    assert result["total"] == 1


# --- Hand-made envelopes for the checks the recordings do not cover ---


def test_estimated_total_is_refused():
    """A total the server only estimated cannot prove completeness, so the pull stops."""
    answer = {
        "success": True,
        "result": {"records": [], "fields": [], "total": 5, "total_was_estimated": True},
    }
    with pytest.raises(FeedIncompleteError, match="estimated"):
        search_result(answer, "t")


def test_unsuccessful_answer_reports_the_server_message():
    """success: false becomes a config error naming CKAN's own complaint."""
    answer = {"success": False, "error": {"__type": "Not Found Error", "message": "Resource not found"}}
    with pytest.raises(FeedConfigError, match="Resource not found"):
        search_result(answer, "t")


# --- Against FeedServer (hand-made data on 127.0.0.1) ---


def _serve(server: FeedServer, n: int, name: str = "incidents", **settings) -> tuple[pa.Table, Source]:
    table = make_table(n, seed=n)
    server.add_dataset(name, table, settings=DatasetSettings(**settings))
    source = Source(
        source_id="test_ckan",
        city="testville",
        kind="crime_incident",
        platform="ckan",
        endpoint=server.ckan_site(),
        title="hand-made test resource",
        publisher="tests",
        landing_page="http://127.0.0.1/",
        licence="CC0",
        date_field="occurred",
        fields=MappingProxyType({}),
        geography=Geography(method="none"),
        dataset_id=name,
    )
    return table, source


def _pull(source: Source, *, page_size: int | None = None, since=None, after_first_page=None):
    pages: list[pa.Table] = []

    def emit(page: pa.Table) -> None:
        pages.append(page)
        if after_first_page and len(pages) == 1:
            after_first_page()  # a fault injected here hits page 2, mid-pull

    http = HttpClient("test_ckan", policy=RetryPolicy(backoff_base_s=0.01, backoff_max_s=2))
    result = CkanAdapter().pull(
        PullRequest(source, since=since, page_size=page_size), http, emit, lambda p, r: None
    )
    return result, pages


def _ids(pages: list[pa.Table]) -> list[str]:
    return [i for page in pages for i in page.column("id").to_pylist()]


def test_rows_max_clamp_below_the_asked_limit_still_reads_every_row_once(feed_server):
    """Asking for 1,000 rows a page where rows_max is 100 reads all 1,050 rows, each once, in 11 pages."""
    table, source = _serve(feed_server, 1050, ckan_rows_max=100)
    result, pages = _pull(source, page_size=1000)
    ids = _ids(pages)
    assert sorted(ids) == sorted(table.column("id").to_pylist())
    assert (result.rows, result.source_count, result.pages) == (1050, 1050, 11)
    offsets = [int(r.query["offset"][0]) for r in feed_server.requests]
    assert offsets == list(range(0, 1050, 100))  # ended on the total, not on _links.next


def test_columns_are_typed_once_for_every_page(feed_server):
    """Numbers and ids are typed, timestamps stay the raw ISO text, and all pages share one schema."""
    table, source = _serve(feed_server, 250, ckan_rows_max=100)
    _, pages = _pull(source)
    assert len({page.schema for page in pages}) == 1
    schema = pages[0].schema
    assert (schema.field("_id").type, schema.field("amount").type) == (pa.int64(), pa.int64())
    assert schema.field("lat").type == pa.float64()
    first = table.column("occurred")[0].as_py()
    assert pages[0].column("occurred")[0].as_py() == first.strftime("%Y-%m-%dT%H:%M:%S")


def test_incremental_request_still_reads_every_row(feed_server):
    """The DataStore cannot filter by edit time, so a pull with `since` reads the whole resource."""
    table, source = _serve(feed_server, 120)
    result, _ = _pull(source, since=datetime(2023, 1, 1, tzinfo=UTC))
    assert result.rows == result.source_count == table.num_rows


@pytest.mark.parametrize(
    "fault",
    [Fault.rate_limited(retry_after_s=0.05), Fault.server_error(503), Fault.truncated()],
    ids=lambda f: f.kind,
)
def test_page_failing_once_is_fetched_again(feed_server, fault):
    """A 429, a 503 or a cut-short body on page 2 is retried; every row arrives once."""
    table, source = _serve(feed_server, 250, ckan_rows_max=100)
    result, pages = _pull(source, after_first_page=lambda: feed_server.inject("offset=100", fault))
    ids = _ids(pages)
    assert len(ids) == len(set(ids)) == table.num_rows == result.source_count
    assert [r.fault for r in feed_server.requests if r.fault] == [fault.kind]


def test_unknown_resource_is_a_config_error_with_the_server_message(feed_server):
    """A resource id the site does not know stops the pull with CKAN's own 'not found' message."""
    _, source = _serve(feed_server, 5)
    missing = replace(source, dataset_id="no-such-resource")
    with pytest.raises(FeedConfigError, match="Resource was not found"):
        _pull(missing)


NULL_LIKE = ["NULL", "N/A", "NaN", "null", "#N/A", "-", None]


def test_null_like_text_stays_text_and_json_null_is_null(feed_server):
    """JSON strings such as "NULL" and "N/A" arrive as published text; only a JSON null is missing."""
    table = make_table(len(NULL_LIKE)).set_column(2, "category", pa.array(NULL_LIKE, pa.string()))
    feed_server.add_dataset("nulls", table)
    _, source = _serve(feed_server, 1, name="unused")
    _, pages = _pull(replace(source, dataset_id="nulls"))
    assert [v for page in pages for v in page.column("category").to_pylist()] == NULL_LIKE


def test_available_fields_are_the_datastore_fields_including_a_renamed_one(feed_server):
    """The DataStore's declared fields are reported, so a column the publisher renamed shows its new name."""
    _, source = _serve(feed_server, 1, name="unused")
    table = make_table(20).rename_columns(["id", "occurred", "offense", "amount", "lat", "lon", "updated_at"])
    feed_server.add_dataset("renamed", table)
    result, _ = _pull(replace(source, dataset_id="renamed"), page_size=7)
    assert result.available_fields == ("_id", *table.column_names)
    assert "category" not in result.available_fields


def test_field_without_an_id_is_a_format_error():
    """A `fields` entry without an `id` is named as a protocol breakage, not a KeyError."""
    answer = {"success": True, "result": {"records": [], "total": 0, "fields": [{"type": "text"}]}}
    with pytest.raises(FeedFormatError, match="without a text `id`"):
        search_result(answer, "t")
