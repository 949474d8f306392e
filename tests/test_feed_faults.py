"""Realistic upstream breakages end in typed errors that say what to do, never an untyped traceback.

Every answer here is hand-made and served by the local feed server on 127.0.0.1.
"""

import dataclasses
from types import MappingProxyType

import orjson
import pyarrow as pa
import pytest

from loaders.catalog import Geography, Source
from loaders.errors import FeedConfigError, FeedFormatError, FeedUnavailableError
from loaders.http import HttpClient, RetryPolicy
from loaders.platforms.arcgis import ArcGISAdapter
from loaders.platforms.base import PullRequest, PullResult
from loaders.platforms.ckan import CkanAdapter
from loaders.platforms.csvurl import CsvAdapter
from loaders.platforms.socrata import SocrataAdapter
from tests.feedserver import DatasetSettings, Fault, make_table
from tests.feedserver_protocols import JSON_TYPE

FAST = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)
CSV_TEXT = b"id,occurred,category\nR1,2023-07-04T10:00:00,THEFT\n"


def _source(platform: str, endpoint: str, **kw) -> Source:
    return Source(
        source_id=f"test_{platform}",
        city="testville",
        kind="crime_incident",
        platform=platform,
        endpoint=endpoint,
        title="hand-made test feed",
        publisher="tests",
        landing_page="http://127.0.0.1/",
        licence="CC0",
        date_field="occurred",
        geography=Geography(method="none"),
        **({"fields": MappingProxyType({"record_id": "id", "offense_raw": "category"})} | kw),
    )


def _pull(adapter, source: Source) -> tuple[PullResult, list[pa.Table]]:
    pages: list[pa.Table] = []
    http = HttpClient(source.source_id, policy=FAST)
    return adapter.pull(PullRequest(source), http, pages.append, lambda p, r: None), pages


def _socrata(server, fmt: str) -> Source:
    server.add_dataset("ds", make_table(5))
    options = MappingProxyType({"format": fmt})
    return _source("socrata", server.socrata_domain(), dataset_id="ds", options=options)


def test_body_that_is_not_the_gzip_it_claims_is_retried(feed_server):
    """A page whose Content-Encoding lies (corrupt gzip) once is fetched again and the pull completes."""
    source = _socrata(feed_server, "json")
    feed_server.inject("$offset=0", Fault.status(200, b"plain text", {"Content-Encoding": "gzip"}))
    result, _ = _pull(SocrataAdapter(), source)
    assert result.rows == 5
    assert [r.fault for r in feed_server.requests].count("status") == 1


def test_body_that_is_never_valid_gzip_is_an_outage_after_retries(feed_server):
    """A file whose gzip body stays corrupt ends as an 'unavailable' error that says why."""
    url = feed_server.add_file("a.csv", CSV_TEXT, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FeedUnavailableError, match="Content-Encoding"):
        _pull(CsvAdapter(), _source("csv", url))


def test_redirect_loop_is_a_config_error_without_the_token(feed_server):
    """A portal bouncing us between login redirects gives a config error; the URL's token is redacted."""
    url = feed_server.add_file("loop.csv", CSV_TEXT) + "?token=s3cret"
    loop = Fault.status(302, b"", {"Location": "/files/loop.csv?token=s3cret"})
    feed_server.inject("loop.csv", loop, times=100)
    with pytest.raises(FeedConfigError, match="redirected in a loop") as caught:
        _pull(CsvAdapter(), _source("csv", url))
    assert "s3cret" not in str(caught.value) and "REDACTED" in str(caught.value)


def test_endpoint_without_a_scheme_is_a_config_error():
    """A catalogue endpoint missing http:// is named as a catalogue problem, not a requests exception."""
    with pytest.raises(FeedConfigError, match="http:// or https://"):
        _pull(CsvAdapter(), _source("csv", "127.0.0.1/files/a.csv"))


def test_socrata_json_page_that_is_not_row_objects_is_a_format_error(feed_server):
    """A 200 JSON page holding a list of strings is a typed format error, not an AttributeError."""
    source = _socrata(feed_server, "json")
    feed_server.inject("$offset=0", Fault.status(200, b'["maintenance", "window"]'))
    with pytest.raises(FeedFormatError, match="not a list of row objects"):
        _pull(SocrataAdapter(), source)


