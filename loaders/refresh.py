"""Refresh: pull a source, normalize page by page into a staged Parquet file, check, publish.

Nothing reaches CURRENT unless the pull is complete (the row count equals the source's own count),
the ids are unique, and the row count did not fall suspiciously. A failure leaves the last good
snapshot live and is recorded in LAST_ATTEMPT.json, which the app shows as a banner.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loaders.catalog import Catalog, City, Geography, Source
from loaders.catalog_rules import Identity
from loaders.errors import FeedError, FeedIncompleteError
from loaders.finalize import ROW_GROUP_ROWS as ROW_GROUP_ROWS  # re-exported for bench/
from loaders.finalize import check_identity, compare_snapshots, finalize, snapshot_writer
from loaders.gates import check_fields, check_quality, quality_figures
from loaders.geo import NeighborhoodIndex
from loaders.http import HttpClient, RetryPolicy
from loaders.normalize import Normalizer
from loaders.pipeline import PagePipeline
from loaders.platforms import adapter_for
from loaders.platforms.base import UPDATED_AT_COLUMN, PullRequest, PullResult
from loaders.reference import load_index, refresh_reference
from loaders.shape import RowShaper
from store import snapshots
from store.cityindex import CityIndex, reference_dataset_id, write_city_index
from store.schema import schema_fingerprint

log = logging.getLogger(__name__)
DATA_FILE = "data.parquet"


@dataclass(frozen=True)
class RefreshOptions:
    cache_root: Path
    is_full: bool = False
    page_size: int | None = None
    max_drop_share: float = 0.2  # a full pull that loses more than this share of rows is held back
    is_drop_allowed: bool = False
    retry_policy: RetryPolicy | None = None
    # Old snapshots stay 13 months (5 GiB at most per source), so pinned links reopen old figures.
    retention: snapshots.Retention = field(default_factory=snapshots.Retention)


@dataclass(frozen=True)
class SourceOutcome:
    source_id: str
    status: str  # ok | unchanged | failed
    mode: str = "full"
    rows: int = 0
    pulled: int = 0
    new_rows: int = 0
    removed_rows: int = 0
    pages: int = 0
    bytes_received: int = 0
    duration_s: float = 0.0
    message: str = ""
    unmapped: tuple[str, ...] = ()  # "finding: 'Mediated' (12), ..." per recoded column, for the summary

    @property
    def rows_per_s(self) -> float:
        return self.pulled / self.duration_s if self.duration_s > 0 else 0.0


Reporter = Callable[[str, int, int, float], None]  # source id, pages, rows, seconds so far


def refresh(
    catalog: Catalog,
    options: RefreshOptions,
    source_ids: Iterable[str] = (),
    city_ids: Iterable[str] = (),
    reporter: Reporter | None = None,
) -> list[SourceOutcome]:
    """Refresh the named sources, or every source of the named cities, or everything."""
    chosen = select_sources(catalog, list(source_ids), list(city_ids))
    outcomes: list[SourceOutcome] = []
    for city_id in dict.fromkeys(s.city for s in chosen):
        city = catalog.cities[city_id]
        index, problem = _city_reference(city, options)
        for source in (s for s in chosen if s.city == city_id):
            if index is None:
                outcomes.append(SourceOutcome(source.source_id, "failed", message=problem))
                continue
            outcomes.append(refresh_source(source, city, index, options, reporter))
        publish_city_index(catalog, city, options.cache_root)
    return outcomes


def select_sources(catalog: Catalog, source_ids: list[str], city_ids: list[str]) -> list[Source]:
    unknown = [s for s in source_ids if s not in {x.source_id for x in catalog.sources}]
    unknown += [f"city {c}" for c in city_ids if c not in catalog.cities]
    if unknown:
        raise KeyError(f"not in the catalogue: {', '.join(unknown)}")
    if source_ids:
        return [catalog.source(s) for s in source_ids]
    if city_ids:
        return [s for s in catalog.sources if s.city in city_ids]
    return list(catalog.sources)


def refresh_source(
    source: Source,
    city: City,
    index: NeighborhoodIndex,
    options: RefreshOptions,
    reporter: Reporter | None = None,
) -> SourceOutcome:
    started = time.monotonic()
    root = options.cache_root
    try:
        with snapshots.write_lock(root, source.source_id):
            outcome = _pull_and_publish(source, city, index, options, reporter, started)
    except (FeedError, snapshots.SnapshotError) as exc:
        outcome = SourceOutcome(
            source.source_id, "failed", duration_s=time.monotonic() - started, message=str(exc)
        )
    except Exception as exc:  # an operator must see it, but the other sources still refresh
        # One line, no traceback (the rule for every output); `--debug` logging shows the stack.
        log.error("unexpected failure refreshing %s: %s: %s", source.source_id, type(exc).__name__, exc)
        log.debug("traceback", exc_info=True)
        message = f"{source.source_id}: unexpected {type(exc).__name__}: {exc}"
        outcome = SourceOutcome(
            source.source_id, "failed", duration_s=time.monotonic() - started, message=message
        )
    error = outcome.message if outcome.status == "failed" else None
    snapshots.write_attempt(root, snapshots.Attempt(source.source_id, _now_iso(), outcome.status, error))
    return outcome


def _pull_and_publish(source, city, index, options, reporter, started) -> SourceOutcome:
    root = options.cache_root
    previous = snapshots.current(root, source.source_id)
    normalizer = Normalizer(source, city, index)
    # Rows settled against each other (repeated ids, rollups) need the whole feed: always full.
    is_full = options.is_full or previous is None or normalizer.needs_finalize
    since = None if is_full else _watermark(previous)
    validators = previous.manifest.stats.get("validators") if previous and not is_full else None
    request = PullRequest(source, since, options.page_size, validators)
    staging = snapshots.new_staging_dir(root, source.source_id)
    try:
        http = HttpClient(source.source_id, token=_token(source), policy=options.retry_policy)
        shaper = RowShaper(source, pull_related(source, request, http))
        # A full pull is written straight into the snapshot file; an incremental one is merged after.
        direct = since is None and not normalizer.needs_finalize
        pulled = staging / (DATA_FILE if direct else "pulled.parquet")
        result, newest_update = _pull(request, http, shaper, normalizer, pulled, reporter, started)
        if result.is_unchanged:
            snapshots.discard(staging)
            return SourceOutcome(source.source_id, "unchanged", duration_s=time.monotonic() - started)
        _check_count(source, result)
        check_fields(source, result.available_fields, shaper.stats.seen_fields, result.rows)
        base = previous.file(DATA_FILE) if since is not None else None
        checks = finalize(pulled, base, staging / DATA_FILE, normalizer.schema, source)
        figures = quality_figures(source, normalizer.stats, shaper.stats)
        check_quality(source, normalizer.stats, figures)
        _check_plausible(source, checks, previous, since is not None, options)
        changes = compare_snapshots(staging / DATA_FILE, previous.file(DATA_FILE) if previous else None)
        changes["previous_snapshot"] = previous.snapshot_id if previous else None
        checks["new_rows"], checks["removed_rows"], checks["changes"] = (
            changes["added"],
            changes["removed"],
            changes,
        )
        watermark = newest_update or (_watermark(previous) if since is not None else None)
        manifest = _manifest(
            source, city, request, result, checks, normalizer, watermark, http, staging, figures
        )
        snapshots.publish(staging, manifest, retention=options.retention)
    except BaseException:
        snapshots.discard(staging)
        raise
    return SourceOutcome(
        source.source_id,
        "ok",
        manifest.mode,
        checks["rows"],
        result.rows,
        checks["new_rows"],
        checks["removed_rows"],
        result.pages,
        http.bytes_received,
        time.monotonic() - started,
        unmapped=_unmapped_lines(normalizer.stats),
    )


def _unmapped_lines(stats) -> tuple[str, ...]:
    return tuple(
        f"{column}: " + ", ".join(f"{value!r} ({n:,})" for value, n in counts.most_common(5))
        for column, counts in sorted(stats.unmapped.items())
        if counts
    )


def _pull(
    request, http, shaper: RowShaper, normalizer, path: Path, reporter, started
) -> tuple[PullResult, datetime | None]:
    newest: list[datetime] = []
    with snapshot_writer(path, normalizer.pulled_schema) as writer:
        pages = PagePipeline(lambda raw: normalizer.normalize(shaper.shape(raw)), writer.write_table)

        def emit(raw: pa.Table) -> None:
            if UPDATED_AT_COLUMN in raw.column_names and raw.num_rows:
                latest = pc.max(raw.column(UPDATED_AT_COLUMN)).as_py()
                if latest is not None:
                    newest.append(latest)
            pages.put(raw)

        def progress(page_count: int, rows: int) -> None:
            if reporter:
                reporter(request.source.source_id, page_count, rows, time.monotonic() - started)

        try:
            result = adapter_for(request.source.platform).pull(request, http, emit, progress)
        finally:
            pages.close()
    return result, max(newest) if newest else None


def pull_related(source: Source, request: PullRequest, http: HttpClient) -> pa.Table | None:
    """The table a source joins onto its rows (e.g. incidents for a subjects table), pulled whole."""
    join = source.join
    if join is None:
        return None
    related = dataclasses.replace(
        source,
        endpoint=join.endpoint,
        dataset_id=join.dataset_id,
        platform=join.platform or source.platform,
        date_field=join.related_on,
        fields=MappingProxyType({f"__{i}": name for i, name in enumerate(join.fields)}),
        geography=Geography("none"),
        updated_at_field=None,
        join=None,
        identity=Identity(),
        rollup=None,
        multi_value=None,
        filters=(),
    )
    pages: list[pa.Table] = []
    result = adapter_for(related.platform).pull(
        PullRequest(related, None, request.page_size), http, pages.append, lambda *_: None
    )
    _check_count(related, result)
    seen = set().union(*(p.column_names for p in pages)) if pages else set()
    check_fields(source, result.available_fields, seen, result.rows, table="joined table")
    if not pages:
        return pa.table({name: pa.array([], pa.string()) for name in {join.related_on, *join.fields}})
    return pa.concat_tables(pages, promote_options="permissive")


def _check_count(source: Source, result: PullResult) -> None:
    if result.source_count is not None and result.rows != result.source_count:
        raise FeedIncompleteError(
            source.source_id, f"received {result.rows:,} rows but the source counts {result.source_count:,}"
        )


def _check_plausible(source, checks: dict, previous, is_incremental: bool, options: RefreshOptions) -> None:
    check_identity(source, checks)
    if previous is None or is_incremental or options.is_drop_allowed:
        return
    before, after = previous.manifest.row_count, checks["rows"]
    if before and after < before * (1 - options.max_drop_share):
        raise FeedIncompleteError(
            source.source_id,
            f"the row count fell from {before:,} to {after:,} ({(before - after) / before:.0%} fewer)",
            next_step="Nothing was published. If the publisher really removed records, rerun with --allow-drop.",
        )


def _manifest(
    source, city, request, result, checks, normalizer, newest_update, http, staging, figures
) -> snapshots.Manifest:
    data = staging / DATA_FILE
    stats = {
        **normalizer.stats.as_dict(),
        "quality": figures,
        "identity": {
            "policy": source.identity.duplicates,
            "repeated_rows": checks.get("repeated_id_rows", checks["duplicate_ids"]),
            "examples": checks.get("repeated_id_examples", []),
            "rollup_rows_in": checks.get("rollup_rows_in"),
            # Wide exports: copies of a published row, dropped before it became one row per score.
            "copied_published_rows": figures.get("copies_dropped", 0),
            "published_rows_kept": figures.get("published_rows_kept") if source.unpivot else None,
        },
        "pages": result.pages,
        "pulled_rows": result.rows,
        "bytes_received": http.bytes_received,
        "requests": http.requests_made,
        "new_rows": checks["new_rows"],
        "removed_rows": checks["removed_rows"],
        "validators": result.validators,
        "changes": checks["changes"],
        "watermark": newest_update.isoformat() if newest_update else None,
    }
    return snapshots.Manifest(
        dataset_id=source.source_id,
        kind=source.kind,
        fetched_at=_now_iso(),
        row_count=checks["rows"],
        files={DATA_FILE: snapshots.sha256_file(data)},
        source_count=result.source_count,
        source_updated_at=result.source_updated_at.isoformat() if result.source_updated_at else None,
        newest_record_at=checks["newest"].isoformat() if checks["newest"] else None,
        oldest_record_at=checks["oldest"].isoformat() if checks["oldest"] else None,
        schema_fingerprint=schema_fingerprint(pq.read_schema(data)),
        city=city.city_id,
        is_synthetic=source.is_synthetic or city.is_synthetic,
        mode="incremental" if request.is_incremental else "full",
        stats=stats,
        provenance={
            "title": source.title,
            "publisher": source.publisher,
            "landing_page": source.landing_page,
            "licence": source.licence,
            "endpoint": source.endpoint,
            "dataset_id": source.dataset_id,
            "platform": source.platform,
            "date_field": source.date_field,
            "time_zone": city.time_zone,
            "row_unit": source.row_unit,
            "unit": source.unit,
            "rules": source.rules_in_words(),
            "verified": source.verified,
            "verified_note": source.verified_note,
            # What a "check at the source" link needs to ask the publisher for the same count.
            "is_reshaped": source.is_reshaped,
            "district_field": source.geography.district_field,
        },
    )


def _city_reference(city: City, options: RefreshOptions) -> tuple[NeighborhoodIndex | None, str]:
    """The city's neighborhoods: fetched afresh, or the last good copy when the fetch fails."""
    root = options.cache_root
    http = HttpClient(reference_dataset_id(city.city_id), policy=options.retry_policy)
    try:
        snap = refresh_reference(city, root, http)
    except (FeedError, snapshots.SnapshotError) as exc:
        snap = snapshots.current(root, reference_dataset_id(city.city_id))
        if snap is None:
            return None, f"no neighborhood reference for {city.city_id}: {exc}"
        log.warning("using the last good boundaries for %s: %s", city.city_id, exc)
    index = load_index(snap, city)
    index.prepare_in_background()
    return index, ""


def publish_city_index(catalog: Catalog, city: City, root: Path) -> None:
    datasets: dict[str, list[str]] = {}
    for source in catalog.for_city(city.city_id):
        if snapshots.current(root, source.source_id) is not None:
            datasets.setdefault(source.kind, []).append(source.source_id)
    write_city_index(
        root,
        CityIndex(
            city_id=city.city_id,
            name=city.name,
            time_zone=city.time_zone,
            reference_dataset=reference_dataset_id(city.city_id),
            datasets=datasets,
            neighborhood_label=city.neighborhood_label,
            licence=city.licence,
            is_synthetic=city.is_synthetic,
            initiatives=[dict(i) for i in city.initiatives],
        ),
    )


def _watermark(previous: snapshots.Snapshot) -> datetime | None:
    value = previous.manifest.stats.get("watermark")
    return datetime.fromisoformat(value) if value else None


def _token(source: Source) -> str | None:
    if not source.token_env:
        return None
    token = os.environ.get(source.token_env)
    if not token:
        log.warning(
            "%s: %s is not set; pulling without an app token (throttled)", source.source_id, source.token_env
        )
    return token or None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
