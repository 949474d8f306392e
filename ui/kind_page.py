"""One page per kind of record (crime, complaints, use of force), drawn from what the disclosure gate issued.

Every number shown here comes from one `PublishedPage` (and the map's `PublishedTable`), so a chart,
its table and its CSV agree, and none of them can show what the deployment's policy hides.
Captions say in words what each chart shows, for which filter, in which unit.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from query import gate
from query.gate import CityData
from query.i18n import _
from ui import charts, session, settings, style, widgets
from ui.filters import Selection
from ui.source_check import render_how_counted

MAP_KEY = "chart_map"


def render(kind: str) -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(gate.schema_for(kind).page_title)
    if city is None or not city.has_data(kind):
        st.info("There is no data of this kind for this city yet.")
        return
    widgets.synthetic_notice(city)
    widgets.freshness_banner(city, (kind,))
    filters = selection.filters(kind)
    published = session.page(city.city_id, city.snapshot_key, filters)
    description = widgets.md_escape(filters.describe(city.neighborhood_names))
    _headline(published, description)
    render_how_counted(city, filters)
    for note in published.notes:
        st.caption(widgets.md_escape(note))
    if published.is_narrowed_by_person:
        st.info(
            "With a race, sex or age filter, only the breakdowns by who below are published, for a fixed "
            "year and area: monthly, category and neighborhood counts of people for any dates and places "
            "could be subtracted from each other to reveal a few people. See *About & methodology*."
        )
    else:
        _trend_and_categories(city, published, description)
        _map_and_ranking(city, filters, selection.is_rate)
    if filters.has_person_columns:
        _demographics(city, published)
    _records(city, filters, published)
    widgets.provenance_footer(city, (kind,))


def _headline(published: gate.PublishedPage, description: str) -> None:
    figures = published.figures
    sentence = f"**{description}: {widgets.md_escape(published.headline_words)}**"
    if figures.change_vs_year_before_pct is not None:
        sentence += f", {widgets.format_change(figures.change_vs_year_before_pct, 'a year before')}"
    st.container(key="headline").markdown(sentence + ".")
    cols = st.columns(3)
    with cols[0]:
        widgets.figure(published.record_unit.capitalize(), published.headline)
    if published.units_text is not None:
        with cols[1]:
            widgets.figure(str(published.unit_label).capitalize(), published.units_text)
    if figures.previous_count is not None and figures.change_vs_previous_pct is not None:
        with cols[2]:
            widgets.figure(
                "Change vs the period before",
                f"{figures.change_vs_previous_pct:+.0f}%",
                help=f"{figures.previous_count:,} {published.record_unit} in {_window(figures.previous_window)}",
            )
    if figures.is_partial:
        st.caption("The chosen period reaches beyond the data available, so comparisons may understate.")


def _window(window) -> str:
    return f"{window[0]:%d %b %Y} – {window[1]:%d %b %Y}" if window else "the period before"


def _table_download(city: CityData, filters: gate.Filters, table: gate.PublishedTable):
    return lambda: gate.table_file(city, filters, table, settings.SITE)


def _trend_and_categories(city: CityData, published: gate.PublishedPage, description: str) -> None:
    unit = published.record_unit
    filters = published.filters
    left, right = st.columns(2)
    with left:
        st.header("Month by month")
        widgets.chart_with_table(
            charts.trend(published.trend, unit),
            published.trend,
            f"{description}: {unit} per month, by the month the event happened.{_partial_note(published.trend)}",
            key="trend",
            download_file=_table_download(city, filters, published.trend),
        )
    with right:
        words = gate.CATEGORY_WORDS[filters.kind]
        st.header(f"By {words}")
        widgets.chart_with_table(
            charts.ranked_bars(published.by_category, unit, label="category", text="label"),
            published.by_category,
            f"{description}: {unit} by {words}.",
            key="categories",
            download_file=_table_download(city, filters, published.by_category),
        )
    if len(published.by_finding.frame):
        st.header("By finding")
        widgets.chart_with_table(
            charts.ranked_bars(published.by_finding, unit, label="finding", text="label"),
            published.by_finding,
            f"{description}: {unit} by the outcome of the investigation.",
            key="findings",
            download_file=_table_download(city, filters, published.by_finding),
        )


def _partial_note(trend: gate.PublishedTable) -> str:
    frame = trend.frame
    if "is_partial_month" not in frame or not frame["is_partial_month"].any():
        return ""
    months = ", ".join(f"{m:%b %Y}" for m in frame.loc[frame["is_partial_month"].astype(bool), "month"])
    return f" Partial month (only part of it is in the dates chosen or in the data): {months}."


def _map_and_ranking(city: CityData, filters: gate.Filters, is_rate: bool) -> None:
    label = widgets.md_escape(city.index.neighborhood_label)
    whole = replace(filters, neighborhood_ids=())  # the map shows every neighborhood, to click between
    if is_rate and not city.neighborhoods["population"].notna().any():
        st.info(
            f"{widgets.md_escape(city.name)} publishes no population per {label.lower()}, so rates per "
            "resident are not shown; these are counts."
        )
        is_rate = False
    table = session.map_table(
        city.city_id, city.snapshot_key, whole, is_rate
    )  # one map for every area choice
    unit = city.unit_plural(filters.kind)
    value_label = f"{unit} per 1,000 residents per year" if is_rate else unit
    st.header(f"By {label.lower()}")
    left, right = st.columns([3, 2])
    with left:
        if city.boundaries:
            _map(city, whole, table, value_label, label)
    with right:
        note = (
            " Rates from fewer than 20 records are unstable: they are left out of this ranking and marked"
            " (unstable) on the map."
            if is_rate
            else ""
        )
        ranked = charts.top(gate.stable_rates(table) if is_rate else table, 15)
        # Its own table too: on a phone the map (and the map's table) waits to be asked for.
        widgets.chart_with_table(
            charts.ranked_bars(ranked, value_label, label="neighborhood_name", value="value", text="display"),
            ranked,
            f"The 15 {label.lower()}s with the most {value_label}.{note}",
            key="ranking",
            download_file=_table_download(city, whole, ranked),
        )


def _map(
    city: CityData, whole: gate.Filters, table: gate.PublishedTable, value_label: str, label: str
) -> None:
    """The map; on a phone only when asked (it is the page's heaviest chart, and the ranking beside it
    gives the same order), and then as a picture the finger scrolls past: places are picked above."""
    phone = style.is_phone()
    if phone and not st.toggle(_("Show the map"), key="show_map"):
        return
    caption = (
        f"{widgets.md_escape(whole.describe(city.neighborhood_names))}: {value_label} by {label.lower()}. "
        "Grey: not shown (the reason is in the table)."
    )
    if phone:
        caption += " " + _("Choose places with the filter at the top of the page.")
    else:
        caption += f" Click a {label.lower()} to filter every page to it."
    widgets.chart_with_table(
        charts.choropleth(city.boundaries, table, value="value", value_label=value_label),
        table,
        caption,
        key="map",
        on_select=None if phone else _on_map_click,
        download_file=_table_download(city, whole, table),
        static=phone,
    )


def _on_map_click() -> None:
    """Turn a click on the map into the neighborhood filter (runs before the next rerun draws widgets)."""
    event = st.session_state.get(MAP_KEY)
    points = getattr(getattr(event, "selection", None), "points", None) or []
    picked = [p.get("location") for p in points if p.get("location")]
    if picked:
        st.session_state["hood"] = picked[:1]


def _demographics(city: CityData, published: gate.PublishedPage) -> None:
    filters = published.filters
    who = gate.PERSON_PREFIX[filters.kind]
    unit = published.record_unit
    scope = widgets.md_escape(published.demographic_scope)
    st.header(f"Who the {unit} were about")
    st.caption(
        f"Breakdowns by who cover {scope}, whatever the dates, places and other filters chosen: they are "
        "published only for whole calendar years and for one neighborhood or the whole city, so that two "
        "views cannot be subtracted to reveal a few people (see *About & methodology*)."
    )
    race = published.by_race
    widgets.chart_with_table(
        charts.compare_shares(
            race,
            label="group",
            first="share",
            second="population_share",
            names=(f"share of {unit}", "share of residents"),
        ),
        race,
        f"{scope}: {who} race or ethnicity as a share of {unit}, beside each group's share of residents.",
        key="race",
        download_file=_table_download(city, filters, race),
    )
    left, right = st.columns(2)
    for column, table, words, key in (
        (left, published.by_sex, "sex", "sex"),
        (right, published.by_age_band, "age band", "age"),
    ):
        with column:
            widgets.chart_with_table(
                charts.ranked_bars(table, unit, label="group", text="label"),
                table,
                f"{scope}: {unit} by {who} {words}.",
                key=key,
                download_file=_table_download(city, filters, table),
            )


def _records(city: CityData, filters: gate.Filters, published: gate.PublishedPage) -> None:
    st.header("The records")
    # Listing rows costs more than every chart together on a large feed, so it waits to be asked for.
    if st.toggle("Show the matching records", key="show_records"):
        view = session.records_view(city.city_id, city.snapshot_key, filters, settings.TABLE_PREVIEW_ROWS)
        if view.rows is None:
            st.info(view.refusal)
        else:
            st.caption(
                f"Public columns only, newest first. Showing {len(view.rows.frame):,} of "
                f"{published.headline} {published.record_unit}. {view.withheld_note}"
            )
            widgets.table(view.rows, height=320)
    refusal = gate.records_refusal(city, filters, settings.SITE, published)
    if refusal:
        st.info(refusal)
        return
    widgets.download_later(
        "Download these records (CSV + notes)",
        lambda: gate.records_file(city, filters, settings.SITE),
        gate.records_file_name(city, filters),
        key="records_download",
    )
