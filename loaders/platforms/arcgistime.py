"""The time zone an ArcGIS layer's date fields are in, from its `dateFieldsTimeReference`.

By default esriFieldTypeDate values are epoch milliseconds in UTC. A layer may instead declare
`{"dateFieldsTimeReference": {"timeZone": "Pacific Standard Time", "respectsDaylightSaving": true}}`:
its epochs are then local wall-clock times. Windows zone names (what ArcGIS Server uses) are mapped
to IANA names here; newer servers may also send `timeZoneIANA`, which wins when present.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from loaders.errors import FeedFormatError

# The zones US police layers use, plus UTC. Extend when a layer names another.
WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "Eastern Standard Time": "America/New_York",
    "US Eastern Standard Time": "America/Indiana/Indianapolis",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Atlantic Standard Time": "America/Halifax",
    "SA Western Standard Time": "America/Puerto_Rico",
}


def layer_time_zone(meta: dict, source_id: str) -> str | None:
    """The zone (IANA name, or "+HH:MM" for standard time all year) of the layer's date epochs; None for UTC."""
    reference = meta.get("dateFieldsTimeReference")
    if reference is None:
        return None
    if not isinstance(reference, dict):
        raise FeedFormatError(source_id, f"dateFieldsTimeReference is {reference!r:.80}, not an object")
    name = reference.get("timeZoneIANA") or reference.get("timeZone")
    if not name:
        return None  # declared without a zone: ArcGIS then means UTC
    zone = _iana(str(name), source_id)
    if zone == "UTC":
        return None
    if reference.get("respectsDaylightSaving") is False:
        return _offset_text(_standard_offset(zone))  # standard time all year round
    return zone


def as_tzinfo(zone: str) -> tzinfo:
    """The Python tzinfo for a zone from layer_time_zone."""
    if zone[:1] in "+-":
        sign = -1 if zone[0] == "-" else 1
        hours, minutes = zone[1:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    return zoneinfo.ZoneInfo(zone)


def _iana(name: str, source_id: str) -> str:
    if name in WINDOWS_ZONES:
        return WINDOWS_ZONES[name]
    try:
        zoneinfo.ZoneInfo(name)  # some servers already send an IANA name
        return name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise FeedFormatError(
            source_id,
            f"the layer's dateFieldsTimeReference names time zone {name!r}, which we cannot map",
            next_step=f"Add {name!r} with its IANA name to WINDOWS_ZONES in loaders/platforms/arcgistime.py.",
        ) from None


def _standard_offset(zone: str) -> timedelta:
    # Daylight saving adds time, so the smaller of a January and a July offset is standard time.
    info = zoneinfo.ZoneInfo(zone)
    return min(datetime(2023, month, 15, tzinfo=UTC).astimezone(info).utcoffset() for month in (1, 7))


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
