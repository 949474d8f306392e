"""What every platform adapter does: pull raw rows page by page and hand them on as Arrow tables.

An adapter knows one protocol (Socrata, ArcGIS, CKAN, CSV, demo) and nothing about any city:
the catalogue entry (`Source`) tells it the endpoint and field names. It never gathers a whole
feed in memory: each page is passed to `emit` as soon as it is parsed, and the caller writes it
to a temporary Parquet file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pyarrow as pa

from loaders.catalog import Source
from loaders.http import HttpClient

Emit = Callable[[pa.Table], None]
Progress = Callable[[int, int], None]  # (pages so far, rows so far)


@dataclass(frozen=True)
class PullRequest:
    source: Source
    since: datetime | None = None  # watermark for an incremental pull; None means a full pull
    page_size: int | None = None  # overrides the catalogue's page size (tests, benchmarks)
    validators: dict | None = None  # ETag / Last-Modified of the last good pull, for conditional GETs
    is_probe: bool = False  # `check --probe`: every published column, none refused for being absent

    @property
    def is_incremental(self) -> bool:
        return self.since is not None

    @property
    def effective_page_size(self) -> int:
        return self.page_size or self.source.page_size


@dataclass(frozen=True)
class PullResult:
    pages: int
    rows: int
    source_count: int | None  # the source's own count for the same query, when it publishes one
    source_updated_at: datetime | None = None
    extra_columns: tuple[str, ...] = ()  # system columns the adapter added (e.g. ':updated_at')
    is_unchanged: bool = False  # the server said nothing changed since `validators` (HTTP 304)
    validators: dict | None = None  # ETag / Last-Modified of this pull, to send next time
    # Field names the source itself declares (Socrata X-SODA2-Fields, ArcGIS layer fields, CKAN
    # fields, the CSV header), so a mapped field the publisher renamed is caught even when the
    # platform simply omits it from every row. None: the platform declared nothing.
    available_fields: tuple[str, ...] | None = None


class PlatformAdapter(Protocol):
    platform: str

    def pull(self, request: PullRequest, http: HttpClient, emit: Emit, progress: Progress) -> PullResult:
        """Fetch every row the request asks for, each exactly once, passing pages to `emit`."""
        ...


# Column name adapters use for a record's last-modified time, when the platform has one,
# so that the refresh can compute the next incremental watermark without knowing the platform.
UPDATED_AT_COLUMN = "__updated_at"
# Column names adapters use for point geometry that arrives outside the attributes (ArcGIS).
GEOMETRY_X = "__geometry_x"
GEOMETRY_Y = "__geometry_y"
