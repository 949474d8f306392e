"""Downloads: spreadsheet-safe CSV, a notes file that says what the numbers are, and the ZIP holding both.

The file name and the notes' text are written in query.export_notes (re-exported here).

CSV choices, for the notes and for anyone reading this code:
- RFC 4180: CRLF line ends (after the last record too), fields quoted only when they hold a comma,
  a double quote, CR or LF; quotes doubled inside.
- UTF-8 *with* a byte-order mark. Excel (Windows and Mac) opens a BOM-less UTF-8 CSV in the
  legacy code page when double-clicked, turning "Peñalosa" into "PeÃ±alosa"; the people most likely
  to open these files use Excel. pandas and R's readr skip the mark; Python's csv module needs
  encoding="utf-8-sig". `is_excel_bom=False` gives plain UTF-8.
- Formula injection (OWASP ASVS 1.2.10, CWE-1236): a text cell starting with = + - @ tab CR or NUL
  gets a leading apostrophe. Only text is escaped: numbers stay numbers, so -2 stays -2 while the
  text "-2" becomes '-2. Column names are escaped the same way.
- Numbers as Python writes them (shortest round trip), dates and times ISO 8601, nulls empty,
  booleans true/false, infinities empty.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa

from query.db import CityData
from query.disclosure import DEFAULT_POLICY, DisclosurePolicy

# slug and what_words are not used here: imported so that they stay importable from query.export.
from query.export_notes import export_filename, notes_text, slug, snapshot_at, what_words  # noqa: F401
from query.filters import Filters
from query.i18n import _, number, term, using
from query.package import data_package
from query.records import count_records, public_columns, read_records
from store.schema import schema_for

FORMULA_TRIGGERS = frozenset("=+-@\t\r\0")
UTF8_BOM = b"\xef\xbb\xbf"
PACKAGE_NAME = "datapackage.json"
NOTES_NAME = "README.txt"
_NEEDS_QUOTES = re.compile(r'[",\r\n]')


class ExportRefused(Exception):
    """A download the policy does not allow; `reason` tells the visitor what to do instead."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ExportPolicy:
    """Per deployment: which kinds may be downloaded row by row, and how many rows at most."""

    is_row_level_enabled: Mapping[str, bool] = field(default_factory=dict)
    max_rows: int = 200_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_row_level_enabled", MappingProxyType(dict(self.is_row_level_enabled)))


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    data: bytes
    mime: str = "application/zip"


# -- CSV ------------------------------------------------------------------------------------------


def escape_text(text: str) -> str:
    """Text a spreadsheet will not run as a formula: a leading apostrophe where the first character could."""
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


