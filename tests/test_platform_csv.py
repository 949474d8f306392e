"""The CSV adapter decodes what the server sends the way the evidence says, and keeps published text as text.

Every body here is hand-made and served by the local feed server on 127.0.0.1.
"""

from types import MappingProxyType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.catalog import Geography, Source
from loaders.errors import FeedConfigError, FeedEncodingError
from loaders.http import HttpClient, RetryPolicy
from loaders.platforms.base import PullRequest, PullResult
from loaders.platforms.csvurl import CsvAdapter
from loaders.refresh import RefreshOptions, refresh
from store import snapshots
from tests.local_city import serve_city, source_entry, write_catalog

# Hand-made rows; "’" (0x92 in cp1252) is absent from latin-1, so only a real cp1252 decode gets it right.
TEXT = "id,occurred,category\nR1,2023-07-04T10:00:00,Vol à l’étalage\nR2,2023-07-05T11:00:00,Daño\n"
FAST = RetryPolicy(max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.1)


def _source(endpoint: str, encoding: str | None = None) -> Source:
    return Source(
        source_id="test_csv",
        city="testville",
        kind="crime_incident",
        platform="csv",
        endpoint=endpoint,
        title="hand-made test file",
        publisher="tests",
        landing_page="http://127.0.0.1/",
        licence="CC0",
        date_field="occurred",
        fields=MappingProxyType({"record_id": "id", "offense_raw": "category"}),
        geography=Geography(method="none"),
        encoding=encoding,
    )


def _pull(url: str, encoding: str | None = None) -> tuple[PullResult, pa.Table]:
    pages: list[pa.Table] = []
    http = HttpClient("test_csv", policy=FAST)
    result = CsvAdapter().pull(PullRequest(_source(url, encoding)), http, pages.append, lambda p, r: None)
    return result, pa.concat_tables(pages)


def test_cp1252_body_with_its_charset_header_keeps_accents(feed_server):
    """A windows-1252 file served with charset=windows-1252 reads "Vol à l’étalage", not mojibake."""
    url = feed_server.add_text_file("a.csv", TEXT, "cp1252", charset="windows-1252")
    _, table = _pull(url)
    assert table.column("category").to_pylist() == ["Vol à l’étalage", "Daño"]


def test_utf8_bom_on_cp1252_text_falls_back_to_the_header_charset(feed_server):
    """A utf-8 BOM glued onto cp1252 text (charset=windows-1252): the header's encoding decodes it, BOM dropped."""
    url = feed_server.add_text_file("b.csv", TEXT, "cp1252", bom=b"\xef\xbb\xbf", charset="windows-1252")
    result, table = _pull(url)
    assert table.column("category").to_pylist() == ["Vol à l’étalage", "Daño"]
    assert result.available_fields == ("id", "occurred", "category")  # no "ï»¿id"


def test_utf8_bom_wins_over_a_wrong_charset_when_the_body_is_utf8(feed_server):
    """A real utf-8 file with a BOM but charset=windows-1252 reads as utf-8, because that is what decodes."""
    url = feed_server.add_text_file("c.csv", TEXT, "utf-8", bom=b"\xef\xbb\xbf", charset="windows-1252")
    _, table = _pull(url)
    assert table.column("category").to_pylist() == ["Vol à l’étalage", "Daño"]


def test_utf16_bom_is_honoured_without_a_charset(feed_server):
    """A utf-16 export (BOM, no charset) reads correctly."""
    url = feed_server.add_text_file("d.csv", TEXT, "utf-16")
    _, table = _pull(url)
    assert table.column("id").to_pylist() == ["R1", "R2"]
    assert table.column("category").to_pylist() == ["Vol à l’étalage", "Daño"]


def test_catalogue_encoding_overrides_a_wrong_header(feed_server):
    """`encoding = "cp1252"` in the catalogue decodes a cp1252 file the server labels utf-8."""
    url = feed_server.add_text_file("e.csv", TEXT, "cp1252", charset="utf-8")
    _, table = _pull(url, encoding="cp1252")
    assert table.column("category").to_pylist() == ["Vol à l’étalage", "Daño"]


def test_undecodable_body_names_the_offset_what_was_tried_and_the_key(feed_server):
    """cp1252 text labelled utf-8: a typed error with the first bad byte, the header as origin and the fix."""
    body = TEXT.encode("cp1252")
    url = feed_server.add_file("f.csv", body, content_type="text/csv; charset=utf-8")
    with pytest.raises(FeedEncodingError) as caught:
        _pull(url)
    message = str(caught.value)
    assert f"byte {body.index(bytes([0xE0])):,} (0xE0)" in message
    assert "HTTP Content-Type header" in message
    assert 'encoding = "cp1252"' in message and "loaders/sources.toml" in message


