"""The site's stylesheet on every page: contrast, a visible focus ring, and a phone's tap targets.

Streamlit offers no custom CSS setting, so `ui/assets/site.css` (a constant file, never data) is
handed to `st.html`, which puts a style-only block in the page without taking any space.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

STYLESHEET = Path(__file__).resolve().parent / "assets" / "site.css"


def apply() -> None:
    """Add the stylesheet to this run's page (once per run, before anything visible)."""
    st.html(STYLESHEET)


def is_phone() -> bool:
    """Whether this visitor's browser says it is a phone ("Mobi" in its user agent, as every mobile
    browser's does): a phone gets the map only when asked, as a picture its finger scrolls past."""
    agent = st.context.headers.get("User-Agent") or ""
    return "Mobi" in agent
