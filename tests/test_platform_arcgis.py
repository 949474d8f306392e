"""The ArcGIS adapter reads every row exactly once, survives flaky servers, and parses real answers."""

from datetime import UTC, datetime
from types import MappingProxyType
from urllib.parse import parse_qsl

import orjson
import pyarrow as pa
import pytest

from loaders.catalog import Geography, Source
from loaders.errors import FeedAuthError, FeedConfigError, FeedFormatError, FeedUnavailableError
from loaders.http import HttpClient, RetryPolicy
from loaders.platforms.arcgis import (
    ArcGISAdapter,
    arrow_schema,
    has_more,
    parse_query_page,
    read_layer,
    with_updated_at,
)
from loaders.platforms.base import GEOMETRY_X, GEOMETRY_Y, UPDATED_AT_COLUMN, PullRequest
from tests.feedserver import DatasetSettings, Fault, FeedServer, make_table
from tests.shared_data import shared_file


def _source(endpoint: str = "http://127.0.0.1:1/arcgis/rest/services/x/FeatureServer/0", **kw) -> Source:
    return Source(
        source_id="test_arcgis",
        city="testville",
        kind="crime_incident",
        platform="arcgis",
        endpoint=endpoint,
        title="hand-made test layer",
        publisher="tests",
        landing_page="http://127.0.0.1/",
        licence="CC0",
        date_field="occurred",
        fields=MappingProxyType({}),
        geography=Geography(method="none"),
        **kw,
    )


def _request(page_size: int | None = None, updated_at: str | None = None, **kw) -> PullRequest:
    return PullRequest(_source(updated_at_field=updated_at, **kw), page_size=page_size)


# --- Real recorded ArcGIS answers (../shared); skipped when it is absent ---


def _recorded(name: str) -> dict:
    return orjson.loads(shared_file(f"api-samples/arcgis/{name}").read_bytes())


@pytest.mark.shared
def test_recorded_lancaster_page_parses_with_its_flag_and_points():
    """The real Lancaster page: 30 rows, exceededTransferLimit seen, OBJECTIDs as int64, x/y in degrees."""
    answer = _recorded("openaddr_machine_us-pa-lancaster-0.json")
    meta = _recorded("openaddr_machine_us-pa-lancaster-metadata.json")
    page = parse_query_page(answer, arrow_schema(meta["fields"]))
    assert has_more(answer) is True
    assert page.num_rows == 30
    assert page.schema.field("OBJECTID").type == pa.int64()
    assert page.schema.field("ADRNUM").type == pa.int64()
    assert page.column("FULLADDR")[0].as_py() == "423 W 28TH DIVISION HWY LOT 1 ELIZABETH TOWNSHIP"
    assert page.column(GEOMETRY_X)[0].as_py() == pytest.approx(-76.320967)
    assert page.column(GEOMETRY_Y)[0].as_py() == pytest.approx(40.2323465)
    assert len(set(page.column("OBJECTID").to_pylist())) == 30


@pytest.mark.shared
def test_recorded_probe_without_geometry_still_has_typed_geometry_columns():
    """The one-row probe (no geometry requested) gives null float64 x/y, so schemas match across pages."""
    page = parse_query_page(_recorded("openaddr_machine_us-pa-lancaster-probe.json"))
    assert page.num_rows == 1
    assert page.schema.field(GEOMETRY_X).type == pa.float64()
    assert page.column(GEOMETRY_X).null_count == 1


@pytest.mark.shared
def test_recorded_lancaster_metadata_sets_paging_and_source_update_time():
    """Real layer metadata: OBJECTID field, pagination on, page capped at maxRecordCount, lastEditDate in UTC."""
    layer = read_layer(
        _recorded("openaddr_machine_us-pa-lancaster-metadata.json"), _request(page_size=5000), "t"
    )
    assert (layer.oid_field, layer.is_paged, layer.page_size) == ("OBJECTID", True, 1000)
    assert layer.updated_at == datetime(2015, 10, 1, 15, 10, 19, 214000, tzinfo=UTC)


