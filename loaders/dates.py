"""Parse published date values into the city's zone, vectorised with pyarrow.compute.

Feeds publish dates as floating local text (Socrata), text with a zone, MM/DD/YYYY text (CSV
exports) or epoch milliseconds in UTC (ArcGIS). Floating values are local to the city; values
with a zone, and epoch numbers, are instants and are converted to the city's zone.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

AUTO_FORMATS = (
    "iso",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y%m%d",
)
_ISO_LOCAL = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
_ISO_ZONED = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"


def parse_dates(values: pa.Array, fmt: str, tz: str) -> pa.Array:
    """Timestamps in `tz` (timestamp[us, tz]); values that do not parse become null."""
    values = _as_array(values)
    if pa.types.is_timestamp(values.type):
        return _to_zone(values, tz)
    if pa.types.is_integer(values.type) or fmt == "epoch_ms":
        millis = pc.cast(values, pa.int64(), safe=False)
        return pc.cast(pc.cast(millis, pa.timestamp("ms", tz="UTC")), pa.timestamp("us", tz=tz))
    values = pc.cast(values, pa.string())
    if fmt == "iso":
        try:  # the common case, every value a floating local time as published, in one cast
            return _assume_local(pc.cast(values, pa.timestamp("us")), tz)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    values = pc.utf8_trim_whitespace(values)
    if fmt == "auto":
        fmt = guess_format(values)
    if fmt == "iso":
        return _parse_iso(values, tz)
    return _assume_local(strict_strptime(values, fmt), tz)


def strict_strptime(values: pa.Array, fmt: str) -> pa.Array:
    """strptime that never rolls an impossible date over: pyarrow reads 02/30/2023 as March 2, so
    each parsed value is written back in the same format and must read as the text it came from
    (leading zeros and letter case aside, so 2/3/2023 and 02/03/2023 both pass)."""
    parsed = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
    if parsed.null_count == len(parsed):
        return parsed
    whole = parsed if "%f" in fmt else pc.cast(parsed, pa.timestamp("s"), safe=False)
    same = pc.equal(_comparable(pc.strftime(whole, format=fmt)), _comparable(values))
    return pc.if_else(pc.fill_null(same, False), parsed, pa.scalar(None, parsed.type))


def _comparable(text: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(pc.utf8_upper(text), r"(^|\D)0+(\d)", r"\1\2")


def guess_format(values: pa.Array) -> str:
    """The known format that reads the most of a sample of the values (ties: the first listed)."""
    sample = pc.drop_null(values)[:500]
    if len(sample) == 0:
        return "iso"
    best, best_ok = "iso", 0
    for fmt in AUTO_FORMATS:
        if fmt == "iso":
            ok = pc.sum(
                pc.or_(
                    pc.match_substring_regex(sample, _ISO_LOCAL), pc.match_substring_regex(sample, _ISO_ZONED)
                )
            )
        else:
            ok = pc.count(pc.strptime(sample, format=fmt, unit="us", error_is_null=True))
        if (ok.as_py() or 0) > best_ok:
            best, best_ok = fmt, ok.as_py()
    return best


def _parse_iso(values: pa.Array, tz: str) -> pa.Array:
    try:  # the common case, every value a floating local time, in one vectorised cast
        return _assume_local(pc.cast(values, pa.timestamp("us")), tz)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # some values carry a zone or do not parse: sort them out one kind at a time
    is_zoned = pc.fill_null(pc.match_substring_regex(values, _ISO_ZONED), False)
    is_local = pc.fill_null(pc.match_substring_regex(values, _ISO_LOCAL), False)
    local_text = pc.if_else(is_local, values, pa.scalar(None, pa.string()))
    local = _assume_local(pc.cast(local_text, pa.timestamp("us")), tz)
    if not pc.any(is_zoned).as_py():
        return local
    zoned_text = pc.if_else(is_zoned, values, pa.scalar(None, pa.string()))
    zoned = pc.cast(pc.cast(zoned_text, pa.timestamp("us", tz="UTC")), pa.timestamp("us", tz=tz))
    return pc.if_else(is_zoned, zoned, local)


def _assume_local(naive: pa.Array, tz: str) -> pa.Array:
    # At the autumn change an hour happens twice and in spring one never happens; take the
    # earlier reading rather than losing the record.
    return pc.assume_timezone(naive, timezone=tz, ambiguous="earliest", nonexistent="earliest")


def _to_zone(values: pa.Array, tz: str) -> pa.Array:
    if values.type.tz is None:
        return _assume_local(pc.cast(values, pa.timestamp("us")), tz)
    return pc.cast(values, pa.timestamp("us", tz=tz))


def local_date(ts: pa.Array) -> pa.Array:
    return pc.cast(pc.local_timestamp(ts), pa.date32())


def local_month(local_dates: pa.Array) -> pa.Array:
    """First day of the month of each local date (from local_date, so the zone is applied once)."""
    return pc.cast(pc.floor_temporal(local_dates, unit="month"), pa.date32())


def _as_array(values) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def wall_clock_ms_to_utc_ms(values: pa.Array, tz: str) -> pa.Array:
    """Epoch ms that encode local wall-clock times in `tz` (IANA or "+HH:MM") as true UTC epoch ms.

    ArcGIS layers with `dateFieldsTimeReference` store local times as if they were UTC; reading them
    as UTC moves late-evening or early-morning incidents to the wrong day.
    """
    naive = pc.cast(_as_array(values), pa.timestamp("ms"))
    return pc.cast(_assume_local(naive, tz), pa.int64())
