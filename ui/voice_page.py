"""The Community voice page: what residents say (survey scores) beside what the records say.

Scores come from `gate.voice_view` (cached per snapshot, place, period and choice in ui/session),
the records' monthly counts from `gate.page` for the same place and months. Scores are averages a
survey vendor published: every chart states their scale and the publisher's method, and none is
summed or rated. The page sets the two kinds of evidence side by side and draws no conclusion.
"""

from __future__ import annotations

import streamlit as st

from query import gate
from query.gate import CityData
from query.i18n import _
from ui import charts, session, widgets
from ui.filters import Selection

CITY_CHOICE = ""  # the place picker's "whole city" option


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(_("Community voice"), anchor=False)
    kinds = city.score_kinds_with_data() if city is not None else ()
    if not kinds:
        st.info(_("This city publishes no survey scores of residents' trust or sense of safety yet."))
        return
    widgets.synthetic_notice(city)
    widgets.freshness_banner(city, kinds)
    hood_id = _place(city, selection)
    window = (None, None) if selection.default_windows else (selection.date_from, selection.date_to)
    view = _view(city, hood_id, window, None, None)
    if view is None or view.span is None:
        st.info(_("No monthly scores are published for this place and period."))
        return
    st.markdown(
        _("What residents said in surveys about the police, and what the records show, for {place}.").format(
            place=f"**{widgets.md_escape(view.place)}**"
        )
    )
    for note in view.notes:
        st.caption(widgets.md_escape(note))
    _measures(view)
    _groups(city, hood_id, window, view)
    _records(city, view)
    widgets.provenance_footer(city, (*kinds, *city.kinds_with_data()))


def _view(city: CityData, hood_id, window, measure, group_type) -> gate.VoiceView | None:
    return session.voice(city.city_id, city.snapshot_key, hood_id, window, measure, group_type)


def _place(city: CityData, selection: Selection) -> str | None:
    names = dict(city.neighborhood_names)
    ids = [CITY_CHOICE, *sorted(names, key=lambda i: names[i])]
    default = selection.neighborhood_ids[0] if selection.neighborhood_ids else CITY_CHOICE
    picked = st.selectbox(
        widgets.md_escape(city.index.neighborhood_label),
        ids,
        index=ids.index(default) if default in ids else 0,
        format_func=lambda i: _("Whole city") if i == CITY_CHOICE else widgets.plain(names[i]),
        key="voice_place",
    )
    return picked or None


def _scale_words(view: gate.VoiceView) -> str:
    return view.scale.words


def _measures(view: gate.VoiceView) -> None:
    st.header(_("Trust and safety over time"), anchor=False)
    scale = (view.scale.low, view.scale.high)
    caption = _(
        "{place}: each measure's published monthly score (solid) beside the whole city's (dashed), "
        "{span}. Unit: {unit}; scores are averages, not counts."
    ).format(place=widgets.md_escape(view.place), span=_span_words(view.span), unit=_scale_words(view))
    widgets.chart_with_table(
        charts.score_lines(view.lines, series="measure", dashed=_("Whole city"), scale=scale, unit="score"),
        view.lines,
        caption,
        key="voice_measures",
    )


def _groups(city: CityData, hood_id, window, view: gate.VoiceView) -> None:
    st.header(_("Between groups of residents"), anchor=False)
    if not view.group_types:
        st.caption(_("The publisher gives no scores by group of residents."))
        return
    left, right = st.columns(2)
    measure = left.selectbox(
        _("Measure"),
        list(view.measures),
        key="voice_measure",
        format_func=lambda m: widgets.plain(gate.measure_words(m)),
    )
    group_type = right.selectbox(
        _("Groups by"),
        list(view.group_types),
        index=list(view.group_types).index(view.group_type),
        key="voice_group_type",
    )
    chosen = _view(city, hood_id, window, measure, group_type) or view
    caption = _("{place}: {measure} by {groups}, each group's published monthly score. Unit: {unit}.").format(
        place=widgets.md_escape(view.place),
        measure=widgets.md_escape(gate.measure_words(measure)),
        groups=widgets.md_escape(group_type),
        unit=_scale_words(view),
    )
    widgets.chart_with_table(
        charts.score_lines(chosen.by_group, series="group", scale=(view.scale.low, view.scale.high)),
        chosen.by_group,
        caption,
        key="voice_groups",
    )
    if chosen.gap_pair and len(chosen.gap.frame):
        first, second = chosen.gap_pair
        gap_caption = _(
            "The gap: {first} residents' score minus {second} residents' score, in points of the same "
            "scale, in the months where both are published."
        ).format(first=widgets.md_escape(first), second=widgets.md_escape(second))
        widgets.chart_with_table(
            charts.gap_line(chosen.gap, first, second), chosen.gap, gap_caption, key="voice_gap"
        )


def _records(city: CityData, view: gate.VoiceView) -> None:
    """The other kinds' monthly counts for the same place and months, set beside the scores."""
    kinds = city.kinds_with_data()
    if not kinds:
        return
    st.header(_("What the records show for the same place and months"), anchor=False)
    st.caption(
        _(
            "Monthly counts of records for {place}, {span}, shown beside the scores for comparison. "
            "Two lines moving together, or apart, is a pattern to look into, not an explanation."
        ).format(place=widgets.md_escape(view.place), span=_span_words(view.span))
    )
    columns = st.columns(len(kinds))
    for column, kind in zip(columns, kinds, strict=True):
        filters = gate.Filters.make(
            kind, *view.span, neighborhood_ids=[view.hood_id] if view.hood_id else None
        )
        published = session.page(city.city_id, city.snapshot_key, filters)
        with column:
            st.subheader(widgets.md_escape(gate.schema_for(kind).page_title), anchor=False)
            widgets.plot(charts.trend(published.trend, published.record_unit), key=f"voice_records_{kind}")
            st.caption(
                _("{place}: {unit} per month; {total} in all.").format(
                    place=widgets.md_escape(view.place),
                    unit=widgets.md_escape(published.record_unit),
                    total=widgets.md_escape(published.headline),
                )
            )


def _span_words(span) -> str:
    return f"{span[0]:%b %Y} – {span[1]:%b %Y}"