def _field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def _is_null(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _cell(value: object) -> str:
    """One value by its own type: text escaped, numbers and dates as they are."""
    if _is_null(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return repr(number) if math.isfinite(number) else ""
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else ""
    if isinstance(value, (datetime, date)):  # pd.Timestamp is a datetime
        return value.isoformat()
    return escape_text(str(value))


def _text_cell(value: object) -> str:
    return "" if _is_null(value) else escape_text(str(value))


def _column_cells(series: pd.Series, is_text: bool) -> list[str]:
    if is_text:
        return [_field(_text_cell(v)) for v in series.tolist()]
    if pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
        return [str(v) for v in series.tolist()]
    return [_field(_cell(v)) for v in series.astype(object).tolist()]


def to_csv_bytes(
    df: pd.DataFrame, *, string_columns: Iterable[str] | None = None, is_excel_bom: bool = True
) -> bytes:
    """The frame as RFC 4180 CSV in UTF-8 (with a BOM unless told otherwise), formula-safe.

    `string_columns` are written as text whatever their values (so an id "-7" is escaped); every
    other column is written by each value's own type, and any text in it is escaped too.
    """
    text_columns = set(string_columns or ())
    header = ",".join(_field(escape_text(str(c))) for c in df.columns)
    columns = [_column_cells(df.iloc[:, i], df.columns[i] in text_columns) for i in range(df.shape[1])]
    lines = [header, *(",".join(cells) for cells in zip(*columns, strict=True))] if columns else [header]
    body = "\r\n".join(lines) + "\r\n"
    return (UTF8_BOM if is_excel_bom else b"") + body.encode("utf-8")


# -- the ZIP ---------------------------------------------------------------------------------------


def zip_bundle(
    csv_name: str,
    csv_bytes: bytes,
    notes: str,
    *,
    made_at: datetime | None = None,
    package: dict | None = None,
) -> bytes:
    """A ZIP with the CSV, README.txt (CRLF line ends, so every text editor shows it right) and,
    when given, a Frictionless `datapackage.json` describing the CSV."""
    moment = (made_at or datetime.now(UTC)).astimezone(UTC)
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = [
            (csv_name, csv_bytes),
            (NOTES_NAME, notes.replace("\r\n", "\n").replace("\n", "\r\n").encode()),
        ]
        if package is not None:
            files.append((PACKAGE_NAME, json.dumps(package, indent=2, ensure_ascii=False).encode()))
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


# -- what the pages call ---------------------------------------------------------------------------


def string_columns(kind: str) -> list[str]:
    """Public text columns of a kind: written and escaped as text even when they look like numbers."""
    schema = schema_for(kind)
    return [c.name for c in schema.columns if c.is_public and pa.types.is_string(c.arrow_type)]


def export_refusal(
    city: CityData, filters: Filters, policy: ExportPolicy, *, matching: int | None = None
) -> str | None:
    """Why a row-level download would be refused (with what to do instead), or None if it is allowed.

    Counts the matching records unless the caller already knows how many (`matching`); reads none.
    """
    kind = filters.kind
    if not policy.is_row_level_enabled.get(kind, False):
        return _(
            "Row-level downloads of {kind} are switched off on this site. "
            "Download the summary tables instead, or get the full dataset from the source's own page "
            "(linked under Sources)."
        ).format(kind=term(schema_for(kind).title).lower())
    if matching is None:
        matching = count_records(city, filters)
    if matching > policy.max_rows:
        return _(
            "{matching} records match, more than the {limit} a download may hold. "
            "Narrow the dates or neighborhoods, or get the full dataset from the source's own page "
            "(linked under Sources)."
        ).format(matching=number(matching), limit=number(policy.max_rows))
    return None


def export_records(
    city: CityData, filters: Filters, policy: ExportPolicy, *, columns: Sequence[str] | None = None
) -> bytes:
    """Matching records (public columns, or the given subset) as CSV bytes, or ExportRefused; never reads past the cap."""
    reason = export_refusal(city, filters, policy)
    if reason is not None:
        raise ExportRefused(reason)
    df = read_records(city, filters, limit=policy.max_rows)
    chosen = [c for c in public_columns(filters.kind) if columns is None or c in columns]
    return to_csv_bytes(df[chosen], string_columns=string_columns(filters.kind))


def bundle_name(city: CityData, filters: Filters, what: str) -> str:
    """The ZIP file name a bundle of `what` gets, known before the bundle is built (for download buttons)."""
    with using("en"):  # file names stay the same in every language
        area = filters.area_label(city.neighborhood_names)
    when = snapshot_at(city, filters.kind)
    name = export_filename(filters.kind, area, filters.date_from, filters.date_to, when, what)
    return name.removesuffix(".csv") + ".zip"


def records_bundle(
    city: CityData, filters: Filters, policy: ExportPolicy, *, made_at: datetime | None = None
) -> ExportFile:
    """export_records with its notes, zipped, under a descriptive file name."""
    csv_bytes = export_records(city, filters, policy)
    return _bundle(city, filters, csv_bytes, "records", None, made_at)


def table_bundle(
    city: CityData,
    filters: Filters,
    table: pd.DataFrame,
    what: str,
    *,
    disclosure: DisclosurePolicy | None = None,
    made_at: datetime | None = None,
) -> ExportFile:
    """An aggregate table (e.g. PageAggregates.by_neighborhood) as a zipped CSV with its notes.

    Pass the deployment's policy as `disclosure` so the notes state the threshold the table used.
    """
    return _bundle(city, filters, to_csv_bytes(table), what, disclosure or DEFAULT_POLICY, made_at)


def _bundle(
    city: CityData,
    filters: Filters,
    csv_bytes: bytes,
    what: str,
    disclosure: DisclosurePolicy | None,
    made_at: datetime | None,
    rules: Sequence[str] = (),
) -> ExportFile:
    zip_name = bundle_name(city, filters, what)
    notes = notes_text(city, filters, what=what, disclosure=disclosure, generated_at=made_at, rules=rules)
    csv_name = zip_name.removesuffix(".zip") + ".csv"
    package = data_package(city, filters, csv_name, csv_bytes, what)
    return ExportFile(zip_name, zip_bundle(csv_name, csv_bytes, notes, made_at=made_at, package=package))
