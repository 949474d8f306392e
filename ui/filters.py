"""The shared sidebar filters, bound to the URL both ways, so every view is a link that reopens exactly.

The widgets live in the entry point (dashboard.py), so their values survive page switches. Each
widget's key is its URL parameter. Streamlit drops URL values that are not valid options; we look
at the URL first, so that a visitor who followed a stale link is told what was ignored, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import streamlit as st

from query import gate
from query.gate import CityData
from ui import session, widgets

KIND_BY_PAGE = {s.page_path: k for k, s in gate.SCHEMAS.items()}
CATEGORY_KEY = {k: s.category_param for k, s in gate.SCHEMAS.items()}
MEASURES = ("Counts", "Per 1,000 residents")


@dataclass(frozen=True)
class Selection:
    """What the sidebar holds now: the city, the shared filters and the count/rate toggle."""

    city_id: str
    date_from: date | None
    date_to: date | None
    neighborhood_ids: tuple[str, ...]
    by_kind: dict
    is_rate: bool
    # With no dates chosen, each kind shows the latest 12 complete months of its own data, so a
    # feed that lags is never given a partial window beside the others' full ones.
    default_windows: dict = field(default_factory=dict)

    def filters(self, kind: str) -> gate.Filters:
        picked = self.by_kind.get(kind, {})
        date_from, date_to = self.default_windows.get(kind, (self.date_from, self.date_to))
        return gate.Filters.make(
            kind,
            date_from,
            date_to,
            neighborhood_ids=self.neighborhood_ids,
            categories=picked.get("categories"),
            findings=picked.get("findings"),
            races=picked.get("races"),
            sexes=picked.get("sexes"),
            age_bands=picked.get("age_bands"),
        )


def sidebar(
    city: CityData | None, city_ids: list[str], default_city: str, page_kind: str | None
) -> Selection:
    """Draw the filters and return the selection they hold: dates and neighborhoods at the top of the
    page (a phone shows them without opening the sidebar), the rest in the sidebar."""
    bar = st.sidebar
    notices: list[str] = []
    city_id = default_city
    if len(city_ids) > 1:
        city_id = _select(bar, "City", city_ids, "city", default_city, notices)
    if city is None or city.city_id != city_id:
        return Selection(city_id, None, None, (), {}, False)
    bar.caption("Filters apply to every page and are kept in the link, so you can share this view.")
    top = st.container(key="place_and_dates")
    when_from, when_to, where = top.columns([1, 1, 2])
    date_from, date_to = _dates((when_from, when_to), city, notices)
    windows = {}
    if date_from is None and date_to is None:
        # An open link shows the latest year of data; choose dates to see more (the words say which).
        date_from, date_to = gate.latest_months(
            max((s[1] for s in city.coverage.values() if s), default=None)
        )
        windows = {k: gate.latest_months(span[1]) for k, span in city.coverage.items() if span}
        if date_from:
            top.caption(_default_words(windows, date_from, date_to))
    names = dict(city.neighborhood_names)
    hood_ids = sorted(names, key=lambda i: names[i])
    label = city.index.neighborhood_label
    hoods = _multi(where, f"{label}s", hood_ids, "hood", notices, names.get)
    by_kind = {}
    if page_kind and city.has_data(page_kind):
        by_kind[page_kind] = _kind_filters(
            bar, session.filter_options(city.city_id, city.snapshot_key, page_kind), notices
        )
    measure = bar.segmented_control("Show", MEASURES, default=MEASURES[0], key="measure", bind="query-params")
    for notice in notices:
        bar.warning(notice, icon="⚠️")
    return Selection(city_id, date_from, date_to, tuple(hoods), by_kind, measure == MEASURES[1], windows)


def _default_words(windows: dict, date_from: date, date_to: date) -> str:
    spans = {(f, t) for f, t in windows.values() if f}
    if len(spans) <= 1:
        return f"No dates chosen: showing the latest 12 months of data, {date_from:%b %Y} – {date_to:%b %Y}."
    listed = "; ".join(
        f"{gate.schema_for(k).title}: {f:%b %Y} – {t:%b %Y}" for k, (f, t) in windows.items() if f
    )
    return f"No dates chosen: each kind shows the latest 12 complete months of its own data ({listed})."


def _kind_filters(bar, options: gate.FilterOptions, notices: list[str]) -> dict:
    kind = options.kind
    picked = {
        "categories": _multi(
            bar, options.category_label.capitalize(), list(options.categories), CATEGORY_KEY[kind], notices
        )
    }
    if options.findings:
        picked["findings"] = _multi(bar, "Finding", list(options.findings), "finding", notices)
    if options.person_label:
        who = options.person_label.capitalize()
        picked["races"] = _multi(bar, f"{who} race / ethnicity", list(options.races), "race", notices)
        picked["sexes"] = _multi(bar, f"{who} sex", list(options.sexes), "sex", notices)
        picked["age_bands"] = _multi(bar, f"{who} age", list(options.age_bands), "age", notices)
    return picked


def _dates(columns: tuple, city: CityData, notices: list[str]) -> tuple[date | None, date | None]:
    spans = [span for span in city.coverage.values() if span]
    low = min((s[0] for s in spans), default=None)
    high = max((s[1] for s in spans), default=None)
    picked = []
    for column, label, key in ((columns[0], "From", "from"), (columns[1], "To", "to")):
        _check_date(key, low, high, label, notices)
        picked.append(
            column.date_input(
                label,
                value=None,
                min_value=low,
                max_value=high,
                key=key,
                bind="query-params",
                format="YYYY-MM-DD",
            )
        )
    return picked[0], picked[1]


def _check_date(key: str, low: date | None, high: date | None, label: str, notices: list[str]) -> None:
    raw = st.query_params.get(key)
    if not raw:
        return
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        notices.append(
            f"The link's “{label}” date ({widgets.md_escape(raw[:40])}) is not a date (YYYY-MM-DD); it was ignored."
        )
        return
    if (low and value < low) or (high and value > high):
        notices.append(
            f"The link's “{label}” date {widgets.md_escape(raw)} is outside the data ({low} to {high}); it was ignored."
        )


def _multi(bar, label: str, options: list[str], key: str, notices: list[str], format_func=None) -> list[str]:
    shown_as = format_func or str
    shown = [widgets.plain(shown_as(o)) for o in options]
    stale = [v for v in st.query_params.get_all(key) if v and v not in shown]
    if stale:
        # Link values are anyone's text: shown literally (escaped, cut), never as Markdown.
        listed = ", ".join(f"“{widgets.md_escape(v[:40])}”" for v in stale[:5])
        notices.append(
            f"The link asked for {widgets.md_escape(label.lower())} {listed}, which this data does not have; ignored."
        )
    return bar.multiselect(
        widgets.md_escape(label),
        options,
        key=key,
        bind="query-params",
        format_func=lambda o: widgets.plain(shown_as(o)),
        placeholder="All",
    )


def _select(bar, label: str, options: list[str], key: str, default: str, notices: list[str]) -> str:
    raw = st.query_params.get(key)
    if raw and raw not in options:
        notices.append(
            f"The link asked for {label.lower()} “{widgets.md_escape(raw[:40])}”, which is not available; "
            f"showing {widgets.md_escape(default)}."
        )
    return bar.selectbox(label, options, index=options.index(default), key=key, bind="query-params")