@pytest.mark.shared
def test_recorded_old_server_metadata_falls_back_to_id_chunks():
    """A real 10.0 layer with no pagination and no objectIdField key: OID found by type, paging off."""
    layer = read_layer(_recorded("pyesridump_us-ca-carson_us-ca-carson-metadata.json"), _request(), "t")
    assert (layer.oid_field, layer.is_paged, layer.updated_at) == ("OBJECTID", False, None)


@pytest.mark.shared
def test_recorded_epoch_millisecond_dates_stay_int64_and_convert_to_utc():
    """The esri-test page's esriFieldTypeDate values stay epoch ms (int64), and __updated_at reads as 2015."""
    answer = _recorded("pyesridump_us-esri-test_us-esri-test-0.json")
    layer = read_layer(
        _recorded("pyesridump_us-esri-test_us-esri-test-metadata.json"), _request(updated_at="observed"), "t"
    )
    page = with_updated_at(parse_query_page(answer, layer.schema), "observed")
    assert page.num_rows == 1000
    assert page.schema.field("observed").type == pa.int64()
    assert page.column("observed").null_count == 1000 - 120
    assert 1428404675000 in page.column("observed").to_pylist()
    stamps = page.column(UPDATED_AT_COLUMN)
    assert stamps.type == pa.timestamp("ms", tz="UTC")
    assert datetime(2015, 4, 7, 11, 4, 35, tzinfo=UTC) in stamps.to_pylist()


@pytest.mark.shared
def test_recorded_error_body_with_http_200_is_an_error():
    """The real Washington County answer {"error": {"code": 400}} raises a config error, not an empty page."""
    answer = _recorded("openaddr_machine_us-nm-washington-probe.json")
    with pytest.raises(FeedConfigError, match="Failed to execute query"):
        parse_query_page(answer, source_id="washington")


# --- Hand-made metadata ---


def test_layer_that_cannot_sort_is_not_paged_by_offset():
    """Hand-made metadata: pagination without orderBy would let offsets overlap, so id chunks are used."""
    meta = {
        "fields": [{"name": "FID", "type": "esriFieldTypeOID"}],
        "maxRecordCount": 2000,
        "advancedQueryCapabilities": {"supportsPagination": True, "supportsOrderBy": False},
    }
    layer = read_layer(meta, _request(), "t")
    assert (layer.oid_field, layer.is_paged, layer.page_size) == ("FID", False, 2000)


# --- Against FeedServer (hand-made data on 127.0.0.1) ---


def _client() -> HttpClient:
    return HttpClient("test_arcgis", policy=RetryPolicy(backoff_base_s=0.01, backoff_max_s=2))


def _serve(server: FeedServer, n: int, **settings) -> tuple[pa.Table, Source]:
    table = make_table(n, seed=n)
    server.add_dataset("incidents", table, settings=DatasetSettings(**settings))
    return table, _source(server.arcgis_layer_url("incidents"), updated_at_field="updated_at")


def _pull(source: Source, *, page_size: int | None = None, since=None, http=None, after_first_page=None):
    pages: list[pa.Table] = []

    def emit(page: pa.Table) -> None:
        pages.append(page)
        if after_first_page and len(pages) == 1:
            after_first_page()  # a fault injected here hits page 2, mid-pull

    request = PullRequest(source, since=since, page_size=page_size)
    result = ArcGISAdapter().pull(request, http or _client(), emit, lambda pages, rows: None)
    return result, pages


def _ids(pages: list[pa.Table]) -> list[str]:
    return [i for page in pages for i in page.column("id").to_pylist()]


def _query_params(server: FeedServer) -> list[dict]:
    return [dict(parse_qsl(r.body.decode())) for r in server.requests if r.path.endswith("/query")]