def test_socrata_csv_page_with_ragged_rows_is_a_format_error(feed_server):
    """A CSV page whose row has fewer cells than the header is a typed format error naming the problem."""
    source = _socrata(feed_server, "csv")
    ragged = Fault.status(200, b'":id","id"\n"row-1"\n', {"Content-Type": "text/csv"})
    feed_server.inject("$offset=0", ragged)
    with pytest.raises(FeedFormatError, match=r"not well-formed.*Expected 2 columns"):
        _pull(SocrataAdapter(), source)


def test_csv_header_naming_a_mapped_column_twice_is_a_format_error(feed_server):
    """Two `category` columns: which one the catalogue means is unknown, so nothing is guessed."""
    url = feed_server.add_file("d.csv", b"id,occurred,category,category\nR1,2023-01-01,A,B\n")
    with pytest.raises(FeedFormatError, match="category more than once"):
        _pull(CsvAdapter(), _source("csv", url))


def test_arcgis_page_without_the_id_field_is_a_format_error(feed_server):
    """Query answers whose rows lack the layer's OBJECTID stop the pull with the field named."""
    feed_server.add_dataset("layer", make_table(3))
    features = [{"attributes": {"FID": i, "id": f"R{i}", "occurred": 0}} for i in range(1, 4)]
    answer = orjson.dumps({"objectIdFieldName": "FID", "features": features})
    feed_server.inject(
        "/query", Fault.status(200, answer, {"Content-Type": JSON_TYPE}), body_contains="resultOffset"
    )
    source = _source("arcgis", feed_server.arcgis_layer_url("layer"))
    with pytest.raises(FeedFormatError, match="without the layer's id field 'OBJECTID'"):
        _pull(ArcGISAdapter(), dataclasses.replace(source, fields=MappingProxyType({})))


def test_csv_header_with_an_unclosed_quote_is_a_format_error(feed_server):
    """A quote opened in the header and never closed swallows the file: a typed error, not a csv.Error."""
    body = b'id,"occurred,category\n' + b"R1,2023-01-01,THEFT\n" * 20_000
    url = feed_server.add_file("q.csv", body)
    with pytest.raises(FeedFormatError, match="header row is not valid CSV"):
        _pull(CsvAdapter(), _source("csv", url))


def test_socrata_updated_at_that_is_not_a_timestamp_is_a_format_error(feed_server):
    """A page whose :updated_at holds words, not times, is a typed error rather than an ArrowInvalid."""
    source = _socrata(feed_server, "json")
    page = b'[{":id":"row-1",":updated_at":"yesterday","id":"R1"}]'
    feed_server.inject("$offset=0", Fault.status(200, page))
    with pytest.raises(FeedFormatError, match=":updated_at values are not timestamps"):
        _pull(SocrataAdapter(), source)


def test_arcgis_object_id_list_with_nulls_is_a_format_error(feed_server):
    """A returnIdsOnly answer listing null ids (layer without paging) is a typed error."""
    feed_server.add_dataset(
        "layer", make_table(3), settings=DatasetSettings(arcgis_supports_pagination=False)
    )
    ids = orjson.dumps({"objectIdFieldName": "OBJECTID", "objectIds": [1, None, 3]})
    feed_server.inject("/query", Fault.status(200, ids), body_contains="returnIdsOnly")
    source = _source("arcgis", feed_server.arcgis_layer_url("layer"), fields=MappingProxyType({}))
    with pytest.raises(FeedFormatError, match="not integers"):
        _pull(ArcGISAdapter(), source)


def test_ckan_records_that_are_not_all_objects_are_a_format_error(feed_server):
    """A DataStore page whose second record is a bare string is a typed error, not an AttributeError."""
    feed_server.add_dataset("res", make_table(2))
    fields = [{"id": "_id", "type": "int"}, {"id": "id", "type": "text"}]
    result = {"records": [{"_id": 1, "id": "R1"}, "R2"], "fields": fields, "total": 2}
    answer = orjson.dumps({"success": True, "result": result})
    feed_server.inject("datastore_search", Fault.status(200, answer))
    source = _source("ckan", feed_server.ckan_site(), dataset_id="res", fields=MappingProxyType({}))
    with pytest.raises(FeedFormatError, match="records are not objects"):
        _pull(CkanAdapter(), source)
