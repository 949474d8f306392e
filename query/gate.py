"""The disclosure gate: the only way a number, a chart table, a record listing or a file leaves the read side.

ui/ and the pages import nothing else from query/ (tests/test_gate_only.py walks their imports and
calls). Every value handed out is a `PublishedTable`, a text already worded for the deployment's
policy, or an `ExportFile` built here, and each hidden cell carries the reason it is hidden.

The policy of a deployment is one `SitePolicy`: the small-cell threshold and complementary
suppression (`DisclosurePolicy`), which kinds may leave row by row and how many rows
(`ExportPolicy`), and whether demographic columns may leave row by row at all.

This module holds the pages' tables, the map, the brief and the programmes; the issuing core is in
query.published, records and files in query.gate_files, survey scores in query.gate_scores, and all
of it is re-exported here (callers use `gate.X`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import pandas as pd

from query import brief_view, frames, initiative, snap
from query.aggregates import (
    UNSTABLE_RATE_BELOW,
    KeyFigures,
    city_overview,
    key_figures,
    neighborhood_counts,
    page_aggregates,
)
from query.db import CityData, current_snapshot_key, open_city
from query.disclosure import REASON_NO_POPULATION, DisclosurePolicy
from query.export import ExportFile, ExportPolicy, ExportRefused
from query.filters import CATEGORY_WORDS, PERSON_PREFIX, Filters, area_words, latest_months
from query.gate_files import (
    RecordsView,
    demographic_columns,
    dictionary_file,
    dictionary_table,
    records_file,
    records_file_name,
    records_refusal,
    records_view,
    table_file,
)
from query.gate_scores import VoiceView, brief_voice_rows, measure_words, sentiment_monthly, voice_view
from query.i18n import _, month_year, number, term
from query.initiative import Initiative, InitiativeReport, named_initiatives
from query.options import FilterOptions, filter_options
from query.periods import period_words
from query.provenance import Freshness, SourceProvenance, freshness, source_provenance
from query.published import (
    _ISSUED_HERE,
    PublishedTable,
    SitePolicy,
    _issue,
    count_text,
    counting_rules,
    plain_table,
    subset,
)
from query.quality import SourceQuality, unit_plural
from query.quality import source_quality as _source_quality
from query.source_check import SourceCheck, snapshot_query, source_checks
from store.cityindex import list_city_ids
from store.objectstore import is_object_store
from store.replica import Replica, ReplicaState
from store.schema import SCHEMAS, KindSchema, schema_for

__all__ = [
    "CATEGORY_WORDS",
    "PERSON_PREFIX",
    "SCHEMAS",
    "UNSTABLE_RATE_BELOW",
    "Brief",
    "CityData",
    "DisclosurePolicy",
    "ExportFile",
    "ExportPolicy",
    "ExportRefused",
    "FilterOptions",
    "Filters",
    "Freshness",
    "Initiative",
    "InitiativeReport",
    "KindSchema",
    "PublishedPage",
    "PublishedTable",
    "RecordsView",
    "Replica",
    "ReplicaState",
    "SitePolicy",
    "SourceCheck",
    "SourceProvenance",
    "SourceQuality",
    "VoiceView",
    "area_words",
    "brief_figures",
    "brief_file",
    "brief_voice_rows",
    "count_text",
    "counting_rules",
    "current_snapshot_key",
    "demographic_columns",
    "dictionary_file",
    "dictionary_table",
    "filter_options",
    "freshness",
    "initiative_places",
    "initiative_report",
    "is_object_store",
    "latest_months",
    "list_city_ids",
    "map_table",
    "measure_words",
    "named_initiatives",
    "neighborhood_brief",
    "open_city",
    "overview_tables",
    "page",
    "period_words",
    "pin_for",
    "pin_words",
    "plain_table",
    "rate_words",
    "records_file",
    "records_file_name",
    "records_refusal",
    "records_view",
    "schema_for",
    "sentiment_monthly",
    "snapshot_query",
    "source_checks",
    "source_provenance",
    "source_quality",
    "stable_rates",
    "subset",
    "table_file",
    "unit_plural",
    "voice_view",
]


@dataclass(frozen=True, eq=False)
class PublishedPage:
    """Everything a kind page shows for one set of filters, after the gate."""

    filters: Filters
    trend: PublishedTable
    by_category: PublishedTable
    by_finding: PublishedTable
    by_neighborhood: PublishedTable
    by_race: PublishedTable
    by_sex: PublishedTable
    by_age_band: PublishedTable
    headline: str  # the count, or "suppressed (fewer than k)"
    headline_words: str  # the same with its unit, and under a person filter the year and area it covers
    units_text: str | None  # distinct complaints or incidents, where the kind has them
    record_unit: str
    unit_label: str | None
    figures: KeyFigures
    demographic_scope: str  # which period and area the breakdowns by who cover (see query.snap)
    is_narrowed_by_person: bool  # a race, sex or age filter is set: other breakdowns are withheld
    notes: tuple[str, ...]
    matching_records: int | None = field(default=None, repr=False)  # for the download cap; None if hidden


def page(city: CityData, filters: Filters, site: SitePolicy) -> PublishedPage:
    """A kind page's tables and figures under the site's policy."""
    policy = site.disclosure
    aggs = page_aggregates(city, filters, policy)
    people = snap.demographics(city, filters, policy)
    narrowed = filters.has_person_filter
    figures = key_figures(city, filters, policy)
    if narrowed:  # comparisons of arbitrary windows under a person filter could be differenced
        figures = replace(figures, count=None, previous_count=None, change_vs_previous_pct=None)
        figures = replace(figures, year_before_count=None, change_vs_year_before_pct=None)
    withheld = "withheld under a filter on who the records were about"

    def table(frame: pd.DataFrame, what: str) -> PublishedTable:
        return _issue(frame.iloc[0:0] if narrowed else frame, what if not narrowed else withheld, policy)

    totals = aggs.totals
    headline = people.filtered_count_text if narrowed else count_text(totals.records, site)
    return PublishedPage(
        filters=filters,
        trend=table(aggs.trend, "monthly"),
        by_category=table(aggs.by_category, "by category"),
        by_finding=table(aggs.by_finding, "by finding"),
        by_neighborhood=table(aggs.by_neighborhood, "by neighborhood"),
        by_race=_issue(people.by_race, "by race", policy),
        by_sex=_issue(people.by_sex, "by sex", policy),
        by_age_band=_issue(people.by_age_band, "by age", policy),
        headline=headline,
        headline_words=f"{headline} {term(totals.record_unit)}"
        + (" " + _("in {scope}").format(scope=people.scope) if narrowed else ""),
        units_text=None if narrowed or totals.units is None else number(totals.units),
        record_unit=totals.record_unit,
        unit_label=totals.unit_label,
        figures=figures,
        demographic_scope=people.scope,
        is_narrowed_by_person=narrowed,
        notes=(*aggs.notes, *counting_rules(filters.kind, city))
        if filters.has_person_columns
        else aggs.notes,
        matching_records=None if narrowed else totals.records,
    )


def map_table(city: CityData, filters: Filters, site: SitePolicy, is_rate: bool) -> PublishedTable:
    """Every neighborhood's count or rate for the map and ranking: hidden cells stay blank, with their reason."""
    policy = site.disclosure
    whole = replace(filters, neighborhood_ids=())  # the map shows every neighborhood, to click between
    if filters.has_person_filter:
        return _issue(pd.DataFrame(columns=_MAP_COLUMNS), "by neighborhood", policy)
    table = neighborhood_counts(city, whole, policy)
    placed = table["neighborhood_id"].notna().to_numpy()  # records with no neighborhood have no polygon
    value = table["rate_per_1000" if is_rate else "count"].astype("float64").to_numpy()[placed]
    population = table["population"].astype("float64").to_numpy()[placed]
    reasons = [r if isinstance(r, str) else None for r in table["reason"].tolist()]
    reasons = [r for r, keep in zip(reasons, placed, strict=True) if keep]
    if is_rate:  # a rate with no residents to divide by says so, where no other reason hides it
        reasons = [
            REASON_NO_POPULATION if r is None and not p > 0 else r for r, p in zip(reasons, population)
        ]
    unstable = is_rate & table["is_rate_unstable"].to_numpy(dtype=bool)[placed]
    shown = [
        policy.reason_words(r)
        if r is not None
        else (number(v, 1) + (" " + _("(unstable)") if weak else "") if is_rate else number(v))
        for r, v, weak in zip(reasons, value.tolist(), unstable.tolist(), strict=True)
    ]
    ids = table["neighborhood_id"].tolist()
    names = table["name"].tolist()
    columns = {
        "neighborhood_id": frames.text([i for i, keep in zip(ids, placed, strict=True) if keep]),
        "neighborhood_name": frames.text([n for n, keep in zip(names, placed, strict=True) if keep]),
        "value": value,
        "display": frames.text(shown),
        "reason": frames.text([policy.reason_words(r) if r is not None else "" for r in reasons]),
        "is_rate_unstable": unstable,
    }
    return PublishedTable(frames.frame(columns), "by neighborhood", _ISSUED_HERE)


