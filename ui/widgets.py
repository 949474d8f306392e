"""Small Streamlit pieces every page uses: banners, provenance, a chart with its table and download.

This is the only module that hands values to Streamlit's publishing elements (st.dataframe,
st.download_button, st.plotly_chart), and each of those functions accepts only what the
disclosure gate issued (a PublishedTable, an ExportFile, a figure charts.py built from a
PublishedTable); tests/test_gate_only.py checks both.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from query import gate, i18n
from query.gate import CityData
from query.i18n import _
from ui import charts, session

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&\"'])")
# NUL and the bidirectional controls that can make text read differently from what it is
# ("Trojan Source"); a feed or a link has no business sending them to a page.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_SHOWN_CHARS = 200
# One script, the same in every language (so one CSP hash allows it): it copies the language of
# the words on the page onto <html lang>, which Streamlit's index.html fixes at "en".
PAGE_LANG_SCRIPT = (
    "<script>document.documentElement.lang="
    "document.querySelector('[data-page-lang]').getAttribute('data-page-lang');</script>"
)
_ASSETS = Path(__file__).resolve().parent / "assets"
# Also constant: the keyboard's way into the filters' popover (see the file).
PAGE_SCRIPTS = PAGE_LANG_SCRIPT + "<script>" + (_ASSETS / "popover_focus.js").read_text() + "</script>"
_NUMBER = ' class="number"'  # right-aligned, as numbers are read
STYLESHEET = _ASSETS / "site.css"


def plain(text: object, max_chars: int = MAX_SHOWN_CHARS) -> str:
    """Feed or link text for display: control and direction characters removed, long values cut."""
    cleaned = _INVISIBLE.sub("", str(text))
    return cleaned if len(cleaned) <= max_chars else cleaned[: max_chars - 1] + "…"


def md_escape(text: object, max_chars: int = 2_000) -> str:
    """Data-derived text made inert in Markdown: no links, images, emphasis, directives or math."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain(text, max_chars)).replace("\n", " ")


def stylesheet() -> None:
    """The site's constant stylesheet (CSS only, never data). Streamlit has no custom CSS setting;
    `st.html` puts a style-only block in the page without taking any space."""
    st.html(STYLESHEET)


def synthetic_notice(city: CityData) -> None:
    pin_notice(city)
    if city.index.is_synthetic:
        st.info(
            _(
                "**{city}** is a synthetic demonstration city. Its records are generated, not "
                "real, and describe no real people or places."
            ).format(city=md_escape(city.name)),
            icon=":material/science:",
        )


def pin_notice(city: CityData) -> None:
    """A pinned link shows the figures of its time; say so, and say when a pin has expired."""
    if not city.as_of:
        return
    when = gate.pin_words(city.as_of)
    if city.expired_pins:
        st.warning(
            _(
                "This link was pinned to the data of {when}, which is no longer kept for "
                "{sources}: those figures are today's."
            ).format(when=when, sources=md_escape(", ".join(city.expired_pins)))
        )
    st.info(
        _(
            "Pinned view: the figures as published up to {when}. Remove as_of from the link for today's."
        ).format(when=when)
    )


def freshness_banner(city: CityData, kinds: tuple[str, ...]) -> None:
    """Warn when a feed's newest refresh failed or its snapshot is old, with the as-of date."""
    now = datetime.now(UTC)
    for source in session.provenance(city.city_id, city.snapshot_key):
        if source.kind not in kinds:
            continue
        fresh = gate.freshness(source.manifest, now, attempt=source.last_attempt)
        title = md_escape(source.title)
        if fresh.is_failed:
            st.warning(
                _(
                    "The latest refresh of **{title}** failed. Figures show the last good copy ({as_of})."
                ).format(title=title, as_of=md_escape(fresh.as_of)),
                icon=":material/sync_problem:",
            )
        elif fresh.is_stale and not source.is_synthetic:
            st.warning(
                _("**{title}** has not been refreshed recently ({as_of}).").format(
                    title=title, as_of=md_escape(fresh.as_of)
                ),
                icon=":material/schedule:",
            )


def provenance_footer(city: CityData, kinds: tuple[str, ...]) -> None:
    """Where the figures on this page come from, as of when, under what licence."""
    lines = []
    for source in session.provenance(city.city_id, city.snapshot_key):
        if source.kind not in kinds:
            continue
        fresh = gate.freshness(source.manifest, datetime.now(UTC), attempt=source.last_attempt)
        title = md_escape(source.title)
        # The link target comes from the catalogue; only plain https/http addresses become links.
        link = f"[{title}](<{source.landing_page}>)" if _is_plain_url(source.landing_page) else title
        records = i18n.ngettext("{n} record", "{n} records", source.row_count).format(
            n=i18n.number(source.row_count)
        )
        lines.append(
            "- "
            + _("{link}, {publisher}. {records}; {as_of}. Licence: {licence}.").format(
                link=link,
                publisher=md_escape(source.publisher),
                records=records,
                as_of=md_escape(fresh.as_of),
                licence=md_escape(source.licence),
            )
        )
    if lines:
        st.caption(  # the rule above it in the same element: one element fewer on every page
            "---\n\n**"
            + _("Sources")
            + "**\n"
            + "\n".join(lines)
            + "\n\n"
            + _("More on the “Data & downloads” and “About” pages.")
        )


_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]+)?(/[A-Za-z0-9._~%/\-]*)?(\?[A-Za-z0-9._~%=&\-]*)?")


