"""Entry point: page navigation and the shared filters bound to the URL. No data logic here.

Run with `streamlit run dashboard.py` (or `make run`). On a fresh clone the synthetic Demo City is
built on first start through the real pipeline; visitors never trigger calls to a data portal.
"""

from __future__ import annotations

import gc
from pathlib import Path

import streamlit as st

from loaders.bootstrap import ensure_demo
from query import gate, i18n
from query.i18n import _
from ui import filters, language, session, style
from ui.frame import leave_folder_mode

# A local image: a `:material/…` or emoji page icon makes every visitor's browser fetch a font or
# an image from a CDN, and no page may make a request to any other origin.
leave_folder_mode()  # before anything is drawn: see ui/frame.py
language.set_language_from_link()  # every word below, the page titles included, is in the link's language

PAGE_ICON = Path(__file__).resolve().parent / "ui" / "assets" / "page_icon.png"
st.set_page_config(page_title=_("Policing data dashboard"), page_icon=str(PAGE_ICON), layout="wide")
style.apply()


@st.cache_resource(show_spinner=False)
def _demo_ready(root: str) -> bool:
    """Build the demo city once per process if its snapshots are missing (no network involved)."""
    ensure_demo(root)
    return True


@st.cache_resource
def _freeze_startup_objects() -> bool:
    """Move the objects made by imports and start-up out of the collector's way, once per process.

    Streamlit runs a full garbage collection after every page view; without this it walks the
    hundred thousand objects the libraries created at import, every time.
    """
    gc.collect()
    gc.freeze()
    return True


store_state = session.pin_snapshot_root()  # an s3:// store: this run reads one local copy
if store_state is None:
    # a folder store; a replica never builds data itself. The spinner (a timer thread) once per session.
    if st.session_state.get("_demo_ready"):
        _demo_ready(str(session.cache_root()))
    else:
        with st.spinner(_("Building Demo City (synthetic data) for the first time…")):
            st.session_state["_demo_ready"] = _demo_ready(str(session.cache_root()))
_freeze_startup_objects()


def _kind_page(schema: gate.KindSchema) -> st.Page:
    script = f"pages/{schema.page_path}.py"
    icon = f":material/{schema.page_icon}:"
    return st.Page(script, title=i18n.term(schema.page_title), icon=icon, url_path=schema.page_path)


# Kind pages come from the one definition of each kind in store/schema.py (through the gate).
# One flat list, in reading order: Streamlit draws navigation sections as <div>s inside its <ul>,
# which screen readers announce as a broken list (axe-core's list and listitem rules).
PAGES = [
    st.Page(
        "pages/overview.py",
        title=_("Overview"),
        icon=":material/dashboard:",
        url_path="home",
        default=True,
    ),
    # The default page is served at "/"; this hidden twin keeps shared links to /overview working.
    st.Page("pages/overview.py", title=_("Overview"), url_path="overview", visibility="hidden"),
    *[_kind_page(schema) for schema in gate.SCHEMAS.values()],
    st.Page(
        "pages/neighborhood.py",
        title=_("Neighborhood brief"),
        icon=":material/location_on:",
        url_path="neighborhood",
    ),
    st.Page(
        "pages/initiative.py",
        title=_("Did it make a difference?"),
        icon=":material/compare_arrows:",
        url_path="initiative",
    ),
    st.Page("pages/data.py", title=_("Data & downloads"), icon=":material/download:", url_path="data"),
    st.Page("pages/about.py", title=_("About & methodology"), icon=":material/info:", url_path="about"),
]

page = st.navigation(PAGES)
switch_at = language.switch_place()
session.store_notice(store_state)
cities = session.city_ids()  # read once per view: the city index is a file
fallback = session.default_city(cities)
city_id = st.query_params.get("city") or fallback
city_id = city_id if city_id in cities else fallback
if page.url_path in filters.PAGES_WITHOUT_FILTERS:
    st.session_state["selection"] = filters.without_filters(city_id)
else:
    st.session_state["selection"] = filters.sidebar(
        session.open_current(city_id),
        cities,
        fallback,
        filters.KIND_BY_PAGE.get(page.url_path),
        is_one_place=page.url_path in filters.PAGES_OF_ONE_PLACE,
    )
language.switch(switch_at, page, st.session_state["selection"])  # with the filters' values in its words
page.run()
