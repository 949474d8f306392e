"""Provenance: where each dataset comes from, how fresh it is, and what its columns mean."""

from datetime import UTC, datetime

import pytest

from query import data_dictionary, freshness, open_city, source_provenance
from store.snapshots import Attempt, Manifest, write_attempt
from tests.query_fixtures import CITY, local, row, write_city

NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def manifest(**fields) -> Manifest:
    base = {
        "dataset_id": "d",
        "kind": "complaint",
        "fetched_at": "2026-01-01T06:00:00+00:00",
        "row_count": 1,
        "files": {},
    }
    return Manifest(**(base | fields))


def test_source_provenance_lists_every_current_dataset(tmp_path):
    """Each source shows publisher, title, links, licence, times, row count and the last refresh attempt."""
    write_city(
        tmp_path, {"crime_incident": {"t_crime": [row("crime_incident", "r1", local(2021, 1, 5), "alder")]}}
    )
    write_attempt(tmp_path, Attempt("t_crime", "2026-01-03T00:00:00+00:00", "failed", "HTTP 503"))
    [source] = source_provenance(open_city(tmp_path, CITY))
    assert source.kind == "crime_incident" and source.dataset_id == "t_crime"
    assert source.publisher == "Testville Police Department (fictional)"
    assert source.landing_page == "https://data.testville.example/d/t_crime"
    assert source.licence == "CC0 1.0" and source.row_count == 1 and source.status == "ok"
    assert source.fetched_at == datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    assert source.last_attempt.status == "failed" and not source.is_synthetic


def test_freshness_warns_after_a_week_and_reports_failures():
    """A fetch older than the warning age is stale; a failed refresh after it is flagged as failed."""
    fresh = freshness(
        manifest(source_updated_at="2025-12-31T00:00:00Z", newest_record_at="2025-12-30T12:00:00-06:00"), NOW
    )
    assert not fresh.is_stale and not fresh.is_failed
    assert (
        fresh.as_of == "fetched 1 Jan 2026 06:00 UTC; source updated 31 Dec 2025; newest record 30 Dec 2025"
    )
    assert fresh.fetch_age_days == pytest.approx(4.0)
    assert freshness(manifest(fetched_at="2025-12-20T00:00:00+00:00"), NOW).is_stale
    failed = Attempt("d", "2026-01-04T00:00:00+00:00", "failed", "timeout")
    assert freshness(manifest(), NOW, attempt=failed).is_failed
    older_failure = Attempt("d", "2025-12-31T00:00:00+00:00", "failed", "timeout")
    assert not freshness(manifest(), NOW, attempt=older_failure).is_failed


def test_data_dictionary_describes_every_column():
    """One row per canonical column, with its public flag, unit and allowed values."""
    dictionary = data_dictionary("use_of_force").set_index("column")
    assert not dictionary.loc["lat", "is_public"] and dictionary.loc["record_id", "is_public"]
    assert dictionary.loc["subject_age", "unit"] == "years"
    assert "Electrical weapon" in dictionary.loc["force_type", "allowed_values"]
    assert dictionary.loc["occurred_date", "type"] == "date"
