"""The shared sidebar filters, bound to the URL both ways, so every view is a link that reopens exactly.

The widgets live in the entry point (dashboard.py), so their values survive page switches. Each
widget's key is its URL parameter. Streamlit drops URL values that are not valid options; we look
at the URL first, so that a visitor who followed a stale link is told what was ignored, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import streamlit as st

from query import gate, i18n
from query.gate import CityData
from query.i18n import _
from ui import session, widgets

KIND_BY_PAGE = {s.page_path: k for k, s in gate.SCHEMAS.items()}
CATEGORY_KEY = {k: s.category_param for k, s in gate.SCHEMAS.items()}
# The link keeps these English values in every language (a shared link opens the same view); the
# switch shows them translated.
MEASURES = ("Counts", "Per 1,000 residents")
# Pages whose words no filter changes: they draw no filters (ui/about_page.py has no figures).
PAGES_WITHOUT_FILTERS = ("about",)
# Pages about one place: the top filter there chooses one neighborhood (`place` in the link), not
# several; the shared choice (`hood`) is kept for the other pages and gives this one its default.
PAGES_OF_ONE_PLACE = ("neighborhood",)
PLACE_KEY = "place"


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


def without_filters(city_id: str) -> Selection:
    """The selection of a page no filter changes, which draws none. The filters chosen stay in the
    visitor's session and come back, in the link too, on the next page that has them."""
    return Selection(city_id, None, None, (), {}, False)


def sidebar(
    city: CityData | None,
    city_ids: list[str],
    default_city: str,
    page_kind: str | None,
    is_one_place: bool = False,
) -> Selection:
    """Draw the filters and return the selection they hold: dates and neighborhoods behind a button at
    the top of the page (a phone reaches them without opening the sidebar), the rest in the sidebar."""
    bar = st.sidebar
    notices: list[str] = []
    city_id = default_city
    if len(city_ids) > 1:
        city_id = _select(bar, _("City"), city_ids, "city", default_city, notices)
    if city is None or city.city_id != city_id:
        return Selection(city_id, None, None, (), {}, False)
    bar.caption(_("Filters apply to every page and are kept in the link, so you can share this view."))
    date_from, date_to, hoods, windows = _place_and_dates(city, is_one_place, notices)
    by_kind = {}
    # Category and person filters narrow counted records, and only a kind page's map and ranking
    # switch to rates; a page of scores, or of every kind, has none of them.
    is_counted_kind = bool(page_kind and city.has_data(page_kind) and not gate.schema_for(page_kind).is_score)
    if is_counted_kind:
        by_kind[page_kind] = _more_filters(bar, city, page_kind, notices)
    measure = _measure(bar, notices) if is_counted_kind else st.session_state.get("measure")
    for notice in notices:
        bar.warning(notice, icon="⚠️")
    return Selection(city_id, date_from, date_to, tuple(hoods), by_kind, measure == MEASURES[1], windows)


def _place_and_dates(city: CityData, is_one_place: bool, notices: list[str]) -> tuple:
    """The dates and places, behind one button at the top of the page (a phone reaches them without
    opening the sidebar): a calendar pair and a multiselect drawn on every first view cost a text
    page a quarter of its time. The sentence beside the button says what they hold.
    Returns (date_from, date_to, neighborhood ids, each kind's default window when no date is chosen)."""
    names = dict(city.neighborhood_names)
    hood_ids = sorted(names, key=lambda i: names[i])
    label = city.index.neighborhood_label
    top = st.container(key="place_and_dates")
    button_at, place_at = top.columns([1, 2], vertical_alignment="bottom" if is_one_place else "center")
    panel = button_at.popover(
        _("Dates") if is_one_place else _("Dates and places"), icon=":material/tune:", width="stretch"
    )
    date_from, date_to = _dates(panel.columns(2), city, notices)
    if is_one_place:
        hoods = _one_place(place_at, label, hood_ids, names, notices)
    else:
        hoods = _multi(panel, _plural_label(label), hood_ids, "hood", notices, names.get)
    windows = {}
    if date_from is None and date_to is None:
        # An open link shows the latest year of data; choose dates to see more (the words say which).
        date_from, date_to = gate.latest_months(
            max((s[1] for s in city.coverage.values() if s), default=None)
        )
        windows = {k: gate.latest_months(span[1]) for k, span in city.coverage.items() if span}
    (top if is_one_place else place_at).caption(
        _chosen_words(None if is_one_place else tuple(hoods), names, windows, date_from, date_to)
    )
    return date_from, date_to, hoods, windows


