"""The brief as one file: self-contained HTML (inline styles, charts as inline SVG, no request to
any other address when opened) that prints on two pages, a CSV of every figure in it, and a
Frictionless `datapackage.json` describing that CSV, its sources and licences, zipped together.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import datetime

from query.i18n import _, day_month_year, number

FIGURE_FIELDS = (
    ("kind", "string", "Kind of record"),
    ("area", "string", "The neighborhood, or the whole city"),
    ("period", "string", "Dates the figure covers (local dates, inclusive)"),
    ("measure", "string", "What is counted or computed"),
    ("value", "string", "The figure as published (text where the small-numbers rule hides it)"),
    ("unit", "string", "The counting unit"),
)
STYLE = (
    "body{font:12.5px/1.4 system-ui,sans-serif;color:#1a1a1a;max-width:46rem;margin:1.5rem auto;padding:0 1rem}"
    "h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin:.8rem 0 .2rem;border-bottom:1px solid #bbb}"
    "table{border-collapse:collapse;width:100%;margin:.3rem 0}td,th{border-bottom:1px solid #ddd;padding:.1rem .4rem;text-align:left}"
    "td.n{text-align:right}.note{color:#444;font-size:.85rem}section{break-inside:avoid}"
    "p{margin:.25rem 0}svg{vertical-align:top}@page{size:A4;margin:12mm}@media print{body{margin:0;max-width:none}}"
)


def datapackage(title: str, sources: list[dict], licences: list[str]) -> dict:
    fields = [{"name": n, "type": t, "description": d} for n, t, d in FIGURE_FIELDS]
    return {
        "profile": "data-package",
        "name": "neighborhood-brief",
        "title": title,
        "licenses": [{"name": "other", "title": text} for text in dict.fromkeys(licences) if text],
        "sources": sources,
        "resources": [
            {
                "name": "figures",
                "path": "figures.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "encoding": "utf-8-sig",
                "schema": {"fields": fields},
            }
        ],
    }


def zip_brief(html_text: str, figures_csv: bytes, package: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("brief.html", html_text.encode("utf-8"))
        bundle.writestr("figures.csv", figures_csv)
        bundle.writestr("datapackage.json", json.dumps(package, indent=2, ensure_ascii=False))
    return out.getvalue()


def page_html(
    title: str, intro: list[str], sections: list[str], footer: list[str], made_at: datetime, lang: str = "en"
) -> str:
    parts = [
        f"<!DOCTYPE html><html lang='{html.escape(lang)}'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f"<p class='note'>{html.escape(line)}</p>" for line in intro),
        *sections,
        "<h2>" + html.escape(_("Sources and rules")) + "</h2>",
        *(f"<p class='note'>{html.escape(line)}</p>" for line in footer),
        "<p class='note'>"
        + html.escape(
            _("Made {moment} UTC.").format(moment=f"{day_month_year(made_at, padded=True)} {made_at:%H:%M}")
        )
        + "</p></body></html>",
    ]
    return "".join(parts)


def figure_rows(rows: list[tuple[str, str, str]]) -> str:
    """A table of (label, value, unit) rows; every cell escaped."""
    body = "".join(
        f"<tr><td>{html.escape(a)}</td><td class='n'>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>"
        for a, b, c in rows
    )
    return f"<table>{body}</table>"


def bars_svg(labels: list[str], values: list[float | None], unit: str, width: int = 330) -> str:
    """Horizontal bars with full labels; hidden values drawn as an empty row that says so."""
    if not labels:
        return ""
    row, left = 17, 130
    top = max([v for v in values if v is not None] or [1]) or 1
    hidden_words = _("not shown (small numbers)")
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{row * len(labels) + 8}' aria-label='{html.escape(unit)}'>"
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = i * row + 4
        parts.append(
            f"<text x='{left - 6}' y='{y + 14}' text-anchor='end' font-size='12'>{html.escape(label[:22])}</text>"
        )
        if value is None:
            parts.append(
                f"<text x='{left}' y='{y + 14}' font-size='12' fill='#666'>{html.escape(hidden_words)}</text>"
            )
            continue
        length = (width - left - 70) * value / top
        parts.append(f"<rect x='{left}' y='{y + 3}' width='{length:.1f}' height='14' fill='#3b6ea8'/>")
        parts.append(f"<text x='{left + length + 4:.1f}' y='{y + 14}' font-size='12'>{number(value)}</text>")
    return "".join(parts) + "</svg>"


def line_svg(
    months: list[str], values: list[float | None], unit: str, width: int = 640, height: int = 140
) -> str:
    """A monthly line; a hidden month breaks the line instead of being drawn as zero."""
    if len(months) < 2:
        return ""
    top = max([v for v in values if v is not None] or [1]) or 1
    per_month = _("{count} {unit} a month").format(count=number(top), unit=unit)
    label = _("monthly {unit}").format(unit=unit)
    step = (width - 60) / (len(months) - 1)
    segments, current = [], []
    for i, value in enumerate(values):
        if value is None:
            segments, current = segments + ([current] if current else []), []
            continue
        current.append(f"{40 + i * step:.1f},{height - 20 - (height - 40) * value / top:.1f}")
    segments += [current] if current else []
    lines = "".join(
        f"<polyline fill='none' stroke='#3b6ea8' stroke-width='2' points='{' '.join(s)}'/>" for s in segments
    )
    axis = (
        f"<text x='40' y='{height - 4}' font-size='11'>{html.escape(months[0])}</text>"
        f"<text x='{width - 20}' y='{height - 4}' font-size='11' text-anchor='end'>{html.escape(months[-1])}</text>"
        f"<text x='4' y='14' font-size='11'>{html.escape(per_month)}</text>"
    )
    return f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{height}' aria-label='{html.escape(label)}'>{lines}{axis}</svg>"
