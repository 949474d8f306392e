"""The data page's account of one source: how it is counted, how clean it is, what no recode knew."""

from __future__ import annotations

import streamlit as st

from query import gate
from query.i18n import _, term
from ui import settings, widgets
from ui.widgets import md_escape


def render_quality(source: gate.SourceProvenance, *, key: str) -> None:
    """An expander saying how the source is counted and how clean it is, built only when opened."""
    if source.manifest is None:
        return
    unit = gate.unit_plural(source.manifest, source.manifest.kind)
    account = st.expander(
        _("How these {unit} are counted, and how clean the data is").format(unit=term(unit)),
        key=key,
        on_change="rerun",
    )
    if not account.open:
        return
    quality = gate.source_quality(source.manifest, settings.SITE)  # its tables, only once asked for
    with account:
        st.markdown(
            "\n".join(f"- {md_escape(rule)}" for rule in quality.rules) or _("No counting rules recorded.")
        )
        st.caption(md_escape(quality.verified))
        if quality.figures:
            st.markdown(md_escape(" ".join(quality.figures)))
        for line in quality.changes:
            st.caption(md_escape(line))
        if len(quality.unmapped.frame):
            st.caption(_("Published values no recode table knew; they are shown as published:"))
            widgets.table(quality.unmapped)
