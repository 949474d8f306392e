"""How a page's headline figure was counted, and a link asking the publisher for the same count."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from query import gate
from query.gate import CityData
from query.i18n import _
from ui.widgets import md_escape


def render_how_counted(city: CityData, filters: gate.Filters) -> None:
    # Filled only once opened, like the charts' tables: its code blocks load and run the browser's
    # syntax highlighter, about half a second on a phone for a section most visitors never open.
    how = st.expander(
        _("How this figure was counted, and check it at the source"),
        key=f"how_counted_{filters.kind}",
        on_change="rerun",
    )
    if not how.open:
        return
    with how:
        st.markdown(
            _("Selection in words: {selection}.").format(
                selection=md_escape(filters.describe(city.neighborhood_names, max_listed=None))
            )
        )
        st.caption(_("The same count as a query over this site's snapshot:"))
        st.code(gate.snapshot_query(filters), language="sql", wrap_lines=True)
        pin = gate.pin_for(city)
        params = {k: st.query_params.get_all(k) for k in st.query_params if k != "as_of"}
        st.caption(_("A link that keeps these exact figures, even after the data are refreshed:"))
        st.code("?" + urlencode({**params, "as_of": pin}, doseq=True), language=None, wrap_lines=True)
        for check in gate.source_checks(city, filters):
            st.markdown(f"**{md_escape(check.source_title)}**: {md_escape(check.explanation)}")
            if check.url:
                st.code(check.url, language=None, wrap_lines=True)
                st.link_button(_("Ask the publisher's API (opens their site)"), check.url)
