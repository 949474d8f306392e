"""The overview page: each kind's headline figure and trend, the highest rates, and feed freshness."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from query import gate, i18n
from query.gate import CityData
from query.i18n import _
from ui import charts, session, settings, widgets
from ui.filters import Selection

PAGE_FOR_KIND = {k: f"pages/{s.page_path}.py" for k, s in gate.SCHEMAS.items()}


def render() -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    if city is None:
        st.title(_("Policing data dashboard"), anchor=False)
        st.info(_("No data has been published yet. Run `python -m loaders refresh` to fetch the feeds."))
        return
    st.title(_("{city}: policing at a glance").format(city=widgets.md_escape(city.name)), anchor=False)
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
    st.header(i18n.term(view.title), anchor=False)
    if not view.has_data:
        st.caption(_("No data published for this city."))
        return
    figures, totals = view.key_figures, view.totals
    delta = (
        None
        if figures.change_vs_year_before_pct is None
        else _("{change} vs a year before").format(
            change=i18n.signed_percent(figures.change_vs_year_before_pct)
        )
    )
    unit = i18n.term(totals.record_unit)
    widgets.figure(unit.capitalize(), headline, delta=delta)
    dated = selection.filters(view.kind)
    filters = gate.Filters.make(view.kind, dated.date_from, dated.date_to)
    published = session.page(city.city_id, city.snapshot_key, filters)
    change = widgets.format_change(figures.change_vs_previous_pct, _("the period before"))
    widgets.chart_with_table(
        charts.trend(published.trend, unit),
        published.trend,
        _("How many {unit} there were each month. {selection}.").format(
            selection=widgets.md_escape(filters.describe(city.neighborhood_names)), unit=unit
        )
        + f" {change[:1].upper()}{change[1:]}.",
        key=f"overview_trend_{view.kind}",
        download_file=lambda: gate.table_file(city, filters, published.trend, settings.SITE),
    )
    if len(top.frame):
        label = widgets.md_escape(city.index.neighborhood_label.lower())
        label = _("neighborhood") if label == "neighborhood" else label
        st.markdown(
            _(
                "Highest rates per 1,000 residents per year, by {area} (rates from fewer than 20 records left out):"
            ).format(area=label)
        )
        hood_label = widgets.plain(city.index.neighborhood_label)
        widgets.short_table(
            top.renamed(
                {
                    "name": _("Neighborhood") if hood_label == "Neighborhood" else hood_label,
                    "count": unit.capitalize(),
                    "rate_per_1000": _("Per 1,000 residents"),
                }
            )
        )
    st.page_link(
        PAGE_FOR_KIND[view.kind],
        label=_("More on {kind}").format(kind=i18n.term(view.title).lower()),
        icon=":material/arrow_forward:",
        query_params={key: st.query_params.get_all(key) for key in st.query_params},
    )


def _freshness_table(city: CityData) -> None:
    st.header(_("How fresh is each feed?"), anchor=False)
    now = datetime.now(UTC)
    rows = []
    for source in session.provenance(city.city_id, city.snapshot_key):
        fresh = gate.freshness(source.manifest, now, attempt=source.last_attempt)
        status = (
            _("last refresh failed")
            if fresh.is_failed
            else _("stale")
            if fresh.is_stale and not source.is_synthetic
            else _("ok")
        )
        rows.append(
            {
                _("Feed"): source.title,
                _("Publisher"): source.publisher,
                _("Records"): source.row_count,
                _("As of"): fresh.as_of,
                _("Status"): status,
            }
        )
    widgets.short_table(gate.plain_table(pd.DataFrame(rows), "feed freshness"))