def test_bad_byte_far_past_the_first_block_is_found_with_its_offset(feed_server):
    """An invalid byte 9 MB into an otherwise utf-8 file is reported at its exact offset, before any row is kept."""
    filler = "".join(f"R{i},2023-01-01T00:00:00,THEFT\n" for i in range(10, 400_000)).encode()
    body = b"id,occurred,category\n" + filler + b"R9,2023-01-01T00:00:00,Caf\xe9\n"
    assert len(body) > 9 << 20
    url = feed_server.add_file("g.csv", body, content_type="text/csv")
    with pytest.raises(FeedEncodingError, match=f"byte {len(body) - 2:,} ") as caught:
        _pull(url)
    assert "the default" in str(caught.value)


def test_utf8_character_split_across_validation_chunks_is_not_an_error(feed_server):
    """A multi-byte character straddling the 8 MB validation boundary decodes fine."""
    head = b"id,occurred,category\n"
    pad = (8 << 20) - len(head) - len(b"R1,2023-01-01T00:00:00,") - 1
    body = head + b"R1,2023-01-01T00:00:00," + b"x" * pad + "é\n".encode() + b"R2,2023-01-02T00:00:00,B\n"
    assert body[(8 << 20) - 1 : (8 << 20) + 1] == "é".encode()
    url = feed_server.add_file("h.csv", body, content_type="text/csv")
    _, table = _pull(url)
    assert table.column("category")[0].as_py().endswith("é")


def test_unknown_catalogue_encoding_is_a_config_error(feed_server):
    """A misspelt `encoding` in the catalogue is named as such."""
    url = feed_server.add_text_file("i.csv", TEXT, "utf-8")
    with pytest.raises(FeedConfigError, match="'cp-1252x'"):
        _pull(url, encoding="cp-1252x")


def test_undecodable_file_fails_the_refresh_with_a_message_and_no_traceback(tmp_path, feed_server):
    """Through the refresh, the outcome says the offset and the key to set, without a traceback."""
    serve_city(feed_server)
    body = ("id,occurred,category,lat,lon\nR1,2023-07-04T10:00:00,Vol à l’étalage,41.8,-87.6\n").encode(
        "cp1252"
    )
    feed_server.add_file("bad.csv", body, content_type="text/csv; charset=utf-8")
    catalog = write_catalog(
        tmp_path, feed_server, source_entry(feed_server, "t_csv", "crime_incident", "csv", "bad.csv")
    )
    [outcome] = refresh(catalog, RefreshOptions(cache_root=tmp_path / "cache", retry_policy=FAST))
    assert outcome.status == "failed"
    assert (
        f"byte {body.index(bytes([0xE0])):,} (0xE0)" in outcome.message
        and 'encoding = "cp1252"' in outcome.message
    )
    assert "Traceback" not in outcome.message and "UnicodeDecodeError" not in outcome.message


def test_setting_the_suggested_encoding_key_makes_the_refresh_publish(tmp_path, feed_server):
    """Following the error's next step (encoding = "cp1252" in the entry) publishes the accents intact."""
    serve_city(feed_server)
    body = "id,occurred,category,lat,lon\nR1,2023-07-04T10:00:00,Vol à l’étalage,41.8,-87.6\n".encode(
        "cp1252"
    )
    feed_server.add_file("bad.csv", body, content_type="text/csv; charset=utf-8")
    entry = source_entry(
        feed_server,
        "t_csv",
        "crime_incident",
        "csv",
        "bad.csv",
        extra='encoding = "cp1252"\n[sources.recode.offense_category]\n"Vol à l’étalage" = "property"',
    )
    catalog = write_catalog(tmp_path, feed_server, entry)
    [outcome] = refresh(catalog, RefreshOptions(cache_root=tmp_path / "cache", retry_policy=FAST))
    assert outcome.status == "ok", outcome.message
    data = snapshots.current(tmp_path / "cache", "t_csv").file("data.parquet")
    assert pq.read_table(data, columns=["offense_raw"]).column(0).to_pylist() == ["Vol à l’étalage"]


@pytest.mark.parametrize("quoted", [False, True])
def test_null_like_text_stays_text_and_only_empty_cells_are_missing(feed_server, quoted):
    """NULL, N/A, NaN, null, #N/A, nan and - arrive as published; an empty cell is the only null."""
    words = ["NULL", "N/A", "NaN", "null", "#N/A", "nan", "-", "None", ""]
    cells = [f'"{w}"' if quoted and w else w for w in words]
    text = "id,occurred,category\n" + "".join(f"R{i},2023-01-01,{c}\n" for i, c in enumerate(cells))
    _, table = _pull(feed_server.add_text_file("n.csv", text, "utf-8"))
    assert table.column("category").to_pylist() == words[:-1] + [None]


def test_available_fields_are_the_header_including_a_renamed_column(feed_server):
    """The header as published is reported, so a renamed upstream column shows up under its new name."""
    text = "id,occurred,category,beat_name\nR1,2023-01-01,THEFT,B1\n"
    result, _ = _pull(feed_server.add_text_file("r.csv", text, "utf-8"))
    assert result.available_fields == ("id", "occurred", "category", "beat_name")
