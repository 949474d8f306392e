"""The results table: each figure with its value, its target and whether the target was met."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    name: str
    rows: str  # data size the figure was measured at ("10M", "1M", or "-" when it does not apply)
    value: float
    unit: str  # "ms", "s", "MB", "rows/s", "%", "x"
    target: str = ""  # "≤ 50 ms"; empty for figures shown for context only
    is_met: bool | None = None  # None for figures without a target
    note: str = ""

    @property
    def value_text(self) -> str:
        if self.unit == "rows/s":
            return f"{self.value:,.0f} rows/s"
        if self.unit == "x":
            return f"{self.value:.1f}x"
        if self.unit == "%":
            return f"{self.value:.2f}%"
        if self.unit == "s":
            return f"{self.value:.2f} s"
        return f"{self.value:,.1f} {self.unit}"

    @property
    def met_text(self) -> str:
        return "" if self.is_met is None else "yes" if self.is_met else "NO"


def at_most(name, rows, value, unit, limit, note="", *, target_text="") -> Figure:
    return Figure(name, rows, value, unit, target_text or f"≤ {limit:g} {unit}", value <= limit, note)


def at_least(name, rows, value, unit, limit, note="", *, target_text="") -> Figure:
    shown = f"≥ {limit:g}x" if unit == "x" else f"≥ {limit:,.0f} {unit}"
    return Figure(name, rows, value, unit, target_text or shown, value >= limit, note)


def context(name, rows, value, unit, note="") -> Figure:
    return Figure(name, rows, value, unit, "", None, note)


def rows_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1000 and rows % 1000 == 0:
        return f"{rows // 1000}k"
    return f"{rows:,}"


def table(figures: list[Figure]) -> str:
    """A Markdown table (it reads as well in a terminal as in results.md)."""
    head = ["Figure", "Rows", "Value", "Target", "Met", "Note"]
    body = [[f.name, f.rows, f.value_text, f.target, f.met_text, f.note] for f in figures]
    return _markdown(head, body)


def filter_set_table(result) -> str:
    """Per filter set: the median of every way, and the query layer's ratios against the others."""
    head = ["Filter set", "Query layer", "Usual pattern", "of which unpickle", "Polars lazy", "DuckDB plain"]
    head += ["vs usual", "vs usual w/o unpickle", "vs best peer"]
    body = []
    for s in result.sets:
        polars, duck = _mid(s.polars_ms), _mid(s.duckdb_ms)
        body.append(
            [
                s.name,
                f"{s.query_median:.1f} ms",
                f"{s.baseline_median:.1f} ms",
                f"{_mid(s.unpickle_ms):.1f} ms",
                f"{polars:.1f} ms",
                f"{duck:.1f} ms",
                f"{s.ratio:.1f}x",
                f"{s.no_unpickle_median / s.query_median:.1f}x",
                f"{s.best_peer_median / s.query_median:.2f}x",
            ]
        )
    return _markdown(head, body)


def _mid(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _markdown(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(r) for r in body)])


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
