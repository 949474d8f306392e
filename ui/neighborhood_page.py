"""The neighborhood page: one place's figures per kind beside the whole city's, and its brief as a file.

Every figure comes from `gate.neighborhood_brief` (cached per snapshot, place and dates in ui/session),
so the page, the brief file and its CSV agree.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from query import gate, i18n
from query.gate import CityData
from query.i18n import _
from ui import charts, session, settings, widgets
from ui.filters import Selection
from ui.source_check import render_how_counted


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(_("Neighborhood brief"), anchor=False)
    if city is None or not city.kinds_with_data():
        st.info(_("No data has been published yet."))
        return
    widgets.synthetic_notice(city)
    hood_id = _pick(city, selection)
    if hood_id is None:
        return
    chosen = (None, None) if selection.default_windows else (selection.date_from, selection.date_to)
    brief = session.brief(city.city_id, city.snapshot_key, hood_id, chosen, _asked(city))
    st.caption(
        _(
            "Each kind covers the latest 12 complete months of its own data unless dates are chosen. Rates "
            "are per 1,000 residents per year. Changes are tested against ordinary month-to-month variation."
        )
    )
    for kind_brief in brief.kinds:
        _kind(city, brief, kind_brief)
    for report in brief.initiatives:
        _initiative(report)
    _voice(brief)
    widgets.download_later(
        _("Download this brief (HTML to print, CSV of every figure, datapackage.json)"),
        lambda: gate.brief_file(brief),
        f"brief_{hood_id}.zip",
        key="brief_file",
    )
    # Built only when opened: the data grid's code is the heaviest thing a phone would load here.
    every_figure = st.expander(
        _("Every figure in this brief, as a table"), key="brief_figures", on_change="rerun"
    )
    if every_figure.open:
        with every_figure:
            widgets.table(gate.brief_figures(brief))
    _changes(city)
    widgets.provenance_footer(city, city.kinds_with_data())


def _voice(brief: gate.Brief) -> None:
    """What residents said: the latest trust and safety scores here and city-wide, and their change."""
    if not brief.voice:
        return
    st.header(_("Community sentiment"), anchor=False)
    hood = widgets.md_escape(brief.hood_name)
    widgets.short_table(gate.brief_voice_rows(brief))
    notes = [widgets.md_escape(note) for note in brief.voice_notes]
    notes.append(
        _("Each score is the latest published monthly one; {unit}.").format(
            unit=widgets.md_escape(brief.voice_unit)
        )
        + " "
        + _("{hood}: more on the “Community voice” page, beside the records for the same months.").format(
            hood=hood
        )
    )
    st.caption("\n\n".join(notes))


def _changes(city: CityData) -> None:
    """What moved since the previous snapshot, so no one is surprised at a meeting by a changed number."""
    lines = [
        f"{source.title}: {line}"
        for source in session.provenance(city.city_id, city.snapshot_key)
        if source.manifest is not None
        for line in gate.source_quality(source.manifest, settings.SITE).changes
    ]
    if lines:
        st.header(_("What changed since the previous snapshot"), anchor=False)
        for line in lines:
            st.caption(widgets.md_escape(line))


def _asked(city: CityData) -> tuple[gate.Initiative, ...]:
    """A programme a link from "Did it make a difference?" named (init_start, init_hoods), if any."""
    if st.query_params.get("init_own") != "true":
        return ()
    try:
        start = date.fromisoformat(st.query_params.get("init_start", ""))
    except ValueError:
        return ()
    hoods = gate.initiative_places(city, st.query_params.get_all("init_hoods"))
    title = st.query_params.get("init_title", "")[:120]
    return (gate.Initiative(title, start, hoods),) if hoods else ()


def _initiative(report: gate.InitiativeReport) -> None:
    chosen = report.initiative
    st.header(
        widgets.md_escape(_("Did it make a difference? {title}").format(title=chosen.title)), anchor=False
    )
    st.caption(
        widgets.md_escape(
            _(
                "Started {start}; covers {places}; compared with the rest of the city (the page “Did it "
                "make a difference?” has the charts and assumptions)."
            ).format(start=i18n.day_month_year(chosen.start), places=", ".join(report.covered_names))
        )
    )
    for r in report.results:
        head = f"{widgets.md_escape(r.measure)}: {widgets.md_escape(_(r.verdict))}."
        st.markdown(f"**{head}** {widgets.md_escape(r.sentence)}")


def _pick(city: CityData, selection: Selection) -> str | None:
    """The place the top filter chose (ui/filters.py draws one chooser on this page)."""
    if not city.neighborhood_names:
        st.info(_("This city has no neighborhoods to choose from."))
        return None
    return selection.neighborhood_ids[0] if selection.neighborhood_ids else None


def _kind(city: CityData, brief, k) -> None:
    hood = widgets.md_escape(brief.hood_name)
    unit = i18n.term(k.unit)
    st.header(i18n.term(k.title), anchor=False)
    window = (
        f"{i18n.day_month_year(k.window[0], padded=True)} – {i18n.day_month_year(k.window[1], padded=True)}"
    )
    # One block of text per kind, not a metric per figure: a phone draws each element separately,
    # and this page has four kinds of them.
    lines = [
        _("{area}: **{count}** {unit} ({window}). Whole city: **{city_count}**.").format(
            area=hood,
            count=widgets.md_escape(k.area.headline),
            unit=unit,
            window=window,
            city_count=widgets.md_escape(k.city.headline),
        ),
        _("Rate per 1,000 residents per year: {area} {area_rate}; whole city {city_rate}.").format(
            area=hood,
            area_rate=widgets.md_escape(gate.rate_words(k.area_rate, k.is_rate_unstable)),
            city_rate=widgets.md_escape(gate.rate_words(k.city_rate, False)),
        ),
        *(widgets.md_escape(comparison.statement) for comparison in k.comparisons),
    ]
    if k.sustained_share:
        lines.append(widgets.md_escape(k.sustained_share.capitalize() + "."))
    lines += [widgets.md_escape(line) for line in k.extra]
    st.markdown("\n\n".join(lines))
    render_how_counted(city, k.area.filters)
    left, right = st.columns(2)
    with left:
        widgets.plot(charts.trend(k.area.trend, unit), key=f"brief_trend_{k.kind}")
        st.caption(_("How many {unit} there were each month in {area}.").format(area=hood, unit=unit))
    with right:
        widgets.plot(
            charts.ranked_bars(
                k.area.by_category,
                unit,
                label="category",
                text="label",
                vocabulary=gate.schema_for(k.kind).category_column,
            ),
            key=f"brief_cats_{k.kind}",
        )
        st.caption(
            _("How many {unit} there were of each {breakdown} in {area}.").format(
                area=hood, unit=unit, breakdown=i18n.term(gate.CATEGORY_WORDS[k.kind])
            )
        )
    if k.kind == "use_of_force" and len(k.area.by_race.frame):
        widgets.plot(
            charts.compare_shares(
                k.area.by_race,
                label="group",
                first="share",
                second="population_share",
                names=(_("share of {unit}").format(unit=unit), _("share of residents")),
                vocabulary="race",
            ),
            key="brief_race",
        )
        st.caption(
            _(
                "For {scope}: out of every 100 people force was used on, how many were of each race or ethnic group (blue), "
                "next to how many of every 100 residents belong to that group (orange)."
            ).format(scope=widgets.md_escape(k.area.demographic_scope))
        )