def stable_rates(table: PublishedTable) -> PublishedTable:
    """Rows whose rate rests on at least UNSTABLE_RATE_BELOW records: what a ranking may list."""
    frame = table.frame
    if "is_rate_unstable" not in frame:
        return table
    return subset(table, frame.index[~frame["is_rate_unstable"].astype(bool)])


_MAP_COLUMNS = ["neighborhood_id", "neighborhood_name", "value", "display", "reason", "is_rate_unstable"]


def overview_tables(city: CityData, date_from: date | None, date_to: date | None, site: SitePolicy):
    """The overview page's figures: per kind (title, has data, headline text, key figures, top rates table)."""
    view = city_overview(city, date_from, date_to, site.disclosure)
    out = []
    for kind_view in view.kinds:
        headline = count_text(kind_view.totals.records, site) if kind_view.totals else ""
        top = _issue(kind_view.top_neighborhoods, "highest rates", site.disclosure)
        out.append((kind_view, headline, top))
    return out


def source_quality(manifest, site: SitePolicy) -> SourceQuality:
    """A source's counting rules and quality figures; its table of values no recode knew is issued
    here, with small counts of people's values (a rare race spelling) hidden like any small cell."""
    quality = _source_quality(manifest)
    frame = quality.unmapped.copy()
    is_person = frame["column"].str.startswith(("complainant_", "subject_", "officer_"))
    small = is_person & (frame["records"] < site.disclosure.threshold)
    frame["records"] = [
        _("fewer than {threshold}").format(threshold=site.disclosure.threshold) if hide else number(n)
        for hide, n in zip(small, frame["records"], strict=True)
    ]
    return replace(quality, unmapped=plain_table(frame, "unmapped values"))


