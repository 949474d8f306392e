"""The Socrata adapter keeps published text as text and reports the fields the dataset declares.

Hand-made datasets served by the local feed server on 127.0.0.1.
"""

from types import MappingProxyType

import pyarrow as pa
import pytest

from loaders.catalog import Geography, Source
from loaders.http import HttpClient, RetryPolicy
from loaders.platforms.base import PullRequest, PullResult
from loaders.platforms.socrata import SocrataAdapter
from tests.feedserver import DatasetSettings, make_table

NULL_LIKE = ["NULL", "N/A", "NaN", "null", "#N/A", "nan", "-", "None", None]


def _source(server, name: str, fmt: str) -> Source:
    return Source(
        source_id="test_socrata",
        city="testville",
        kind="crime_incident",
        platform="socrata",
        endpoint=server.socrata_domain(),
        title="hand-made test dataset",
        publisher="tests",
        landing_page="http://127.0.0.1/",
        licence="CC0",
        date_field="occurred",
        fields=MappingProxyType({}),
        geography=Geography(method="none"),
        dataset_id=name,
        options=MappingProxyType({"format": fmt}),
    )


def _pull(server, name: str, fmt: str, page_size: int = 1000) -> tuple[PullResult, pa.Table]:
    pages: list[pa.Table] = []
    http = HttpClient("test_socrata", policy=RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.1))
    request = PullRequest(_source(server, name, fmt), page_size=page_size)
    result = SocrataAdapter().pull(request, http, pages.append, lambda p, r: None)
    return result, pa.concat_tables(pages, promote_options="default")


def _null_like_table() -> pa.Table:
    table = make_table(len(NULL_LIKE))
    return table.set_column(2, "category", pa.array(NULL_LIKE, pa.string()))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_null_like_text_reaches_the_rows_unchanged(feed_server, fmt):
    """Text such as NULL, N/A, NaN and #N/A arrives as published; only a real null is missing."""
    feed_server.add_dataset("nulls", _null_like_table())
    _, table = _pull(feed_server, "nulls", fmt)
    by_id = dict(zip(table.column("id").to_pylist(), table.column("category").to_pylist(), strict=True))
    assert [by_id[f"R{i:06d}"] for i in range(1, len(NULL_LIKE) + 1)] == NULL_LIKE


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_available_fields_follow_a_renamed_column(feed_server, fmt):
    """The declared fields name a column the publisher renamed, even where every value of it is null."""
    table = make_table(30).rename_columns(["id", "occurred", "offense", "amount", "lat", "lon", "updated_at"])
    table = table.set_column(2, "offense", pa.nulls(30, pa.string()))  # JSON rows then never carry it
    feed_server.add_dataset("renamed", table)
    result, _ = _pull(feed_server, "renamed", fmt, page_size=10)
    assert result.available_fields is not None
    assert "offense" in result.available_fields and "category" not in result.available_fields
    assert {"id", "occurred", "lat", "lon"} <= set(result.available_fields)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_available_fields_come_from_the_view_when_the_header_is_suppressed(feed_server, fmt):
    """A wide dataset whose answers drop X-SODA2-Fields still reports its columns, from the view metadata."""
    table = make_table(12).rename_columns(["id", "occurred", "offense", "amount", "lat", "lon", "updated_at"])
    table = table.set_column(2, "offense", pa.nulls(12, pa.string()))
    feed_server.add_dataset("wide", table, settings=DatasetSettings(socrata_fields_header=False))
    result, _ = _pull(feed_server, "wide", fmt)
    assert result.available_fields == tuple(table.column_names)
