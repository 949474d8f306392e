"""One page per kind of record (crime, complaints, use of force), drawn from query/'s aggregates.

Every number shown here comes from one `PageAggregates` value, so a chart, its table and its CSV
agree. Captions say in words what each chart shows, for which filter, in which unit.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

import query
from query.db import CityData
from ui import charts, session, settings, widgets
from ui.filters import Selection
from ui.source_check import render_how_counted

PAGE_TITLES = {"crime_incident": "Crime", "complaint": "Civilian complaints", "use_of_force": "Use of force"}
MAP_KEY = "chart_map"


def render(kind: str) -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(PAGE_TITLES[kind])
    if city is None or not city.has_data(kind):
        st.info("There is no data of this kind for this city yet.")
        return
    widgets.synthetic_notice(city)
    widgets.freshness_banner(city, (kind,))
    filters = selection.filters(kind)
    aggs = session.page_aggregates(city.city_id, city.snapshot_key, filters)
    figures = session.key_figures(city.city_id, city.snapshot_key, filters)
    description = widgets.md_escape(filters.describe(city.neighborhood_names))
    _headline(aggs, figures, description)
    render_how_counted(city, filters)
    for note in aggs.notes:
        st.caption(note)
    _trend_and_categories(city, aggs, description)
    _map_and_ranking(city, filters, aggs, selection.is_rate)
    if filters.has_person_columns:
        _demographics(city, aggs, description)
    _records(city, filters, aggs)
    widgets.provenance_footer(city, (kind,))


def _headline(aggs: query.PageAggregates, figures: query.KeyFigures, description: str) -> None:
    totals = aggs.totals
    shown = query.SUPPRESSED_LABEL if totals.records is None else f"{totals.records:,}"
    sentence = f"**{description}: {shown} {totals.record_unit}**"
    if figures.change_vs_year_before_pct is not None:
        sentence += f", {widgets.format_change(figures.change_vs_year_before_pct, 'a year before')}"
    st.container(key="headline").markdown(sentence + ".")
    cols = st.columns(3)
    cols[0].metric(totals.record_unit.capitalize(), shown)
    if totals.units is not None:
        cols[1].metric(str(totals.unit_label).capitalize(), f"{totals.units:,}")
    if figures.previous_count is not None and figures.change_vs_previous_pct is not None:
        cols[2].metric(
            "Change vs the period before",
            f"{figures.change_vs_previous_pct:+.0f}%",
            help=f"{figures.previous_count:,} {totals.record_unit} in {_window(figures.previous_window)}",
        )
    if figures.is_partial:
        st.caption("The chosen period reaches beyond the data available, so comparisons may understate.")


def _window(window) -> str:
    return f"{window[0]:%d %b %Y} – {window[1]:%d %b %Y}" if window else "the period before"


def _trend_and_categories(city: CityData, aggs: query.PageAggregates, description: str) -> None:
    unit = aggs.totals.record_unit
    left, right = st.columns(2)
    with left:
        st.subheader("Month by month")
        widgets.chart_with_table(
            charts.trend(aggs.trend, unit),
            aggs.trend,
            f"{description}: {unit} per month, by the month the event happened.",
            key="trend",
            download=lambda: query.table_bundle(city, aggs.filters, aggs.trend, "monthly"),
        )
    with right:
        words = query.CATEGORY_WORDS[aggs.filters.kind]
        st.subheader(f"By {words}")
        widgets.chart_with_table(
            charts.ranked_bars(aggs.by_category, unit, label="category", text="label"),
            aggs.by_category,
            f"{description}: {unit} by {words}.",
            key="categories",
            download=lambda: query.table_bundle(city, aggs.filters, aggs.by_category, "by category"),
        )
    if len(aggs.by_finding):
        st.subheader("By finding")
        widgets.chart_with_table(
            charts.ranked_bars(aggs.by_finding, unit, label="finding", text="label"),
            aggs.by_finding,
            f"{description}: {unit} by the outcome of the investigation.",
            key="findings",
            download=lambda: query.table_bundle(city, aggs.filters, aggs.by_finding, "by finding"),
        )


def _map_and_ranking(
    city: CityData, filters: query.Filters, aggs: query.PageAggregates, is_rate: bool
) -> None:
    label = city.index.neighborhood_label
    whole = replace(filters, neighborhood_ids=())  # the map shows every neighborhood, to click between
    if filters.neighborhood_ids:
        table = session.neighborhood_counts(city.city_id, city.snapshot_key, whole)
    else:
        table = aggs.by_neighborhood
    if is_rate and not table["population"].notna().any():
        st.info(
            f"{city.name} publishes no population per {label.lower()}, so rates per resident are not shown; these are counts."
        )
        is_rate = False
    unit = city.unit_plural(filters.kind)
    value, value_label = ("rate_per_1000", f"{unit} per 1,000 residents") if is_rate else ("count", unit)
    mapped = table[table["neighborhood_id"].notna()].rename(columns={"name": "neighborhood_name"})
    mapped = mapped.assign(
        display=mapped[value].map(lambda v: "<5" if pd.isna(v) else f"{v:,.1f}" if is_rate else f"{v:,.0f}")
    )
    st.subheader(f"By {label.lower()}")
    left, right = st.columns([3, 2])
    with left:
        if city.boundaries:
            widgets.chart_with_table(
                charts.choropleth(city.boundaries, mapped, value=value, value_label=value_label),
                table,
                f"{widgets.md_escape(whole.describe(city.neighborhood_names))}: {value_label} by {label.lower()}. "
                f"Click a {label.lower()} to filter every page to it.",
                key="map",
                on_select=_on_map_click,
                download=lambda: query.table_bundle(city, whole, table, f"by {label.lower()}"),
            )
    with right:
        ranked = mapped.dropna(subset=[value]).nlargest(15, value)
        st.plotly_chart(
            charts.ranked_bars(ranked, value_label, label="neighborhood_name", value=value, text="display"),
            config=charts.CONFIG,
            theme=None,
            key="ranking",
        )
        note = " Rates from fewer than 20 records are unstable: compare them with care." if is_rate else ""
        st.caption(f"The 15 {label.lower()}s with the most {value_label}.{note}")


def _on_map_click() -> None:
    """Turn a click on the map into the neighborhood filter (runs before the next rerun draws widgets)."""
    event = st.session_state.get(MAP_KEY)
    points = getattr(getattr(event, "selection", None), "points", None) or []
    picked = [p.get("location") for p in points if p.get("location")]
    if picked:
        st.session_state["hood"] = picked[:1]


def _demographics(city: CityData, aggs: query.PageAggregates, description: str) -> None:
    who = query.PERSON_PREFIX[aggs.filters.kind]
    unit = aggs.totals.record_unit
    st.subheader(f"Who the {unit} were about")
    race = aggs.by_race
    widgets.chart_with_table(
        charts.compare_shares(
            race,
            label="group",
            first="share",
            second="population_share",
            names=(f"share of {unit}", "share of residents"),
        ),
        race,
        f"{description}: {who} race or ethnicity as a share of {unit}, beside each group's share of residents.",
        key="race",
        download=lambda: query.table_bundle(
            city, aggs.filters, race, "by race", disclosure=settings.DISCLOSURE
        ),
    )
    left, right = st.columns(2)
    for column, table, words, key in (
        (left, aggs.by_sex, "sex", "sex"),
        (right, aggs.by_age_band, "age band", "age"),
    ):
        with column:
            widgets.chart_with_table(
                charts.ranked_bars(table, unit, label="group", text="label"),
                table,
                f"{description}: {unit} by {who} {words}.",
                key=key,
                download=lambda t=table, w=words: query.table_bundle(
                    city, aggs.filters, t, f"by {w}", disclosure=settings.DISCLOSURE
                ),
            )


def _records(city: CityData, filters: query.Filters, aggs: query.PageAggregates) -> None:
    st.subheader("The records")
    # Listing rows costs more than every chart together on a large feed, so it waits to be asked for.
    if st.toggle("Show the matching records", key="show_records"):
        rows = session.records_page(city.city_id, city.snapshot_key, filters, settings.TABLE_PREVIEW_ROWS)
        total = aggs.totals.records
        st.caption(
            f"Public columns only, newest first. Showing {len(rows):,} of "
            f"{'the matching' if total is None else f'{total:,}'} {aggs.totals.record_unit}."
        )
        st.dataframe(rows, hide_index=True, width="stretch", height=320)
    refusal = query.export_refusal(city, filters, settings.EXPORTS, matching=aggs.totals.records)
    if refusal:
        st.info(refusal)
        return
    st.download_button(
        "Download these records (CSV + notes)",
        data=lambda: query.records_bundle(city, filters, settings.EXPORTS).data,
        file_name=query.bundle_name(city, filters, "records"),
        mime="application/zip",
        on_click="ignore",
        icon=":material/download:",
        key="records_download",
    )
