"""The neighborhood page: one place's figures per kind beside the whole city's, and its brief as a file.

Every figure comes from `gate.neighborhood_brief` (cached per snapshot, place and dates in ui/session),
so the page, the brief file and its CSV agree.
"""

from __future__ import annotations

import streamlit as st

from query import gate
from query.gate import CityData
from ui import charts, session, settings, widgets
from ui.filters import Selection
from ui.source_check import render_how_counted


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title("Neighborhood brief")
    if city is None or not city.kinds_with_data():
        st.info("No data has been published yet.")
        return
    widgets.synthetic_notice(city)
    hood_id = _pick(city, selection)
    if hood_id is None:
        return
    chosen = (None, None) if selection.default_windows else (selection.date_from, selection.date_to)
    brief = session.brief(city.city_id, city.snapshot_key, hood_id, chosen)
    st.caption(
        "Each kind covers the latest 12 complete months of its own data unless dates are chosen. Rates "
        "are per 1,000 residents per year. Changes are tested against ordinary month-to-month variation."
    )
    for kind_brief in brief.kinds:
        _kind(city, brief, kind_brief)
    widgets.download_later(
        "Download this brief (HTML to print, CSV of every figure, datapackage.json)",
        lambda: gate.brief_file(brief),
        f"brief_{hood_id}.zip",
        key="brief_file",
    )
    with st.expander("Every figure in this brief, as a table"):
        widgets.table(gate.brief_figures(brief))
    _changes(city)
    widgets.provenance_footer(city, city.kinds_with_data())


def _changes(city: CityData) -> None:
    """What moved since the previous snapshot, so no one is surprised at a meeting by a changed number."""
    lines = [
        f"{source.title}: {line}"
        for source in session.provenance(city.city_id, city.snapshot_key)
        if source.manifest is not None
        for line in gate.source_quality(source.manifest, settings.SITE).changes
    ]
    if lines:
        st.header("What changed since the previous snapshot")
        for line in lines:
            st.caption(widgets.md_escape(line))


def _pick(city: CityData, selection: Selection) -> str | None:
    names = dict(city.neighborhood_names)
    if not names:
        st.info("This city has no neighborhoods to choose from.")
        return None
    ids = sorted(names, key=lambda i: names[i])
    default = selection.neighborhood_ids[0] if selection.neighborhood_ids else ids[0]
    label = widgets.md_escape(city.index.neighborhood_label)
    return st.selectbox(
        label,
        ids,
        index=ids.index(default) if default in ids else 0,
        format_func=lambda i: widgets.plain(names[i]),
    )


def _kind(city: CityData, brief, k) -> None:
    hood = widgets.md_escape(brief.hood_name)
    st.header(k.title)
    cols = st.columns(2)
    with cols[0]:
        widgets.figure(
            f"{hood}: {k.unit}", k.area.headline, help=f"{k.window[0]:%d %b %Y} – {k.window[1]:%d %b %Y}"
        )
    with cols[1]:
        widgets.figure(f"Whole city: {k.unit}", k.city.headline)
    st.markdown(
        f"Rate per 1,000 residents per year: {hood} {widgets.md_escape(gate.rate_words(k.area_rate, k.is_rate_unstable))}; "
        f"whole city {widgets.md_escape(gate.rate_words(k.city_rate, False))}."
    )
    for comparison in k.comparisons:
        st.caption(widgets.md_escape(comparison.statement))
    if k.sustained_share:
        st.markdown(widgets.md_escape(k.sustained_share.capitalize() + "."))
    for line in k.extra:
        st.markdown(widgets.md_escape(line))
    render_how_counted(city, k.area.filters)
    left, right = st.columns(2)
    with left:
        widgets.plot(charts.trend(k.area.trend, k.unit), key=f"brief_trend_{k.kind}")
        st.caption(f"{hood}: {k.unit} per month.")
    with right:
        widgets.plot(
            charts.ranked_bars(k.area.by_category, k.unit, label="category", text="label"),
            key=f"brief_cats_{k.kind}",
        )
        st.caption(f"{hood}: {k.unit} by {gate.CATEGORY_WORDS[k.kind]}.")
    if k.kind == "use_of_force" and len(k.area.by_race.frame):
        widgets.plot(
            charts.compare_shares(
                k.area.by_race,
                label="group",
                first="share",
                second="population_share",
                names=(f"share of {k.unit}", "share of residents"),
            ),
            key="brief_race",
        )
        st.caption(
            f"{widgets.md_escape(k.area.demographic_scope)}: subjects by race beside each group's share of residents."
        )
