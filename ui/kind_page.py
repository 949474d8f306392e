"""One page per kind of record (crime, complaints, use of force), drawn from what the disclosure gate issued.

Every number shown here comes from one `PublishedPage` (and the map's `PublishedTable`), so a chart,
its table and its CSV agree, and none of them can show what the deployment's policy hides.
Captions say in words what each chart shows, for which filter, in which unit.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from query import gate, i18n
from query.gate import CityData
from query.i18n import _
from ui import charts, map_chart, session, settings, style, widgets
from ui.filters import Selection
from ui.source_check import render_how_counted

MAP_KEY = "chart_map"


def render(kind: str) -> None:
    selection: Selection = st.session_state["selection"]
    city = session.open_current(selection.city_id)
    st.title(i18n.term(gate.schema_for(kind).page_title), anchor=False)
    if city is None or not city.has_data(kind):
        st.info(_("There is no data of this kind for this city yet."))
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
            _(
                "With a race, sex or age filter, only the breakdowns by who below are published, for a fixed "
                "year and area: monthly, category and neighborhood counts of people for any dates and places "
                "could be subtracted from each other to reveal a few people. See “About & methodology”."
            )
        )
    else:
        _trend_and_categories(city, published, description)
        _map_and_ranking(city, filters, selection.is_rate)
    if filters.has_person_columns:
        _demographics(city, published)
    _records(city, filters, published)
    widgets.provenance_footer(city, (kind,))


def _headline(published: gate.PublishedPage, description: str) -> None:
    """The count in a sentence, then the second unit and the change, in one block of text: a
    row of metric cards drew three more elements and their tooltip before the first chart."""
    figures = published.figures
    sentence = f"**{description}: {widgets.md_escape(published.headline_words)}**"
    if figures.change_vs_year_before_pct is not None:
        sentence += ", " + widgets.format_change(figures.change_vs_year_before_pct, _("a year before"))
    details = []
    if published.units_text is not None:
        details.append(f"**{published.units_text}** {i18n.term(str(published.unit_label))}")
    if figures.previous_count is not None and figures.change_vs_previous_pct is not None:
        details.append(
            _("change vs the period before: **{change}** ({count} {unit} in {window})").format(
                change=i18n.signed_percent(figures.change_vs_previous_pct),
                count=i18n.number(figures.previous_count),
                unit=i18n.term(published.record_unit),
                window=_window(figures.previous_window),
            )
        )
    if figures.is_partial:
        details.append(
            _("the chosen period reaches beyond the data available, so comparisons may understate")
        )
    st.container(key="headline").markdown(sentence + "." + _details(details))


def _details(details: list[str]) -> str:
    if not details:
        return ""
    joined = "; ".join(details)
    return "\n\n" + joined[:1].upper() + joined[1:] + "."


def _window(window) -> str:
    if not window:
        return _("the period before")
    return f"{i18n.day_month_year(window[0], padded=True)} – {i18n.day_month_year(window[1], padded=True)}"


def _table_download(city: CityData, filters: gate.Filters, table: gate.PublishedTable):
    return lambda: gate.table_file(city, filters, table, settings.SITE)


def _trend_and_categories(city: CityData, published: gate.PublishedPage, description: str) -> None:
    unit = i18n.term(published.record_unit)
    filters = published.filters
    left, right = st.columns(2)
    with left:
        st.header(_("Month by month"), anchor=False)
        widgets.chart_with_table(
            charts.trend(published.trend, unit),
            published.trend,
            _(
                "How many {unit} there were each month. Each one counts in the month it happened. {selection}."
            ).format(selection=description, unit=unit)
            + _partial_note(published.trend),
            key="trend",
            download_file=_table_download(city, filters, published.trend),
        )
    with right:
        words = i18n.term(gate.CATEGORY_WORDS[filters.kind])
        st.header(_("By {breakdown}").format(breakdown=words), anchor=False)
        widgets.chart_with_table(
            charts.ranked_bars(
                published.by_category,
                unit,
                label="category",
                text="label",
                vocabulary=gate.schema_for(filters.kind).category_column,
            ),
            published.by_category,
            _("How many {unit} there were of each {breakdown}. {selection}.").format(
                selection=description, unit=unit, breakdown=words
            ),
            key="categories",
            download_file=_table_download(city, filters, published.by_category),
        )
    if len(published.by_finding.frame):
        st.header(_("By finding"), anchor=False)
        widgets.chart_with_table(
            charts.ranked_bars(
                published.by_finding, unit, label="finding", text="label", vocabulary="finding"
            ),
            published.by_finding,
            _("How the investigations ended, counted in {unit}. {selection}.").format(
                selection=description, unit=unit
            ),
            key="findings",
            download_file=_table_download(city, filters, published.by_finding),
        )


def _partial_note(trend: gate.PublishedTable) -> str:
    frame = trend.frame
    if "is_partial_month" not in frame or not frame["is_partial_month"].any():
        return ""
    months = ", ".join(i18n.month_year(m) for m in frame.loc[frame["is_partial_month"].astype(bool), "month"])
    return " " + _("Partial month (only part of it is in the dates chosen or in the data): {months}.").format(
        months=months
    )


def _map_and_ranking(city: CityData, filters: gate.Filters, is_rate: bool) -> None:
    label = widgets.md_escape(city.index.neighborhood_label)
    whole = replace(filters, neighborhood_ids=())  # the map shows every neighborhood, to click between
    if is_rate and not city.neighborhoods["population"].notna().any():
        st.info(
            _(
                "{city} publishes no population per {area}, so rates per resident are not shown; these are counts."
            ).format(city=widgets.md_escape(city.name), area=_area(label))
        )
        is_rate = False
    table = session.map_table(
        city.city_id, city.snapshot_key, whole, is_rate
    )  # one map for every area choice
    unit = i18n.term(city.unit_plural(filters.kind))
    value_label = _("{unit} per 1,000 residents per year").format(unit=unit) if is_rate else unit
    area = _area(label)
    st.header(_("By {breakdown}").format(breakdown=area), anchor=False)
    left, right = st.columns([3, 2])
    with left:
        if city.boundaries:
            _map(city, whole, table, value_label, area)
    with right:
        note = (
            " "
            + _(
                "Rates from fewer than 20 records are unstable: they are left out of this ranking and marked"
                " (unstable) on the map."
            )
            if is_rate
            else ""
        )
        ranked = charts.top(gate.stable_rates(table) if is_rate else table, 15)
        # Its own table too: on a phone the map (and the map's table) waits to be asked for.
        widgets.chart_with_table(
            charts.ranked_bars(ranked, value_label, label="neighborhood_name", value="value", text="display"),
            ranked,
            _("The 15 {areas} with the most {unit}.").format(areas=_areas(label), unit=value_label) + note,
            key="ranking",
            download_file=_table_download(city, whole, ranked),
        )


def _map(
    city: CityData, whole: gate.Filters, table: gate.PublishedTable, value_label: str, area: str
) -> None:
    """The map; on a phone only when asked (it is the page's heaviest chart, and the ranking beside it
    gives the same order), and then as a picture the finger scrolls past: places are picked above."""
    phone = style.is_phone()
    if phone and not st.toggle(_("Show the map"), key="show_map"):
        return
    words = {
        "selection": widgets.md_escape(whole.describe(city.neighborhood_names)),
        "unit": value_label,
        "area": area,
    }
    if phone:
        caption = (
            _(
                "How many {unit} there were in each {area}: the darker the color, the more. A grey "
                "{area} is not shown; the table says why. {selection}."
            ).format(**words)
            + " "
            + _("Choose places with the filter at the top of the page.")
        )
    else:
        caption = _(
            "How many {unit} there were in each {area}: the darker the color, the more. A grey "
            "{area} is not shown; the table says why. Click a {area} to see only that one on every "
            "page. {selection}."
        ).format(**words)
    widgets.chart_with_table(
        map_chart.choropleth(city.boundaries, table, value="value", value_label=value_label),
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
    who = i18n.term(gate.PERSON_PREFIX[filters.kind])
    unit = i18n.term(published.record_unit)
    scope = widgets.md_escape(published.demographic_scope)
    st.header(_("Who the {unit} were about").format(unit=unit), anchor=False)
    st.caption(
        _(
            "Breakdowns by who cover {scope}, whatever the dates, places and other filters chosen: they are "
            "published only for whole calendar years and for one neighborhood or the whole city, so that two "
            "views cannot be subtracted to reveal a few people (see “About & methodology”)."
        ).format(scope=scope)
    )
    race = published.by_race
    widgets.chart_with_table(
        charts.compare_shares(
            race,
            label="group",
            first="share",
            second="population_share",
            names=(_("share of {unit}").format(unit=unit), _("share of residents")),
            vocabulary="race",
        ),
        race,
        _(
            "For {scope}: out of every 100 {unit}, how many were about a {who} of each race or ethnic group (blue), next to "
            "how many of every 100 residents belong to that group (orange)."
        ).format(scope=scope, who=who, unit=unit),
        key="race",
        download_file=_table_download(city, filters, race),
    )
    left, right = st.columns(2)
    for column, table, words, key in (
        (left, published.by_sex, _("How many {unit} there were for each sex of the {who}"), "sex"),
        (
            right,
            published.by_age_band,
            _("How many {unit} there were for each age group of the {who}"),
            "age",
        ),
    ):
        with column:
            widgets.chart_with_table(
                charts.ranked_bars(table, unit, label="group", text="label", vocabulary=key),
                table,
                words.format(unit=unit, who=who) + f" ({scope}).",
                key=key,
                download_file=_table_download(city, filters, table),
            )


def _records(city: CityData, filters: gate.Filters, published: gate.PublishedPage) -> None:
    st.header(_("The records"), anchor=False)
    # Listing rows costs more than every chart together on a large feed, so it waits to be asked for.
    if st.toggle(_("Show the matching records"), key="show_records"):
        view = session.records_view(city.city_id, city.snapshot_key, filters, settings.TABLE_PREVIEW_ROWS)
        if view.rows is None:
            st.info(view.refusal)
        else:
            st.caption(
                _("Public columns only, newest first. Showing {shown} of {total} {unit}.").format(
                    shown=i18n.number(len(view.rows.frame)),
                    total=published.headline,
                    unit=i18n.term(published.record_unit),
                )
                + f" {view.withheld_note}"
            )
            widgets.table(view.rows, height=320)
    refusal = gate.records_refusal(city, filters, settings.SITE, published)
    if refusal:
        st.info(refusal)
        return
    widgets.download_later(
        _("Download these records (CSV + notes)"),
        lambda: gate.records_file(city, filters, settings.SITE),
        gate.records_file_name(city, filters),
        key="records_download",
    )


def _area(label: str) -> str:
    """The city's word for one of its areas, lower case, in the reader's language."""
    return label.lower() if label.lower() != "neighborhood" else _("neighborhood")


def _areas(label: str) -> str:
    return f"{label.lower()}s" if label.lower() != "neighborhood" else _("neighborhoods")