def test_server_cap_below_asked_page_size_still_reads_every_row_once(feed_server):
    """Asking for 500 rows a page from a layer capped at 100 reads all 1,050 rows, each once, in 100-row pages."""
    table, source = _serve(feed_server, 1050, arcgis_max_record_count=100)
    result, pages = _pull(source, page_size=500)
    ids = _ids(pages)
    assert sorted(ids) == sorted(table.column("id").to_pylist())
    assert (result.rows, result.source_count, result.pages) == (1050, 1050, 11)
    asked = {p["resultRecordCount"] for p in _query_params(feed_server) if "resultOffset" in p}
    assert asked == {"100"}


def test_short_pages_do_not_end_the_pull_while_the_server_says_more(feed_server):
    """A server that sends half-pages but sets exceededTransferLimit is paged to the end, no row twice."""
    table, source = _serve(feed_server, 730, arcgis_max_record_count=100, arcgis_short_pages=True)
    result, pages = _pull(source)
    ids = _ids(pages)
    assert len(ids) == len(set(ids)) == table.num_rows == result.source_count
    assert {page.num_rows for page in pages[:-1]} == {50}


def test_layer_without_pagination_is_read_by_object_id_chunks(feed_server):
    """Without pagination support, every OBJECTID is listed and fetched once, never with resultOffset."""
    table, source = _serve(
        feed_server,
        430,
        arcgis_max_record_count=100,
        arcgis_supports_pagination=False,
        arcgis_short_pages=True,
    )
    result, pages = _pull(source)
    ids = _ids(pages)
    assert len(ids) == len(set(ids)) == table.num_rows == result.rows == result.source_count
    sent = _query_params(feed_server)
    assert not any("resultOffset" in p for p in sent)
    assert any(p.get("returnIdsOnly") == "true" for p in sent)


def test_every_page_has_one_schema_even_when_a_column_is_all_null(feed_server):
    """A page whose text column is entirely null still types it as text, so all pages share one schema."""
    table = make_table(300, seed=3)
    blank = pa.array([None] * 100 + table.column("category").to_pylist()[100:], pa.string())
    table = table.set_column(table.schema.get_field_index("category"), "category", blank)
    feed_server.add_dataset("gaps", table, settings=DatasetSettings(arcgis_max_record_count=100))
    _, pages = _pull(_source(feed_server.arcgis_layer_url("gaps"), updated_at_field="updated_at"))
    assert pages[0].column("category").null_count == 100
    assert len({page.schema for page in pages}) == 1
    assert pages[0].schema.field("category").type == pa.string()


def test_dates_arrive_as_epoch_milliseconds_and_points_as_x_y(feed_server):
    """esriFieldTypeDate stays int64 epoch ms equal to the source time; lon/lat come back as x/y; edits as UTC."""
    table, source = _serve(feed_server, 50)
    _, (page,) = _pull(source)
    assert page.schema.field("occurred").type == pa.int64()
    expected_ms = table.column("occurred").cast(pa.int64()).to_numpy() // 1000
    assert page.column("occurred").to_pylist() == expected_ms.tolist()
    assert page.column(GEOMETRY_X).to_pylist() == table.column("lon").to_pylist()
    assert page.column(GEOMETRY_Y).to_pylist() == table.column("lat").to_pylist()
    assert page.column(UPDATED_AT_COLUMN).to_pylist() == table.column("updated_at").to_pylist()


def test_incremental_pull_reads_only_rows_edited_since_the_watermark(feed_server):
    """With `since`, only rows whose updated_at is later come back, and the count covers the same rows."""
    table, source = _serve(feed_server, 400, arcgis_max_record_count=100)
    since = datetime(2022, 1, 1, tzinfo=UTC)
    result, pages = _pull(source, since=since)
    expected = {
        i for i, u in zip(table.column("id").to_pylist(), table.column("updated_at").to_pylist()) if u > since
    }
    assert 0 < len(expected) < table.num_rows
    assert set(_ids(pages)) == expected
    assert result.rows == result.source_count == len(expected)


