"""Did it make a difference? A programme's places before and after, against the rest of the city.

The visitor picks a programme the deployment named, or names one (title, start, neighborhoods); every
choice is in the URL, so the result is a link to share. Figures from `gate.initiative_report`.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import streamlit as st

from query import gate, i18n
from query.gate import CityData
from query.i18n import _
from ui import charts, session, widgets
from ui.filters import Selection


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(_("Did it make a difference?"), anchor=False)
    if city is None or not city.kinds_with_data():
        st.info(_("No data has been published yet."))
        return
    widgets.synthetic_notice(city)
    st.markdown(
        _(
            "Name a programme, the date it started and the neighborhoods it covered. This page compares "
            "those neighborhoods before and after the start with the rest of the city, month by month. "
            "The neighborhood and date filters at the top of the page do not apply here."
        )
    )
    chosen = _choose(city)
    if chosen is None:
        return
    report = session.initiative(city.city_id, city.snapshot_key, chosen)
    if report.refusal:
        st.warning(report.refusal)
        return
    st.header(widgets.md_escape(chosen.title or _("Unnamed initiative")), anchor=False)
    places = ", ".join(report.covered_names)
    st.markdown(
        widgets.md_escape(
            _("Started {start}; covers {places}.").format(
                start=i18n.day_month_year(chosen.start), places=places
            )
        )
    )
    if chosen.note:
        st.caption(widgets.md_escape(chosen.note))
    for number, result in enumerate(report.results):
        _measure(result, chosen.start, number)
    _assumptions(report)
    _brief_links(report, is_own=st.session_state.get("init_own", False))
    widgets.provenance_footer(city, city.kinds_with_data())


def _choose(city: CityData) -> gate.Initiative | None:
    named = {i.title: i for i in gate.named_initiatives(city)}
    # a toggle, not a "name your own" option: a bound option's URL value would be its label, which
    # changes with the language and would break shared links
    is_own = not named or st.toggle(_("Name your own programme"), key="init_own", bind="query-params")
    if is_own:
        return _own(city)
    title = st.selectbox(
        _("Programme named by the city"),
        list(named),
        format_func=widgets.plain,
        key="init",
        bind="query-params",
    )
    return named[title]


def _own(city: CityData) -> gate.Initiative | None:
    names = dict(city.neighborhood_names)
    ids = sorted(names, key=lambda i: names[i])
    title = st.text_input(_("Title"), key="init_title", bind="query-params", max_chars=120)
    spans = [city.coverage[k] for k in city.kinds_with_data() if k in city.coverage]
    start = st.date_input(
        _("Start date"),
        value=None,
        min_value=min(s[0] for s in spans),
        max_value=max(s[1] for s in spans),
        key="init_start",
        bind="query-params",
        format="YYYY-MM-DD",
    )
    hoods = st.multiselect(
        widgets.md_escape(_("Neighborhoods it covered")),
        ids,
        key="init_hoods",
        bind="query-params",
        format_func=lambda i: widgets.plain(names[i]),
    )
    if not isinstance(start, date) or not hoods:
        st.info(_("Choose a start date and at least one neighborhood to see the comparison."))
        return None
    return gate.Initiative(title.strip(), start, tuple(hoods))


def _measure(result, start: date, number: int) -> None:
    st.subheader(widgets.md_escape(result.measure), anchor=False)
    st.markdown(
        f"**{widgets.md_escape(_(result.verdict).capitalize())}.** {widgets.md_escape(result.sentence)}"
    )
    if result.lines.frame.empty:
        return
    widgets.chart_with_table(
        charts.before_after(result.lines, result.unit, start),
        result.lines,
        widgets.md_escape(
            _(
                "{measure} per neighborhood per month ({unit}): the covered neighborhoods and the rest of "
                "the city. The dashed line is the start. Before it, the two lines should rise and fall together."
            ).format(measure=result.measure, unit=result.unit)
        ),
        key=f"initiative_{number}",
    )


def _brief_links(report: gate.InitiativeReport, is_own: bool) -> None:
    """Links to the brief of each covered neighborhood, which then carries this result."""
    chosen = report.initiative
    asked = (
        {
            "init_own": "true",
            "init_title": chosen.title,
            "init_start": chosen.start.isoformat(),
            "init_hoods": list(report.covered_names),
        }
        if is_own
        else {}
    )
    lang = {"lang": i18n.language()} if i18n.language() != i18n.DEFAULT_LANGUAGE else {}
    links = [
        f"[{widgets.md_escape(name)}](neighborhood?{urlencode({'place': name, **asked, **lang}, doseq=True)})"
        for name in report.covered_names
    ]
    st.markdown(
        _("The brief of each covered neighborhood carries this result: {links}.").format(
            links=", ".join(links)
        )
    )


def _assumptions(report: gate.InitiativeReport) -> None:
    st.subheader(_("What this comparison assumes"), anchor=False)
    st.markdown("\n".join(f"- {widgets.md_escape(_(line))}" for line in report.assumptions))
    st.caption(_("To share this result, copy the page's address: it holds every choice above."))