Brief = brief_view.Brief
rate_words = brief_view.rate_words


def neighborhood_brief(
    city: CityData, hood_id: str, chosen: tuple, site: SitePolicy, asked: tuple[Initiative, ...] = ()
) -> Brief:
    """A neighborhood's brief per kind beside the whole city, every figure from `page` (this gate),
    and the programmes covering it (the catalogue's, and any `asked` for by a link)."""
    return brief_view.assemble(city, hood_id, chosen, site, page, asked)


def brief_figures(brief: Brief) -> PublishedTable:
    """Every figure of the brief, one row each, as the page and the file print them."""
    return plain_table(brief_view.figures_table(brief), "brief figures")


def brief_file(brief: Brief) -> ExportFile:
    """The brief as a zip: self-contained HTML, a CSV of every figure, and datapackage.json."""
    return brief_view.to_file(brief)


def pin_words(as_of: str) -> str:
    """20261101T0415 -> '1 Nov 2026 04:15 UTC' (a pinned link's time, in words)."""
    digits = as_of.replace("T", "").rstrip("Z")
    parts = [digits[0:4], digits[4:6], digits[6:8], digits[8:10] or "00", digits[10:12] or "00"]
    try:
        moment = datetime(*(int(p) for p in parts), tzinfo=UTC)
    except ValueError:
        return as_of
    return f"{moment.day} {month_year(moment)} {moment:%H:%M} UTC"


def pin_for(city: CityData) -> str:
    """The as_of that reopens exactly this city's current snapshots later."""
    return city.pin


def initiative_report(city: CityData, chosen: Initiative) -> InitiativeReport:
    """Did it make a difference: each measure's verdict, and its monthly lines issued as a table.

    The lines are means per neighborhood of counts by place and month, which name no one (the same
    counts the kind pages' trends publish); scores are the publisher's own averages.
    """
    report = initiative.evaluate(city, chosen)
    results = tuple(
        replace(r, lines=plain_table(r.lines, f"{r.kind} before and after")) for r in report.results
    )
    return replace(report, results=results)


def initiative_places(city: CityData, names_or_ids) -> tuple[str, ...]:
    """Neighborhood ids for the ids or names a link or the catalogue gave (unknown ones dropped)."""
    return initiative.place_ids(city, names_or_ids)