def _more_filters(bar, city: CityData, kind: str, notices: list[str]) -> dict:
    """A kind's category, finding and who, behind a button in the sidebar with what they hold said
    under it: drawn open, their five boxes loaded before the first chart of every kind page."""
    panel = bar.popover(_("More filters"), icon=":material/filter_list:", width="stretch")
    picked = _kind_filters(panel, session.filter_options(city.city_id, city.snapshot_key, kind), notices)
    chosen = gate.Filters.make(kind, **picked).effective().choice_words()
    words = "; ".join(chosen)
    bar.caption(
        widgets.md_escape(words[:1].upper() + words[1:] + ".") if chosen else _("No other filter chosen.")
    )
    return picked


def _measure(bar, notices: list[str]) -> str | None:
    """Counts or rates, for the kind pages' map and ranking. Elsewhere it is not drawn (it would change
    nothing there), and the choice waits in the session for the next kind page."""
    adopted = _adopt_link_values("measure", list(MEASURES), measure_words)
    raw = st.query_params.get("measure")
    if raw and not adopted and "measure" not in st.session_state and raw not in map(measure_words, MEASURES):
        # Streamlit ignores a value its control does not offer without a word: say so, as for the others.
        notices.append(
            _("The link asked for {what} “{value}”, which is not available; showing {shown}.").format(
                what=_("counts or rates"), value=widgets.md_escape(raw[:40]), shown=measure_words(MEASURES[0])
            )
        )
    if adopted:
        st.session_state["measure"] = st.session_state["measure"][0]
    return bar.segmented_control(
        _("Show"),
        MEASURES,
        default=None if adopted else MEASURES[0],
        format_func=measure_words,
        key="measure",
        bind="query-params",
    )


def measure_words(measure: str) -> str:
    return {"Counts": _("Counts"), "Per 1,000 residents": _("Per 1,000 residents")}.get(measure, measure)


def _chosen_words(
    hoods: tuple[str, ...] | None, names: dict, windows: dict, date_from: date | None, date_to: date | None
) -> str:
    """What the dates and places behind the button hold, in a sentence (places left out where the
    page shows its one place itself)."""
    period = _default_words(windows, date_from, date_to) if windows else ""
    if hoods is None:
        return period or _("Showing {period}.").format(period=gate.period_words(date_from, date_to))
    area = widgets.md_escape(gate.area_words(hoods, names))  # the feed's place names, as text
    if period:
        return _("Showing {area}.").format(area=area) + " " + period
    return _("Showing {area}, {period}.").format(area=area, period=gate.period_words(date_from, date_to))


def _default_words(windows: dict, date_from: date, date_to: date) -> str:
    spans = {(f, t) for f, t in windows.values() if f}
    if len(spans) <= 1:
        return _("No dates chosen: showing the latest 12 months of data, {first} – {last}.").format(
            first=i18n.month_year(date_from), last=i18n.month_year(date_to)
        )
    listed = "; ".join(
        f"{i18n.term(gate.schema_for(k).title)}: {i18n.month_year(f)} – {i18n.month_year(t)}"
        for k, (f, t) in windows.items()
        if f
    )
    return _(
        "No dates chosen: each kind shows the latest 12 complete months of its own data ({listed})."
    ).format(listed=listed)


def worded_filters(kind: str) -> tuple[tuple[str, str, str], ...]:
    """A kind's filters whose link values are words of the page's language: (field of the selection,
    link key, vocabulary of its labels)."""
    category = (("categories", CATEGORY_KEY[kind], gate.schema_for(kind).category_column),)
    return category + (
        ("findings", "finding", "finding"),
        ("races", "race", "race"),
        ("sexes", "sex", "sex"),
        ("age_bands", "age", "age"),
    )


def _kind_filters(bar, options: gate.FilterOptions, notices: list[str]) -> dict:
    """The kind's category box, and its finding and who boxes where the kind has them."""
    is_offered = {"categories": True, "findings": bool(options.findings)}
    return {
        field: _multi(
            bar,
            _filter_label(field, options),
            list(getattr(options, field)),
            key,
            notices,
            _labeller(vocabulary),
        )
        for field, key, vocabulary in worded_filters(options.kind)
        if is_offered.get(field, bool(options.person_label))
    }


def _filter_label(field: str, options: gate.FilterOptions) -> str:
    if field == "categories":
        return i18n.term(options.category_label).capitalize()
    if field == "findings":
        return _("Finding")
    who = i18n.term(options.person_label)
    words = {"races": _("{who} race / ethnicity"), "sexes": _("{who} sex"), "age_bands": _("{who} age")}
    return words[field].format(who=who).capitalize()


