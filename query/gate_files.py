"""Records and files as they leave the gate: the records listing, the records and table ZIPs, the dictionary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from query import row_release
from query.db import CityData
from query.export import ExportFile, _bundle, to_csv_bytes
from query.filters import Filters
from query.i18n import _, header, term
from query.provenance import data_dictionary
from query.published import _ISSUED_HERE, PublishedTable, SitePolicy, counting_rules, plain_table
from store.schema import schema_for

if TYPE_CHECKING:  # annotations only: query.gate imports this module
    from query.gate import PublishedPage


@dataclass(frozen=True, eq=False)
class RecordsView:
    rows: PublishedTable | None  # None when refused
    refusal: str | None
    withheld_note: str


def records_view(city: CityData, filters: Filters, site: SitePolicy, limit: int) -> RecordsView:
    """One page of matching records (withheld columns removed), or why they are not listed.

    A kind the deployment keeps from row-level output (DASHBOARD_ROW_EXPORTS) is not listed either:
    a listing is the same rows as a download, a page at a time.
    """
    if not site.exports.is_row_level_enabled.get(filters.kind, False):
        note = row_release.withheld_note(filters.kind, site.is_demographic_rows_enabled)
        title = term(schema_for(filters.kind).title).lower()
        refusal = _("Records of {kind} are not published row by row on this site.").format(kind=title)
        return RecordsView(None, refusal, note)
    release = row_release.listing(
        city, filters, site.disclosure.threshold, site.is_demographic_rows_enabled, limit
    )
    rows = None if release.rows is None else PublishedTable(release.rows, "records", _ISSUED_HERE)
    return RecordsView(rows, release.refusal, release.withheld_note)


def records_refusal(
    city: CityData, filters: Filters, site: SitePolicy, published: PublishedPage | None = None
) -> str | None:
    """Why the records download is refused (with what to do instead), or None (counts rows unless told)."""
    matching = published.matching_records if published is not None and published.filters == filters else None
    return row_release.file_refusal(
        city, filters, site.disclosure.threshold, site.exports, site.is_demographic_rows_enabled, matching
    )


def records_file(
    city: CityData, filters: Filters, site: SitePolicy, *, made_at: datetime | None = None
) -> ExportFile:
    """The records ZIP under the site's policy, or ExportRefused."""
    return row_release.records_file(
        city,
        filters,
        site.disclosure,
        site.exports,
        site.is_demographic_rows_enabled,
        rules=counting_rules(filters.kind, city),
        made_at=made_at,
    )


def records_file_name(city: CityData, filters: Filters) -> str:
    return row_release.records_file_name(city, filters)


def table_file(
    city: CityData,
    filters: Filters,
    table: PublishedTable,
    site: SitePolicy,
    *,
    made_at: datetime | None = None,
) -> ExportFile:
    """A published table as a ZIP (CSV + notes stating this deployment's policy and counting rule)."""
    if not isinstance(table, PublishedTable):
        raise TypeError("only a PublishedTable can be downloaded")
    rules = (*counting_rules(filters.kind, city), _("Columns withheld: none (a summary table; no records)."))
    return _bundle(
        city,
        filters,
        to_csv_bytes(table.frame.rename(columns=header)),
        table.what,
        site.disclosure,
        made_at,
        rules=rules,
    )


def dictionary_file(kind: str) -> ExportFile:
    """The data dictionary of a kind as a CSV (column names and descriptions; no data)."""
    return ExportFile(f"{kind}_data_dictionary.csv", to_csv_bytes(data_dictionary(kind)), "text/csv")


def dictionary_table(kind: str) -> PublishedTable:
    return plain_table(data_dictionary(kind), "data dictionary")


demographic_columns = row_release.demographic_columns
