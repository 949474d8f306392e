"""The `demo` platform: serves the synthetic Demo City's raw feeds, with no network at all.

Endpoints look like `demo://crime_incident?seed=20191` (the seed is optional). Pages are
zero-copy slices of the generated table, so the demo exercises the same paging, normalizing and
snapshot code as a real portal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from loaders.demo_city import (
    DEMO_SEED,
    FEEDS,
    SOURCE_UPDATED_AT,
    boundaries_geojson,
    population_csv,
    raw_feed,
)
from loaders.errors import FeedConfigError
from loaders.http import HttpClient
from loaders.platforms.base import UPDATED_AT_COLUMN, Emit, Progress, PullRequest, PullResult

RAW_UPDATED_AT = "updated_at"  # only the crime feed has one; the others are always pulled whole
REFERENCES = {"boundaries": boundaries_geojson, "population": population_csv}


class DemoAdapter:
    platform = "demo"

    def pull(self, request: PullRequest, http: HttpClient, emit: Emit, progress: Progress) -> PullResult:
        source = request.source
        kind, seed = parse_endpoint(source.endpoint, source.source_id)
        if kind not in FEEDS:
            raise FeedConfigError(source.source_id, f"no demo feed {kind!r}", url=source.endpoint)
        table = raw_feed(kind, seed)
        has_updates = RAW_UPDATED_AT in table.column_names
        if has_updates and request.since is not None:
            table = table.filter(pc.greater(table.column(RAW_UPDATED_AT), _utc_text(request.since)))
        size = request.effective_page_size
        pages = 0
        for start in range(0, table.num_rows, size):
            page = table.slice(start, size)
            emit(_with_updated_at(page) if has_updates else page)
            pages += 1
            progress(pages, start + page.num_rows)
        return PullResult(
            pages=pages,
            rows=table.num_rows,
            source_count=table.num_rows,
            source_updated_at=SOURCE_UPDATED_AT,
            extra_columns=(UPDATED_AT_COLUMN,) if has_updates else (),
        )


def parse_endpoint(url: str, source_id: str = "demo") -> tuple[str, int]:
    """(name, seed) of a `demo://<name>[?seed=N]` URL."""
    parts = urlsplit(url)
    if parts.scheme != "demo" or not parts.netloc:
        raise FeedConfigError(source_id, "a demo endpoint looks like demo://<kind>[?seed=N]", url=url)
    values = parse_qs(parts.query).get("seed", [str(DEMO_SEED)])
    if not values[-1].isdigit():
        raise FeedConfigError(source_id, f"the seed {values[-1]!r} is not a whole number >= 0", url=url)
    return parts.netloc, int(values[-1])


def fetch_reference(url: str) -> bytes:
    """The bytes of `demo://boundaries` (GeoJSON) or `demo://population` (CSV), with optional ?seed=N."""
    name, seed = parse_endpoint(url)
    if name not in REFERENCES:
        raise FeedConfigError(
            "demo", f"no demo reference file {name!r}; expected boundaries or population", url=url
        )
    return REFERENCES[name](seed)


def _utc_text(moment: datetime) -> str:
    # The raw stamps are whole UTC seconds in a fixed-width format, so text order is time order.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_updated_at(page: pa.Table) -> pa.Table:
    stamps = pc.strptime(page.column(RAW_UPDATED_AT), format="%Y-%m-%dT%H:%M:%SZ", unit="us")
    return page.append_column(UPDATED_AT_COLUMN, pc.assume_timezone(stamps, timezone="UTC"))
