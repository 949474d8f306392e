"""The overview page: each kind's headline figure and trend, the highest rates, and feed freshness."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from query import gate
from query.gate import CityData
from ui import charts, session, settings, widgets
from ui.filters import Selection

PAGE_FOR_KIND = {k: f"pages/{s.page_path.replace('-', '_')}.py" for k, s in gate.SCHEMAS.items()}


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    if city is None:
        st.title("Policing data dashboard")
        st.info("No data has been published yet. Run `python -m loaders refresh` to fetch the feeds.")
        return
    st.title(f"{widgets.md_escape(city.name)}: policing at a glance")
    widgets.synthetic_notice(city)
    widgets.freshness_banner(city, city.kinds_with_data())
    # No dates chosen: each kind's own latest 12 complete months (the query side picks them).
    chosen = (None, None) if selection.default_windows else (selection.date_from, selection.date_to)
    kinds = session.overview(city.city_id, city.snapshot_key, *chosen)
    columns = st.columns(len(kinds))
    for column, (view, headline, top) in zip(columns, kinds):
        with column:
            _kind_card(city, selection, view, headline, top)
    _freshness_table(city)
    widgets.provenance_footer(city, city.kinds_with_data())


def _kind_card(city: CityData, selection: Selection, view, headline: str, top: gate.PublishedTable) -> None:
    st.header(view.title)
    if not view.has_data:
        st.caption("No data published for this city.")
        return
    figures, totals = view.key_figures, view.totals
    delta = (
        None
        if figures.change_vs_year_before_pct is None
        else f"{figures.change_vs_year_before_pct:+.0f}% vs a year before"
    )
    widgets.figure(totals.record_unit.capitalize(), headline, delta=delta)
    dated = selection.filters(view.kind)
    filters = gate.Filters.make(view.kind, dated.date_from, dated.date_to)
    published = session.page(city.city_id, city.snapshot_key, filters)
    widgets.chart_with_table(
        charts.trend(published.trend, totals.record_unit),
        published.trend,
        f"{widgets.md_escape(filters.describe(city.neighborhood_names))}: {totals.record_unit} per month. "
        f"{widgets.format_change(figures.change_vs_previous_pct, 'the period before').capitalize()}.",
        key=f"overview_trend_{view.kind}",
        download_file=lambda: gate.table_file(city, filters, published.trend, settings.SITE),
    )
    if len(top.frame):
        label = widgets.md_escape(city.index.neighborhood_label.lower())
        st.markdown(
            f"Highest rates per 1,000 residents per year, by {label} (rates from fewer than 20 records left out):"
        )
        widgets.table(
            top.renamed(
                {
                    "name": widgets.plain(city.index.neighborhood_label),
                    "count": totals.record_unit.capitalize(),
                    "rate_per_1000": "Per 1,000 residents",
                }
            )
        )
    st.page_link(
        PAGE_FOR_KIND[view.kind],
        label=f"More on {view.title.lower()}",
        icon=":material/arrow_forward:",
        query_params={key: st.query_params.get_all(key) for key in st.query_params},
    )


def _freshness_table(city: CityData) -> None:
    st.header("How fresh is each feed?")
    now = datetime.now(UTC)
    rows = []
    for source in session.provenance(city.city_id, city.snapshot_key):
        fresh = gate.freshness(source.manifest, now, attempt=source.last_attempt)
        status = (
            "last refresh failed"
            if fresh.is_failed
            else "stale"
            if fresh.is_stale and not source.is_synthetic
            else "ok"
        )
        rows.append(
            {
                "Feed": source.title,
                "Publisher": source.publisher,
                "Records": source.row_count,
                "As of": fresh.as_of,
                "Status": status,
            }
        )
    widgets.table(gate.plain_table(pd.DataFrame(rows), "feed freshness"))
