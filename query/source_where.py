"""Pieces of a source's own query text (Socrata `$where`, ArcGIS `where`): field names, IN lists, dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def source_field(field_map: Mapping[str, str], column: str | None) -> str | None:
    field = field_map.get(column) if column else None
    return field if field and _IDENTIFIER.match(field) else None


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_list(field: str, values: tuple[str, ...], null_label: str | None) -> str:
    real = [v for v in values if v != null_label]
    parts = [f"{field} IN ({', '.join(_quote(v) for v in real)})"] if real else []
    if null_label in values:
        parts.append(f"{field} IS NULL")
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def soql_date(day: date) -> str:
    return f"'{day.isoformat()}T00:00:00'"


def arcgis_date(day: date, time_zone: str) -> str:
    start = datetime.combine(day, time(), ZoneInfo(time_zone)).astimezone(UTC)
    return f"TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}'"
