"""The data page's account of one source: how it is counted, how clean it is, what no recode knew."""

from __future__ import annotations

import streamlit as st

import query
from query.quality import source_quality
from ui.widgets import md_escape


def render_quality(source: query.SourceProvenance) -> None:
    if source.manifest is None:
        return
    quality = source_quality(source.manifest)
    with st.expander(f"How these {quality.unit_plural} are counted, and how clean the data is"):
        st.markdown(
            "\n".join(f"- {md_escape(rule)}" for rule in quality.rules) or "No counting rules recorded."
        )
        st.caption(md_escape(quality.verified))
        if quality.figures:
            st.markdown(md_escape(" ".join(quality.figures)))
        for line in quality.changes:
            st.caption(md_escape(line))
        if not quality.unmapped.empty:
            st.caption("Published values no recode table knew; they are shown as published:")
            st.dataframe(quality.unmapped, hide_index=True, width="stretch")
