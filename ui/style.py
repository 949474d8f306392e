"""The site's look on every page: contrast, a visible focus ring, a phone's tap targets (the CSS is
`ui/assets/site.css`, handed over by ui/widgets.py), and whether the visitor is on a phone.

Headings are drawn with `anchor=False`: the link icon Streamlit puts beside each shows only on hover
(which a finger does not have) and is one more element per heading for a phone to draw.
"""

from __future__ import annotations

import streamlit as st

from ui import widgets


def apply() -> None:
    """Add the stylesheet to this run's page (once per run, before anything visible)."""
    widgets.stylesheet()


def is_phone() -> bool:
    """Whether this visitor's browser says it is a phone ("Mobi" in its user agent, as every mobile
    browser's does): a phone gets the map only when asked, as a picture its finger scrolls past."""
    agent = st.context.headers.get("User-Agent") or ""
    return "Mobi" in agent