def test_error_json_with_http_200_mid_pull_is_retried_when_transient(feed_server):
    """An ArcGIS {"error": {"code": 500}} answer (HTTP 200) on page 2 is retried and the pull completes."""
    table, source = _serve(feed_server, 300, arcgis_max_record_count=100)
    result, pages = _pull(source, after_first_page=lambda: feed_server.inject("/query", Fault.arcgis_error()))
    assert sorted(_ids(pages)) == sorted(table.column("id").to_pylist())
    assert result.rows == result.source_count == table.num_rows
    assert [r.fault for r in feed_server.requests if r.fault] == [Fault.arcgis_error().kind]


@pytest.mark.parametrize(
    ("code", "error"), [(400, FeedConfigError), (499, FeedAuthError), (500, FeedUnavailableError)]
)
def test_error_json_with_http_200_is_detected(feed_server, code, error):
    """Error JSON sent with HTTP 200 stops the pull with a typed error, never passing for an empty page."""
    _, source = _serve(feed_server, 10)
    body = orjson.dumps({"error": {"code": code, "message": "Failed to execute query.", "details": []}})
    feed_server.inject("/query", Fault.status(200, body), times=10)
    with pytest.raises(error, match=f"ArcGIS error {code}"):
        _pull(source)


@pytest.mark.parametrize(
    "fault",
    [Fault.rate_limited(retry_after_s=0.2), Fault.server_error(503), Fault.truncated()],
    ids=lambda f: f.kind,
)
def test_page_failing_once_is_fetched_again(feed_server, fault):
    """A 429 (with Retry-After), a 503 or a cut-short body on page 2 is retried; every row arrives once."""
    table, source = _serve(feed_server, 250, arcgis_max_record_count=100)
    sleeps: list[float] = []
    http = HttpClient("t", policy=RetryPolicy(backoff_base_s=0.01, backoff_max_s=2), sleep=sleeps.append)
    result, pages = _pull(source, http=http, after_first_page=lambda: feed_server.inject("/query", fault))
    ids = _ids(pages)
    assert len(ids) == len(set(ids)) == table.num_rows == result.source_count
    assert [r.fault for r in feed_server.requests if r.fault] == [fault.kind]
    if fault.status_code == 429:
        assert sleeps == [0.2]  # the server's Retry-After, not our own backoff


NULL_LIKE = ["NULL", "N/A", "NaN", "null", "#N/A", "-", None]


def test_null_like_text_stays_text_and_json_null_is_null(feed_server):
    """Attribute strings such as "NULL" and "N/A" arrive as published text; only a JSON null is missing."""
    table = make_table(len(NULL_LIKE)).set_column(2, "category", pa.array(NULL_LIKE, pa.string()))
    feed_server.add_dataset("incidents", table)
    _, pages = _pull(_source(feed_server.arcgis_layer_url("incidents")))
    assert [v for page in pages for v in page.column("category").to_pylist()] == NULL_LIKE


def test_available_fields_are_the_layer_fields_including_a_renamed_one(feed_server):
    """The layer's declared fields are reported, so a field the publisher renamed shows its new name."""
    table = make_table(20).rename_columns(["id", "occurred", "offense", "amount", "lat", "lon", "updated_at"])
    feed_server.add_dataset("incidents", table)
    result, _ = _pull(_source(feed_server.arcgis_layer_url("incidents")), page_size=7)
    assert result.available_fields == ("OBJECTID", *table.column_names)
    assert "category" not in result.available_fields


def test_metadata_field_without_a_name_is_a_format_error():
    """Hand-made metadata with a nameless field is named as a protocol breakage, not a KeyError."""
    meta = {"fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID"}, {"type": "esriFieldTypeString"}]}
    with pytest.raises(FeedFormatError, match="without a text `name`"):
        read_layer(meta, _request(), "t")


# --- dateFieldsTimeReference: date epochs that are local wall-clock times (hand-made layers) ---

PACIFIC = {"timeZone": "Pacific Standard Time", "respectsDaylightSaving": True}
# Instants (UTC) of incidents at 2023-07-04 23:30, 2023-07-05 01:30 and 2023-01-10 23:30 Pacific time.
INSTANTS = [datetime(2023, 7, 5, 6, 30), datetime(2023, 7, 5, 8, 30), datetime(2023, 1, 11, 7, 30)]


