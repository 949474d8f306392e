"""The page's language: read from the link before any word is drawn, and a link to this view in the other one.

The link is drawn after the filters, at the top of the sidebar, so it can carry their values in the
other language's words: a bound widget puts its labels in the link, and a Spanish page reading
English labels would hold the choice but lose it from its own address bar.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from query import i18n
from ui import filters, widgets

LANG_KEY = "lang"
LANGUAGE_MEMORY = "_language"  # session state, not a widget: the language chosen last
# Each offer in its own language: it is read by someone who does not read the page's.
SWITCH_WORDS = {"es": "Ver en español", "en": "View in English"}


def set_language_from_link() -> str:
    """This run's language: the link's `lang`, else the one this visitor chose before (moving to
    another page drops `lang` from the link), else English. Decided before any word is drawn."""
    language = i18n.set_language(st.query_params.get(LANG_KEY) or st.session_state.get(LANGUAGE_MEMORY))
    st.session_state[LANGUAGE_MEMORY] = language
    return language


def switch_place() -> DeltaGenerator:
    """Keep `lang` in the address bar, say the page's language on <html lang>, and return the place at
    the top of the sidebar where `switch` draws the link once the filters are drawn."""
    # Written by the script each run, or Streamlit leaves `lang` out of the address bar after a move
    # to another page or a click on this link (it keeps the parameters of widgets and the script's).
    if i18n.language() == i18n.DEFAULT_LANGUAGE:
        st.query_params.pop(LANG_KEY, None)
    else:
        st.query_params[LANG_KEY] = i18n.language()
    place = st.sidebar.container()
    widgets.page_language(st.sidebar)
    return place


def switch(place: DeltaGenerator, page: st.Page, selection: filters.Selection) -> None:
    """A link to this same view in the other language.

    A link, not a toggle: the browser draws it with no widget code, it can be opened in a new tab
    or shared, and it carries every filter of the view (the filters are all in the link)."""
    other = next(code for code in i18n.LANGUAGES if code != i18n.language())
    place.page_link(
        page,
        label=SWITCH_WORDS[other],
        icon=":material/translate:",  # else the page's own icon
        query_params={**view_in(other, selection), LANG_KEY: other},
    )


def view_in(lang: str, selection: filters.Selection) -> dict[str, list[str]]:
    """This view's link parameters, with the values shown as words (counts or rates, categories,
    findings, who) in the words of `lang`."""
    view = {key: st.query_params.get_all(key) for key in st.query_params}
    measure = st.session_state.get("measure")
    with i18n.using(lang):
        if "measure" in view and measure in filters.MEASURES:
            view["measure"] = [filters.measure_words(measure)]
        for kind, picked in selection.by_kind.items():
            for field, key, vocabulary in filters.worded_filters(kind):
                if key in view and picked.get(field):
                    view[key] = [widgets.plain(i18n.term(v, vocabulary)) for v in picked[field]]
    return view