def _labeller(vocabulary: str):
    """A canonical value as the reader's language shows it (the filter keeps the canonical value)."""
    return lambda value: i18n.term(value, vocabulary)


def _plural_label(label: str) -> str:
    """The city's name for its areas, in the plural ("Neighborhoods"; "Barrios" in Spanish)."""
    if i18n.language() == "en" or label.lower() != "neighborhood":
        return f"{label}s"
    return _("Neighborhoods")


def _dates(columns: tuple, city: CityData, notices: list[str]) -> tuple[date | None, date | None]:
    spans = [span for span in city.coverage.values() if span]
    low = min((s[0] for s in spans), default=None)
    high = max((s[1] for s in spans), default=None)
    picked = []
    for column, label, key in ((columns[0], _("From"), "from"), (columns[1], _("To"), "to")):
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
            _("The link's “{label}” date ({value}) is not a date (YYYY-MM-DD); it was ignored.").format(
                label=label, value=widgets.md_escape(raw[:40])
            )
        )
        return
    if (low and value < low) or (high and value > high):
        notices.append(
            _(
                "The link's “{label}” date {value} is outside the data ({low} to {high}); it was ignored."
            ).format(label=label, value=widgets.md_escape(raw), low=low, high=high)
        )


def _multi(bar, label: str, options: list[str], key: str, notices: list[str], format_func=None) -> list[str]:
    shown_as = format_func or str
    adopted = _adopt_link_values(key, options, shown_as)
    shown = [widgets.plain(shown_as(o)) for o in options]
    stale = [v for v in st.query_params.get_all(key) if v and v not in shown and v not in adopted]
    if stale:
        # Link values are anyone's text: shown literally (escaped, cut), never as Markdown.
        listed = ", ".join(f"“{widgets.md_escape(v[:40])}”" for v in stale[:5])
        notices.append(
            _("The link asked for {what} {listed}, which this data does not have; ignored.").format(
                what=widgets.md_escape(label.lower()), listed=listed
            )
        )
    return bar.multiselect(
        widgets.md_escape(label),
        options,
        key=key,
        bind="query-params",
        format_func=lambda o: widgets.plain(shown_as(o)),
        placeholder=_("All"),
    )


def _one_place(where, label: str, hood_ids: list[str], names: dict, notices: list[str]) -> list[str]:
    """One neighborhood, bound to `place`; by default the first of the shared choice (a `hood` link)."""
    if not hood_ids:
        return []
    shown = {widgets.plain(names[i]): i for i in hood_ids}
    raw = st.query_params.get(PLACE_KEY)
    if raw and raw not in shown:
        notices.append(
            _("The link asked for {what} {listed}, which this data does not have; ignored.").format(
                what=widgets.md_escape(label.lower()), listed=f"“{widgets.md_escape(raw[:40])}”"
            )
        )
    chosen = st.session_state.get("hood") or [shown[v] for v in st.query_params.get_all("hood") if v in shown]
    default = chosen[0] if chosen and chosen[0] in hood_ids else hood_ids[0]
    place = where.selectbox(
        widgets.md_escape(_("Neighborhood") if label == "Neighborhood" else label),
        hood_ids,
        index=hood_ids.index(default),
        key=PLACE_KEY,
        bind="query-params",
        format_func=lambda i: widgets.plain(names[i]),
    )
    return [place] if place else []


def _select(bar, label: str, options: list[str], key: str, default: str, notices: list[str]) -> str:
    raw = st.query_params.get(key)
    if raw and raw not in options:
        notices.append(
            _("The link asked for {what} “{value}”, which is not available; showing {shown}.").format(
                what=label.lower(), value=widgets.md_escape(raw[:40]), shown=widgets.md_escape(default)
            )
        )
    return bar.selectbox(label, options, index=options.index(default), key=key, bind="query-params")


def _adopt_link_values(key: str, options: list, label) -> set[str]:
    """A link made in the other language names values by that language's labels (bound widgets put
    their labels in the link): read them as the same options, so a shared link opens the same view."""
    if key in st.session_state:
        return set()
    raw = [v for v in st.query_params.get_all(key) if v]
    if not raw:
        return set()
    by_label = {}
    for lang in i18n.LANGUAGES:
        with i18n.using(lang):
            by_label.update({widgets.plain(label(o)): o for o in options})
    with i18n.using(i18n.language()):
        shown = {widgets.plain(label(o)) for o in options}
    if any(v not in shown for v in raw) and all(v in by_label for v in raw):
        st.session_state[key] = [by_label[v] for v in raw]
        return set(raw)
    return set()