def _local_time_layer(server: FeedServer, reference: dict | None, zone: str | None) -> Source:
    table = make_table(len(INSTANTS)).set_column(1, "occurred", pa.array(INSTANTS, pa.timestamp("us")))
    settings = DatasetSettings(arcgis_time_zone=zone, arcgis_time_reference=reference)
    server.add_dataset("incidents", table, settings=settings)
    return _source(server.arcgis_layer_url("incidents"), updated_at_field="updated_at")


def _local_days(pages: list[pa.Table]) -> list[str]:
    from loaders.dates import local_date, parse_dates

    occurred = pa.concat_tables(pages).column("occurred")
    return [str(d) for d in local_date(parse_dates(occurred, "epoch_ms", "America/Los_Angeles")).to_pylist()]


def test_local_time_layer_dates_land_on_their_local_day(feed_server):
    """Pacific wall-clock epochs: 23:30 on 4 July stays on 4 July, 01:30 on 5 July on 5 July, winter too."""
    source = _local_time_layer(feed_server, PACIFIC, "America/Los_Angeles")
    _, pages = _pull(source)
    expected_ms = [int(moment.replace(tzinfo=UTC).timestamp() * 1000) for moment in INSTANTS]
    assert pa.concat_tables(pages).column("occurred").to_pylist() == expected_ms
    assert _local_days(pages) == ["2023-07-04", "2023-07-05", "2023-01-10"]


def test_layer_without_a_time_reference_stays_utc(feed_server):
    """Without dateFieldsTimeReference the epochs are read as UTC, unchanged."""
    source = _local_time_layer(feed_server, None, None)
    _, pages = _pull(source)
    assert _local_days(pages) == ["2023-07-04", "2023-07-05", "2023-01-10"]
    assert pa.concat_tables(pages).column("occurred")[0].as_py() == 1688538600000


def test_standard_time_all_year_when_daylight_saving_is_not_respected(feed_server):
    """respectsDaylightSaving false: summer epochs are UTC-8 (standard time), not UTC-7."""
    reference = {"timeZone": "Pacific Standard Time", "respectsDaylightSaving": False}
    source = _local_time_layer(feed_server, reference, "-08:00")
    _, pages = _pull(source)
    expected_ms = [int(moment.replace(tzinfo=UTC).timestamp() * 1000) for moment in INSTANTS]
    assert pa.concat_tables(pages).column("occurred").to_pylist() == expected_ms


def test_unknown_time_zone_name_is_a_typed_error_naming_it(feed_server):
    """A zone name we cannot map stops the pull with an error that names it and where to add it."""
    source = _local_time_layer(feed_server, {"timeZone": "Mars Standard Time"}, "UTC")
    with pytest.raises(FeedFormatError, match="'Mars Standard Time'") as caught:
        _pull(source)
    assert "WINDOWS_ZONES" in str(caught.value)


def test_incremental_pull_on_a_local_time_layer_misses_no_edit(feed_server):
    """The watermark is sent in the layer's wall-clock time, so edits just after it are all fetched."""
    table = make_table(600, seed=3)
    settings = DatasetSettings(arcgis_time_zone="America/Los_Angeles", arcgis_time_reference=PACIFIC)
    feed_server.add_dataset("incidents", table, settings=settings)
    source = _source(feed_server.arcgis_layer_url("incidents"), updated_at_field="updated_at")
    since = table.column("updated_at").sort()[300].as_py()
    _, pages = _pull(source, since=since)
    changed = [
        i for i, u in zip(table["id"].to_pylist(), table["updated_at"].to_pylist(), strict=True) if u > since
    ]
    assert sorted(_ids(pages)) == sorted(changed)
    stamps = pa.concat_tables(pages).column(UPDATED_AT_COLUMN).to_pylist()
    assert min(stamps) > since  # and __updated_at is the true instant, not the wall-clock reading
