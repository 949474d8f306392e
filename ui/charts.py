"""Plotly figure builders: plain figure dicts, a colour-blind-safe palette, escaped labels.

Every builder takes a PublishedTable that the disclosure gate issued (and refuses anything else),
so a chart shows exactly the numbers of its table and its CSV. Labels that come from data are
HTML-escaped and stripped of control and direction characters, because plotly renders a subset of
HTML in text, hover labels, legends and axis titles.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import pandas as pd
import plotly.io as pio
from plotly.basedatatypes import BaseFigure

from query import gate, i18n
from query.i18n import _

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
SEQUENTIAL = "Cividis"  # perceptually uniform and readable with colour-vision deficiencies
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}
# Streamlit serialises every figure with plotly.io.to_json; orjson does that several times faster.
pio.json.config.default_engine = "orjson"
# No mode bar: on a phone it sits over the top bars, and every chart's numbers are in its table.
# No scroll zoom: a finger scrolling the page must scroll the page, not zoom the map.
CONFIG = {"displayModeBar": False, "scrollZoom": False, "displaylogo": False, "responsive": True}
# A picture: no hover, no drag, no touch handlers, so a finger on a phone's map scrolls the page.
STATIC_CONFIG = {**CONFIG, "staticPlot": True}


class Chart(BaseFigure):
    """A figure built here as one plain dict in plotly's JSON schema, handed to st.plotly_chart as is.

    A go.Figure checks every property as it is built and copies everything again (the map's boundaries
    included) when Streamlit asks for its dict: together a third of a page view's server time.
    tests/test_charts.py checks every builder's dict against plotly's schema instead.
    """

    def __init__(self, data: list[dict], layout: dict):  # no BaseFigure.__init__: nothing is validated here
        object.__setattr__(self, "spec", {"data": data, "layout": layout})

    @property
    def data(self) -> list[dict]:
        return self.spec["data"]

    @property
    def layout(self) -> dict:
        return self.spec["layout"]

    def to_dict(self) -> dict:
        return self.spec

    def __repr__(self) -> str:
        return f"Chart({[trace.get('type') for trace in self.data]})"


_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_LABEL_CHARS = 80


def _text(value: object) -> str:
    """One data label as literal text: no HTML, no control or direction characters, no $math$, bounded."""
    cleaned = _INVISIBLE.sub("", str(value))
    cleaned = cleaned if len(cleaned) <= MAX_LABEL_CHARS else cleaned[: MAX_LABEL_CHARS - 1] + "…"
    # plotly typesets text between $ signs as LaTeX when MathJax is present; a fullwidth sign is inert.
    return html.escape(cleaned).replace("$", "\uff04")


def escape(values: Iterable) -> list[str]:
    return [_text(v) if v is not None else "" for v in values]


def _frame(published: gate.PublishedTable) -> pd.DataFrame:
    if not isinstance(published, gate.PublishedTable):
        raise TypeError("charts draw only what the disclosure gate issued (a PublishedTable)")
    return published.frame


# Margins are worked out here from the labels, wide enough that plotly's automargin (kept, for a
# label wider than guessed) finds nothing to add: when it does, plotly lays the chart out and
# draws it twice, which doubled the drawing time of a bar chart on a phone.
CHAR_PX = 8.5  # a generous width of one character at FONT's 13 px
TITLE_PX = 24  # an axis title and its gap from the tick labels
TICK_PX = 36  # one line of tick labels under the x axis, with its gap
LEGEND_PX = 34  # one row of legend above the plot


MIN_LABEL_PX = 80  # what plotly takes beside the shortest category labels ("Male")
WRAP_CHARS = 18  # a longer bar label goes on two lines, so a phone's bars keep most of the width


def _label_px(labels: Iterable[str]) -> int:
    lines = [line for label in labels for line in html.unescape(str(label)).split("<br>")]
    widest = max((len(line) for line in lines), default=0)
    if not widest:
        return 0
    is_words = any(c.isalpha() for line in lines for c in line)
    return max(round(CHAR_PX * widest) + 8, MIN_LABEL_PX if is_words else 0)


def _wrapped(labels: list[str]) -> list[str]:
    """Each escaped label longer than WRAP_CHARS split in two at the space nearest its middle."""
    return [_wrap(label) for label in labels]


def _wrap(label: str) -> str:
    if len(html.unescape(label)) <= WRAP_CHARS or " " not in label:
        return label
    middle = len(label) // 2
    spaces = [i for i, c in enumerate(label) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return label[:cut] + "<br>" + label[cut + 1 :]


def _layout(
    *,
    height: int = 320,
    y_title: str = "",
    x_title: str = "",
    y_labels: Iterable[str] = (),
    legend: bool = False,
    **extra,
) -> dict:
    """One layout dict (property-by-property updates cost ~2 ms each), margins sized to the labels."""
    axis = {"gridcolor": "#eee", "automargin": True}
    margin = {
        "l": 8 + _label_px(y_labels) + (TITLE_PX if y_title else 0),
        "r": 8,
        "t": 8 + (LEGEND_PX if legend else 0),
        "b": 8 + TICK_PX + (TITLE_PX if x_title else 0),
    }
    return {
        "separators": i18n.plotly_separators(),  # "1.234,5" in Spanish
        "height": height,
        "margin": margin,
        "font": FONT,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "showlegend": legend,
        "legend": {"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
        "hoverlabel": {"font": FONT},
        "xaxis": {**axis, "title": {"text": _text(x_title)}, **extra.pop("xaxis", {})},
        "yaxis": {
            **axis,
            "title": {"text": _text(y_title)},
            "rangemode": "tozero",
            **extra.pop("yaxis", {}),
        },
        **extra,
    }


def _count_labels(values) -> list[str]:
    """Roughly the y axis's tick labels for counts up to the largest value (for its margin)."""
    top = max((float(v) for v in values if pd.notna(v)), default=0.0)
    return [i18n.number(round(top * 1.1))]


