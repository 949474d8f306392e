"""Small Streamlit pieces every page uses: banners, provenance, a chart with its table and download."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import query
from query.db import CityData
from ui import charts, session

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$])")


def md_escape(text: str) -> str:
    """Data-derived text made inert in Markdown: no links, images, emphasis or math from a feed's values."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def synthetic_notice(city: CityData) -> None:
    if city.index.is_synthetic:
        st.info(
            f"**{city.name}** is a synthetic demonstration city. Its records are generated, not real, "
            "and describe no real people or places.",
            icon=":material/science:",
        )


def freshness_banner(city: CityData, kinds: tuple[str, ...]) -> None:
    """Warn when a feed's newest refresh failed or its snapshot is old, with the as-of date."""
    now = datetime.now(UTC)
    for source in session.provenance(city.city_id, city.snapshot_key):
        if source.kind not in kinds:
            continue
        fresh = query.freshness(source.manifest, now, attempt=source.last_attempt)
        if fresh.is_failed:
            st.warning(
                f"The latest refresh of **{source.title}** failed. Figures show the last good copy ({fresh.as_of}).",
                icon=":material/sync_problem:",
            )
        elif fresh.is_stale and not source.is_synthetic:
            st.warning(
                f"**{source.title}** has not been refreshed recently ({fresh.as_of}).",
                icon=":material/schedule:",
            )


def provenance_footer(city: CityData, kinds: tuple[str, ...]) -> None:
    """Where the figures on this page come from, as of when, under what licence."""
    lines = []
    for source in session.provenance(city.city_id, city.snapshot_key):
        if source.kind not in kinds:
            continue
        fresh = query.freshness(source.manifest, datetime.now(UTC), attempt=source.last_attempt)
        link = (
            f"[{source.title}]({source.landing_page})"
            if source.landing_page.startswith("http")
            else source.title
        )
        lines.append(
            f"- {link}, {source.publisher}. {source.row_count:,} records; {fresh.as_of}. Licence: {source.licence}."
        )
    if lines:
        st.divider()
        st.caption(
            "**Sources**\n" + "\n".join(lines) + "\n\nMore on the *Data & downloads* and *About* pages."
        )


def chart_with_table(
    fig: go.Figure,
    table: pd.DataFrame,
    caption: str,
    *,
    key: str,
    download: Callable[[], query.ExportFile] | None = None,
    on_select=None,
) -> object:
    """A chart, the sentence saying what it shows, and the same numbers as a table and a download."""
    event = st.plotly_chart(
        fig,
        key=f"chart_{key}",
        config=charts.CONFIG,
        on_select=on_select or "ignore",
        selection_mode="points",
        theme=None,
    )
    st.caption(caption)
    # The table is built only once a reader opens it: most views never do, and it costs a table's
    # conversion and a download button on every one of them.
    numbers = st.expander("Show the numbers as a table", key=f"table_{key}", on_change="rerun")
    if numbers.open:
        with numbers:
            st.dataframe(table, hide_index=True, width="stretch")
            if download is not None:
                bundle = download()  # a small table: cheap, and its name says what it holds
                st.download_button(
                    "Download this table (CSV + notes)",
                    data=bundle.data,
                    file_name=bundle.file_name,
                    mime=bundle.mime,
                    on_click="ignore",
                    key=f"{key}_download",
                    icon=":material/download:",
                )
    return event


def format_change(pct: float | None, against: str) -> str:
    if pct is None:
        return f"no comparison with {against}"
    if abs(pct) < 0.5:
        return f"about the same as {against}"
    return f"{abs(pct):.0f}% {'more' if pct > 0 else 'fewer'} than {against}"
