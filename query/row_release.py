"""Row-level output through the gate: record listings and files, the columns withheld, and refusals.

Demographic columns (race, sex, age of complainants, officers and subjects) are withheld from rows
unless the deployment enables them: beside a date and a neighborhood they can single a person out.
A race, sex or age filter puts the withheld value back (every listed row has it), so under such a
filter rows are refused unless demographic rows are enabled and at least `threshold` records match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from query.db import CityData
from query.export import ExportFile, ExportRefused, _bundle, bundle_name, export_records, export_refusal
from query.filters import Filters
from query.i18n import _
from query.records import MAX_PAGE_ROWS, count_records, public_columns, read_records

DEMOGRAPHIC_SUFFIXES = ("_race", "_race_raw", "_sex", "_sex_raw", "_age")


def demographic_columns(kind: str) -> list[str]:
    """Public columns describing a person's race, sex or age (complainant, officer, subject)."""
    return [c for c in public_columns(kind) if c.endswith(DEMOGRAPHIC_SUFFIXES)]


def released_columns(kind: str, is_demographic_rows_enabled: bool) -> list[str]:
    withheld = set() if is_demographic_rows_enabled else set(demographic_columns(kind))
    return [c for c in public_columns(kind) if c not in withheld]


def withheld_note(kind: str, is_demographic_rows_enabled: bool) -> str:
    """The sentence every records file and listing carries about the columns it leaves out."""
    withheld = [] if is_demographic_rows_enabled else demographic_columns(kind)
    if not withheld:
        return _("Columns withheld: none beyond the non-public ones (coordinates and internal ids).")
    return _(
        "Columns withheld: {columns}. This site does not publish race, sex or age row by row: "
        "beside a date and a neighborhood they can identify a person. Breakdowns by race, sex and age "
        "are published as suppressed summary tables instead."
    ).format(columns=", ".join(withheld))


def person_refusal(
    city: CityData, filters: Filters, threshold: int, is_demographic_rows_enabled: bool, matching: int | None
) -> str | None:
    """Why rows are refused under a race, sex or age filter, or None when that filter is not the obstacle."""
    if not filters.has_person_filter:
        return None
    if not is_demographic_rows_enabled:
        return _(
            "Records are not listed or downloaded under a race, sex or age filter: the filter would tell "
            "each listed person's race, sex or age, which this site does not publish row by row. Remove "
            "that filter to see the records, or use the summary tables above."
        )
    matching = count_records(city, filters) if matching is None else matching
    if matching < threshold:
        return _(
            "Fewer than {threshold} records match this race, sex or age filter, so they are not listed "
            "or downloaded. Widen the filters."
        ).format(threshold=threshold)
    return None


@dataclass(frozen=True, eq=False)
class RowRelease:
    rows: pd.DataFrame | None  # None when refused
    refusal: str | None
    withheld_note: str


def listing(
    city: CityData, filters: Filters, threshold: int, is_demographic_rows_enabled: bool, limit: int
) -> RowRelease:
    """One page of matching records with withheld columns removed, or the refusal."""
    note = withheld_note(filters.kind, is_demographic_rows_enabled)
    refusal = person_refusal(city, filters, threshold, is_demographic_rows_enabled, None)
    if refusal:
        return RowRelease(None, refusal, note)
    rows = read_records(city, filters, min(limit, MAX_PAGE_ROWS))
    return RowRelease(rows[released_columns(filters.kind, is_demographic_rows_enabled)], None, note)


def file_refusal(
    city: CityData, filters: Filters, threshold: int, exports, is_demographic_rows_enabled: bool, matching
) -> str | None:
    return person_refusal(city, filters, threshold, is_demographic_rows_enabled, matching) or export_refusal(
        city, filters, exports, matching=matching
    )


def records_file(
    city: CityData,
    filters: Filters,
    disclosure,
    exports,
    is_demographic_rows_enabled: bool,
    *,
    rules: tuple[str, ...] = (),
    made_at: datetime | None = None,
) -> ExportFile:
    """The records ZIP (CSV + notes naming the withheld columns), or ExportRefused."""
    reason = file_refusal(city, filters, disclosure.threshold, exports, is_demographic_rows_enabled, None)
    if reason:
        raise ExportRefused(reason)
    columns = released_columns(filters.kind, is_demographic_rows_enabled)
    csv_bytes = export_records(city, filters, exports, columns=columns)
    note = withheld_note(filters.kind, is_demographic_rows_enabled)
    return _bundle(city, filters, csv_bytes, "records", disclosure, made_at, rules=(*rules, note))


def records_file_name(city: CityData, filters: Filters) -> str:
    return bundle_name(city, filters, "records")