MONTH_STEPS = (1, 2, 3, 6, 12)
MAX_MONTH_TICKS = 5  # "Jan 2024" five times fits a phone's chart side by side


def _month_ticks(months: list[str]) -> dict:
    """Every first, second, third, sixth or twelfth month labelled, level: plotly's own choice
    tilts labels it finds crowded, which costs a second layout (and a phone cannot read them)."""
    step = next((s for s in MONTH_STEPS if len(months) <= s * MAX_MONTH_TICKS), MONTH_STEPS[-1])
    step = max(step, -(-len(months) // MAX_MONTH_TICKS))
    return {"type": "category", "tickvals": months[::step], "tickangle": 0}


def trend(published: gate.PublishedTable, unit: str, *, x: str = "month", y: str = "count") -> Chart:
    """Monthly counts as a line (a hidden month is a gap, never a zero)."""
    df = _frame(published)
    # Months are written by Babel ("Jan 2024", "ene 2024") and drawn as categories in their order:
    # plotly's own date labels are English only without a locale bundle.
    months = [i18n.month_year(m) for m in df[x]] if len(df) else []
    line = {
        "type": "scatter",
        "x": months,
        "y": df[y].astype("float64") if len(df) else [],
        "mode": "lines+markers",
        "line": {"color": PALETTE[0], "width": 2},
        "marker": {"size": 4},
        "hovertemplate": f"%{{x}}: %{{y:,}} {_text(unit)}<extra></extra>",
    }
    layout = _layout(y_title=unit, y_labels=_count_labels(line["y"]), xaxis=_month_ticks(months))
    return Chart([line], layout)


def ranked_bars(
    published: gate.PublishedTable,
    unit: str,
    *,
    label: str,
    value: str = "count",
    text: str | None = None,
    height: int | None = None,
    vocabulary: str | None = None,
) -> Chart:
    """Horizontal bars, largest on top; `text` names a column of display labels ("suppressed").

    With a `vocabulary` ("force_type"), canonical labels are shown in the reader's language."""
    data = _frame(published).sort_values(value, ascending=True, na_position="first")
    shown = data[text] if text else data[value].map(lambda v: i18n.number(v) if pd.notna(v) else "")
    names = [i18n.term(v, vocabulary) for v in data[label]] if vocabulary else data[label]
    bar = {
        "type": "bar",
        "x": data[value].fillna(0),
        "y": _wrapped(escape(names)),
        "orientation": "h",
        "marker": {"color": PALETTE[0]},
        "text": escape(shown),
        "textposition": "outside",
        "cliponaxis": False,
        "customdata": escape(shown),
        "hovertemplate": f"%{{y}}: %{{customdata}} {_text(unit)}<extra></extra>",
    }
    top = data[value].max()
    room = {"range": [0, top * 1.22]} if pd.notna(top) and top > 0 else {}  # space for the value labels
    row_px = 36 if any("<br>" in label for label in bar["y"]) else 26
    layout = _layout(
        height=height or max(220, row_px * len(data) + 40), x_title=unit, y_labels=bar["y"], xaxis=room
    )
    return Chart([bar], layout)


def compare_shares(
    published: gate.PublishedTable,
    *,
    label: str,
    first: str,
    second: str,
    names: tuple[str, str],
    vocabulary: str | None = None,
) -> Chart:
    """Two shares per group side by side (e.g. share of subjects vs share of residents), as
    horizontal bars so every group's label is written out in full, even on a phone."""
    df = _frame(published).iloc[::-1]  # plotly draws the first row at the bottom
    groups = escape(i18n.term(v, vocabulary) for v in df[label]) if vocabulary else escape(df[label])
    groups = _wrapped(groups)
    bars = [
        {
            "type": "bar",
            "orientation": "h",
            "y": groups,
            "x": df[column],
            "name": _text(name),
            "marker": {"color": colour},
            "hovertemplate": "%{y}: %{x:.1%}<extra>" + _text(name) + "</extra>",
        }
        for column, name, colour in ((first, names[0], PALETTE[0]), (second, names[1], PALETTE[1]))
        if column in df
    ]
    layout = _layout(
        height=max(260, 46 * len(df) + 90),
        x_title=_("share"),
        y_labels=groups,
        legend=True,
        xaxis={"tickformat": ".0%"},
        barmode="group",
    )
    return Chart(bars, layout)


def top(published: gate.PublishedTable, n: int, value: str = "value") -> gate.PublishedTable:
    """The n largest shown values of a published table, as the same kind of table (for ranked bars)."""
    df = _frame(published)
    return gate.subset(published, df.dropna(subset=[value]).nlargest(n, value).index)


def before_after(published: gate.PublishedTable, unit: str, start) -> Chart:
    """Two lines, covered neighborhoods and the rest of the city, with the start marked."""
    df = _frame(published)
    lines = []
    for number, (group, rows) in enumerate(df.groupby("group", sort=True)):
        lines.append(
            {
                "type": "scatter",
                "x": rows["month"],
                "y": rows["value"].astype("float64"),
                "mode": "lines",
                "name": _text(group),
                "line": {
                    "color": PALETTE[number % len(PALETTE)],
                    "width": 2,
                    "dash": ("solid", "dot")[number % 2],
                },
                "hovertemplate": f"{_text(group)}, %{{x|%b %Y}}: %{{y:,.1f}} {_text(unit)}<extra></extra>",
            }
        )
    start_line = {"type": "line", "xref": "x", "yref": "paper", "x0": start, "x1": start, "y0": 0, "y1": 1}
    layout = _layout(
        y_title=unit,
        y_labels=_count_labels(df["value"]),
        legend=True,
        shapes=[{**start_line, "line": {"color": "#444", "width": 1, "dash": "dash"}}],
    )
    return Chart(lines, layout)


def score_lines(
    published: gate.PublishedTable,
    *,
    series: str,
    dashed: str | None = None,
    scale: tuple[float | None, float | None] = (None, None),
    unit: str = "score",
) -> Chart:
    """Published scores over time, one line per `series` value; rows whose `place` is `dashed` (the
    city line) are drawn dashed beside the solid ones. The y axis spans the publisher's scale where
    known, so a small move is not drawn as a cliff."""
    df = _frame(published)
    lines = []
    keys = list(dict.fromkeys(df[series])) if len(df) else []
    for i, key in enumerate(keys):
        rows = df[df[series] == key]
        groups = [(rows, "solid", "")]
        if dashed is not None and "place" in rows:
            groups = [
                (rows[rows["place"] != dashed], "solid", ""),
                (rows[rows["place"] == dashed], "dash", f" ({_text(dashed)})"),
            ]
        for part, style, suffix in groups:
            if part.empty:
                continue
            name = _text(key) + suffix
            lines.append(
                {
                    "type": "scatter",
                    "x": part["month"],
                    "y": part["score"].astype("float64"),
                    "mode": "lines",
                    "name": name,
                    "line": {"color": PALETTE[i % len(PALETTE)], "width": 2, "dash": style},
                    "hovertemplate": f"{name}, %{{x|%b %Y}}: %{{y:.1f}} {_text(unit)}<extra></extra>",
                }
            )
    low, high = scale
    yaxis = (
        {"range": [low, high], "rangemode": "normal"}
        if low is not None and high is not None
        else {"rangemode": "normal"}
    )
    layout = _layout(
        y_title=unit, y_labels=_count_labels(df["score"] if len(df) else []), legend=True, yaxis=yaxis
    )
    return Chart(lines, layout)


def gap_line(published: gate.PublishedTable, first: str, second: str, unit: str = "points") -> Chart:
    """The gap between two groups' published scores (first minus second), month by month."""
    df = _frame(published)
    line = {
        "type": "scatter",
        "x": df["month"] if len(df) else [],
        "y": df["gap"].astype("float64") if len(df) else [],
        "mode": "lines",
        "line": {"color": PALETTE[5], "width": 2},
        "hovertemplate": f"%{{x|%b %Y}}: %{{y:+.1f}} {_text(unit)}<extra></extra>",
    }
    title = f"{first} minus {second}, {unit}"
    labels = ["-" + label for label in _count_labels(df["gap"].abs() if len(df) else [])]
    layout = _layout(y_title=title, y_labels=labels, yaxis={"rangemode": "normal", "zeroline": True})
    return Chart([line], layout)