def _is_plain_url(text: str) -> bool:
    return bool(_PLAIN_URL.fullmatch(text or ""))


def table(published: gate.PublishedTable, **options) -> None:
    """A table the gate issued (nothing else can reach st.dataframe)."""
    if not isinstance(published, gate.PublishedTable):
        raise TypeError("only a PublishedTable can be shown as a table")
    st.dataframe(published.frame.rename(columns=i18n.header), hide_index=True, width="stretch", **options)


def short_table(published: gate.PublishedTable) -> None:
    """A few rows the gate issued, as a plain HTML table: a screen reader reads it as a table, and the
    browser loads no data grid and no Arrow decoder for it (their code costs a phone most of a second).

    It is written as HTML, not Markdown: the browser's Markdown parser cost the data page's tables
    about 0.15 s, and the HTML element's code is on every page already (the stylesheet). Every header and
    value is escaped to literal text; Streamlit's sanitizer then removes anything but markup."""
    if not isinstance(published, gate.PublishedTable):
        raise TypeError("only a PublishedTable can be shown as a table")
    frame = published.frame.rename(columns=i18n.header)
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    head = "".join(
        f'<th scope="col"{_NUMBER if n else ""}>{html.escape(plain(c))}</th>'
        for c, n in zip(frame.columns, numeric, strict=True)
    )
    body = "".join(
        "<tr>" + "".join(_html_cell(v, n) for v, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    st.html(f'<table class="short-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def _html_cell(value: object, is_number: bool) -> str:
    return f"<td{_NUMBER if is_number else ''}>{html.escape(_literal_cell(value))}</td>"


def _literal_cell(value: object) -> str:
    """A cell's text; numbers written in the reader's language (a rate to one decimal)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return i18n.number(value)
    if isinstance(value, numbers.Real):
        return "" if math.isnan(value) else i18n.number(value, 1)
    return "" if value is None else plain(value)


def download(label: str, file: gate.ExportFile, *, key: str) -> None:
    """A download of a file the gate built."""
    if not isinstance(file, gate.ExportFile):
        raise TypeError("only an ExportFile from query.gate can be downloaded")
    st.download_button(
        md_escape(label),
        data=file.data,
        file_name=file.file_name,
        mime=file.mime,
        on_click="ignore",
        key=key,
        icon=":material/download:",
    )


def download_later(label: str, make: Callable[[], gate.ExportFile], file_name: str, *, key: str) -> None:
    """A download whose file the gate builds only when it is clicked (a records file can be large)."""

    lang = i18n.language()  # the callable may run on another thread, after this run has ended

    def data() -> bytes:
        with i18n.using(lang):
            file = make()
        if not isinstance(file, gate.ExportFile):
            raise TypeError("only an ExportFile from query.gate can be downloaded")
        return file.data

    st.download_button(
        md_escape(label),
        data=data,
        file_name=file_name,
        mime="application/zip",
        on_click="ignore",
        key=key,
        icon=":material/download:",
    )


def figure(label: str, value: str, *, delta: str | None = None) -> None:
    """A headline number, already worded by the gate (a count, or why it is hidden), as one line of
    text: a metric card loads its own code and number formatter in a phone's browser."""
    line = f"{md_escape(label)}: **{md_escape(value)}**"
    st.markdown(line + (f" ({md_escape(delta)})" if delta else ""))


def plot(fig: charts.Chart, *, key: str, on_select=None, static: bool = False) -> object:
    """A figure charts.py built from a PublishedTable (tests/test_gate_only.py checks every call).

    `static` draws a picture that takes no touches, so a finger on it scrolls the page."""
    return st.plotly_chart(
        fig,
        key=key,
        config=charts.STATIC_CONFIG if static else charts.CONFIG,
        on_select=on_select or "ignore",
        selection_mode="points",
        theme=None,
    )


def chart_with_table(
    fig: charts.Chart,
    published: gate.PublishedTable,
    caption: str,
    *,
    key: str,
    download_file: Callable[[], gate.ExportFile] | None = None,
    on_select=None,
    static: bool = False,
) -> object:
    """A chart, the sentence saying what it shows, and the same numbers as a table and a download."""
    event = plot(fig, key=f"chart_{key}", on_select=on_select, static=static)
    st.caption(caption)
    # The table is built only once a reader opens it: most views never do, and it costs a table's
    # conversion and a download button on every one of them.
    numbers = st.expander(_("Show the numbers as a table"), key=f"table_{key}", on_change="rerun")
    if numbers.open:
        with numbers:
            table(published)
            if download_file is not None:
                download(_("Download this table (CSV + notes)"), download_file(), key=f"{key}_download")
    return event


def format_change(pct: float | None, against: str) -> str:
    if pct is None:
        return _("no comparison with {against}").format(against=against)
    if abs(pct) < 0.5:
        return _("about the same as {against}").format(against=against)
    size = i18n.percent(abs(pct) / 100)
    if pct > 0:
        return _("{percent} more than {against}").format(percent=size, against=against)
    return _("{percent} fewer than {against}").format(percent=size, against=against)


def page_language(where) -> None:
    """Say the page's language on <html lang>: screen readers pick their voice from it."""
    code = i18n.language()  # one of i18n.LANGUAGES, never text from the link
    where.html(f'<span data-page-lang="{code}"></span>' + PAGE_SCRIPTS, unsafe_allow_javascript=True)
