"""The About & methodology page: units, dates, places, small numbers and caveats, in plain words."""

from __future__ import annotations

import streamlit as st

from query import i18n
from query.gate import SCHEMAS
from query.i18n import _
from ui import session, settings, widgets
from ui.filters import Selection


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(_("About & methodology"), anchor=False)
    if city is not None:
        widgets.synthetic_notice(city)
    st.markdown(
        _(
            "This dashboard republishes police open data so residents, journalists and department staff can see "
            "the same figures, with where they came from and as of when. It does not collect data of its own."
        )
    )
    st.header(_("What is counted"), anchor=False)
    for schema in SCHEMAS.values():
        # A score kind is not counted: its figures are averages a publisher gave (store/schema.py).
        st.markdown(
            (
                _("**{kind}** are published in **{unit}**.")
                if schema.is_score
                else _("**{kind}** are counted in **{unit}**.")
            ).format(kind=i18n.term(schema.title), unit=i18n.term(schema.unit_plural))
            + f" {widgets.md_escape(i18n.term(schema.unit_note))}"
        )
    zone = f" ({city.time_zone})" if city else ""
    st.markdown(
        _(
            "Dates are the date the event **happened** (not when it was reported or entered), in the city's own "
            "time zone{zone}. Months are calendar months in that zone."
        ).format(zone=zone)
    )
    st.header(_("How places are assigned"), anchor=False)
    st.markdown(
        _(
            "Each record is placed in a neighborhood once, when it is fetched. Where the source publishes a location, "
            "the record goes to the neighborhood whose boundary contains that point. Where it publishes none, the "
            "source's own district or precinct field is matched to a neighborhood through a published crosswalk. "
            "Records that neither method can place are counted as “Unassigned” and appear in city-wide totals only. "
            "The share of unassigned records of each feed is in its snapshot manifest. Published locations are "
            "usually moved to the block or an intersection by the publisher to protect privacy: maps are approximate."
        )
    )
    st.header(_("Survey scores"), anchor=False)
    st.markdown(
        _(
            "Where a city publishes residents' survey scores (trust in the police, feeling safe, whether "
            "the police listen and show respect), the “Community voice” page shows them as the publisher "
            "gives them: averages on the publisher's scale, already made from many answers, so no "
            "small-numbers rule applies to them, and this site never adds them up, turns them into rates "
            "or averages them again. Only calendar-month scores are drawn. A gap between two groups is "
            "the difference of their two published scores. Scores stand beside the records for the same "
            "place and months for comparison; the page does not say that one moved the other."
        )
    )
    st.header(_("Small numbers"), anchor=False)
    st.markdown(widgets.md_escape(settings.SITE.disclosure.note()))
    st.markdown(
        _(
            "The threshold counts records in the kind's own unit (allegations, subjects): the sources publish no "
            "complainant or subject identifier, so one person with several allegations counts several times. "
            "Where a source publishes a person identifier, the threshold counts distinct people."
        )
    )
    st.header(_("Subtracting one view from another"), anchor=False)
    st.markdown(
        _(
            "Hiding small cells in one table is not enough on a site where every view is a link: two views one "
            "filter step apart (neighborhoods A and B, then B alone; a start date moved by one day) could be "
            "subtracted to reveal a hidden count. This site therefore publishes breakdowns by race, sex and age "
            "only at **fixed granularities**, from tables suppressed in advance:\n"
            "- **Period:** one whole calendar year that is over (the data runs past its end). A selection uses "
            "the year its end date falls in, or the latest finished year before it.\n"
            "- **Area:** one neighborhood, or the whole city. A selection of several neighborhoods uses the "
            "whole city. Category and finding filters do not narrow these tables.\n"
            "- **Linked suppression:** a neighborhood's table also hides any cell whose difference from the "
            "city's (the rest of the city) would be a small count, and hides further cells until no sum the two "
            "tables reveal together is a small count.\n"
            "- **Filters on who:** with a race, sex or age filter, only the one matching cell of those tables "
            "is shown; monthly, category and neighborhood counts are withheld, and records are not listed.\n\n"
            "Each page says which year and area its breakdowns cover. Two residual risks remain: late "
            "corrections to a finished year change its table between snapshots, and an attacker who combines "
            "the tables of every neighborhood can bound the city's hidden cells more tightly. Other counts "
            "(incidents by month, category and neighborhood, without a filter on who) are not suppressed."
        )
    )
    st.header(_("Records, row by row"), anchor=False)
    rows = (
        _("Race, sex and age columns are published on this site")
        if settings.SITE.is_demographic_rows_enabled
        else _("Race, sex and age columns are **withheld** from record listings and downloads on this site")
    )
    st.markdown(
        rows
        + _(
            ": beside a date and a neighborhood they can identify a "
            "person. Records are never listed under a race, sex or age filter unless the site publishes those "
            "columns and at least {threshold} records match. Every download's notes say "
            "which columns were withheld and why."
        ).format(threshold=settings.SITE.disclosure.threshold)
    )
    st.markdown(
        _(
            "Rates are per 1,000 residents per year, from the population of each neighborhood in the city's "
            "reference data: a count over any period is scaled to a year (12 ÷ months for whole months, else "
            "365.25 ÷ days), so rates of different periods compare. Rates computed from fewer than 20 records "
            "change a lot with one more or one fewer event: they are marked unstable on the map and left out "
            "of every ranking."
        )
    )
    st.header(_("Caveats"), anchor=False)
    st.markdown(
        _(
            "- **Preliminary data.** Police data is revised: offenses are reclassified, reports are found unfounded, "
            "late reports arrive. Figures for recent months may change.\n"
            "- **Not official statistics.** Counts here are not the figures a department reports to the FBI "
            "(UCR/NIBRS), which use different rules.\n"
            "- **Complaints are not findings.** A complaint records an allegation; its finding says what an "
            "investigation concluded. Complaint counts also depend on how easy it is to complain.\n"
            "- **Categories.** Offense, allegation and force-type categories are our grouping of the published "
            "values; the published value is kept beside it in every download (`*_raw` columns).\n"
            "- **Comparisons.** Differences between neighborhoods reflect population, policing and reporting, "
            "and do not by themselves show cause."
        )
    )
    st.header(_("Downloads"), anchor=False)
    st.markdown(
        _(
            "Downloads are UTF-8 CSV files (RFC 4180) with a notes file stating the filter in words, the sources, "
            "licences, snapshot time and counting unit. Text cells that begin with `=`, `+`, `-`, `@`, a tab or a "
            "carriage return start with an apostrophe, so a spreadsheet cannot run them as formulas. Downloads "
            "hold at most {limit} records; for more, use the source's own portal."
        ).format(limit=i18n.number(settings.SITE.exports.max_rows))
    )
