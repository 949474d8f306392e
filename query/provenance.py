"""Where every number comes from and how old it is: sources, freshness, and the data dictionary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from query.db import CityData
from query.i18n import _, month_year, term
from store.schema import VOCABULARIES, schema_for
from store.snapshots import Attempt, Manifest, SnapshotError, read_attempt

WARN_AFTER_DAYS = 7


@dataclass(frozen=True)
class SourceProvenance:
    kind: str
    dataset_id: str  # our catalogue id
    snapshot_id: str
    title: str
    publisher: str
    landing_page: str
    source_dataset_id: str  # the portal's own id (e.g. a Socrata 4x4)
    endpoint: str
    licence: str
    source_updated_at: datetime | None
    fetched_at: datetime | None
    newest_record_at: datetime | None
    row_count: int
    status: str
    is_synthetic: bool
    last_attempt: Attempt | None  # the newest refresh try, even one that published nothing
    manifest: Manifest | None = None  # for freshness(source.manifest, now, attempt=source.last_attempt)


@dataclass(frozen=True)
class Freshness:
    is_stale: bool  # fetched longer ago than the warning age
    is_failed: bool  # the newest refresh failed (the snapshot shown is the last good one)
    as_of: str  # "fetched 3 Jan 2026 14:00 UTC; source updated 2 Jan 2026; newest record 1 Jan 2026"
    fetch_age_days: float | None
    data_age_days: float | None  # age of the newest record


def parse_time(text: str | None) -> datetime | None:
    """An ISO timestamp from a manifest (naive ones are taken as UTC), or None."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def source_provenance(city: CityData) -> list[SourceProvenance]:
    """One entry per current snapshot of the city, in kind order."""
    out = []
    for kind, snaps in city.snapshots.items():
        for snap in snaps:
            m = snap.manifest
            p = m.provenance or {}
            out.append(
                SourceProvenance(
                    kind=kind,
                    dataset_id=m.dataset_id,
                    snapshot_id=snap.snapshot_id,
                    title=str(p.get("title") or m.dataset_id),
                    publisher=str(p.get("publisher") or ""),
                    landing_page=str(p.get("landing_page") or ""),
                    source_dataset_id=str(p.get("dataset_id") or ""),
                    endpoint=str(p.get("endpoint") or ""),
                    licence=str(p.get("licence") or city.index.licence or ""),
                    source_updated_at=parse_time(m.source_updated_at),
                    fetched_at=parse_time(m.fetched_at),
                    newest_record_at=parse_time(m.newest_record_at),
                    row_count=m.row_count,
                    status=m.status,
                    is_synthetic=m.is_synthetic or city.index.is_synthetic,
                    last_attempt=_attempt(snap.path.parent.parent, m.dataset_id),  # <root>/<dataset>/<name>
                    manifest=m,
                )
            )
    return out


def _attempt(root: Path, dataset_id: str) -> Attempt | None:
    try:
        return read_attempt(root, dataset_id)
    except (OSError, ValueError, TypeError, SnapshotError):
        return None


def freshness(
    manifest: Manifest,
    now: datetime,
    warn_after_days: float = WARN_AFTER_DAYS,
    attempt: Attempt | None = None,
) -> Freshness:
    """How old a snapshot is (our fetch, and the newest record in it), and whether the last refresh failed."""
    fetched = parse_time(manifest.fetched_at)
    newest = parse_time(manifest.newest_record_at)
    updated = parse_time(manifest.source_updated_at)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    fetch_age = (now - fetched).total_seconds() / 86400 if fetched else None
    data_age = (now - newest).total_seconds() / 86400 if newest else None
    is_failed = manifest.status not in ("ok", "unchanged") or bool(
        attempt
        and attempt.status == "failed"
        and (fetched is None or (parse_time(attempt.attempted_at) or now) >= fetched)
    )
    parts = [
        _("fetched {moment}").format(moment=_when(fetched, with_time=True))
        if fetched
        else _("fetch time unknown")
    ]
    if updated:
        parts.append(_("source updated {day}").format(day=_when(updated)))
    if newest:
        parts.append(_("newest record {day}").format(day=_when(newest)))
    return Freshness(
        is_stale=fetch_age is None or fetch_age > warn_after_days,
        is_failed=is_failed,
        as_of="; ".join(parts),
        fetch_age_days=fetch_age,
        data_age_days=data_age,
    )


def _when(moment: datetime, with_time: bool = False) -> str:
    utc = moment.astimezone(UTC)
    text = f"{utc.day} {month_year(utc)}"
    return f"{text} {utc.strftime('%H:%M')} UTC" if with_time else text


def _type_words(arrow_type: pa.DataType) -> tuple[str, str]:
    """(type, unit) in words a reader of the dictionary understands."""
    if pa.types.is_timestamp(arrow_type):
        return _("date and time"), _("local time of the city, with its UTC offset")
    if pa.types.is_date(arrow_type):
        return _("date"), _("local calendar date (YYYY-MM-DD)")
    if pa.types.is_floating(arrow_type):
        return _("number"), ""
    if pa.types.is_integer(arrow_type):
        return _("whole number"), ""
    if pa.types.is_boolean(arrow_type):
        return _("true/false"), ""
    return _("text"), ""


def data_dictionary(kind: str) -> pd.DataFrame:
    """column, type, description, is_public, unit, allowed_values: one row per canonical column."""
    rows = []
    for col in schema_for(kind).columns:
        type_words, unit = _type_words(col.arrow_type)
        if col.name.endswith("_age"):
            unit = _("years")
        if col.name in ("lat", "lon"):
            unit = _("degrees (WGS84)")
        allowed = ", ".join(VOCABULARIES[col.vocabulary]) if col.vocabulary else ""
        rows.append(
            {
                "column": col.name,
                "type": type_words,
                "description": term(col.description),
                "is_public": col.is_public,
                "unit": unit,
                "allowed_values": allowed,
            }
        )
    return pd.DataFrame(rows)
