"""ui/, the pages and the entry point publish nothing except what query.gate issued (imports and calls walked)."""

import ast
from pathlib import Path

import pandas as pd
import pytest

from query import gate
from ui import charts, map_chart, widgets

ROOT = Path(__file__).resolve().parents[1]
FRONT = sorted([*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "dashboard.py"])
# Streamlit calls that put numbers, rows or files in front of a visitor.
SINKS = {
    "dataframe",
    "data_editor",
    "table",
    "metric",
    "download_button",
    "plotly_chart",
    "altair_chart",
    "vega_lite_chart",
    "pyplot",
    "bar_chart",
    "line_chart",
    "area_chart",
    "scatter_chart",
    "map",
    "pydeck_chart",
    "json",
    "write",
    "write_stream",
    "html",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _imports(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                yield node.module or "", alias.name


@pytest.mark.parametrize("path", FRONT, ids=lambda p: str(p.relative_to(ROOT)))
def test_front_end_imports_only_the_gate_from_the_read_side(path):
    """No ui/ or page module reaches query/, store/ or a database except through query.gate's public API."""
    for module, name in _imports(_tree(path)):
        if module == "query.i18n":
            continue  # words only (the translation function): no figure can leave through it
        if module == "query":
            assert name in ("gate", "i18n"), f"{path.name}: from query import {name}"
        elif module == "query.gate":
            assert name in gate.__all__, f"{path.name}: query.gate.{name} is not public"
        elif module.startswith(("query", "store", "duckdb", "pyarrow")):
            raise AssertionError(f"{path.name} imports {module}")
        if module == "loaders.bootstrap":
            assert path.name == "dashboard.py"  # builds Demo City at start-up; publishes nothing


@pytest.mark.parametrize("path", FRONT, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_widgets_hands_values_to_publishing_elements(path):
    """st.dataframe, st.metric, st.download_button, st.plotly_chart and the like are called in ui/widgets.py only."""
    if path.name == "widgets.py" and path.parent.name == "ui":
        return
    if not any(module == "streamlit" for module, _ in _imports(_tree(path))):
        return  # e.g. charts.py builds figures only; without Streamlit a module cannot show anything
    calls = [
        f"{node.lineno}: {node.func.attr}"
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SINKS
        and getattr(node.func.value, "id", "") not in ("widgets", "charts")  # the gate-checked helpers
    ]
    assert calls == [], f"{path.name} calls {calls}"


BUILDERS = ("charts", "map_chart")  # ui/ modules whose figures take only what the gate issued


@pytest.mark.parametrize("path", FRONT, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_plotted_figure_is_built_by_charts(path):
    """widgets.plot and widgets.chart_with_table are only ever given a figure straight from charts.* (or
    map_chart.*, the map's builder beside it)."""
    for node in ast.walk(_tree(path)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in ("plot", "chart_with_table") and getattr(node.func.value, "id", "") == "widgets":
            first = node.args[0]
            assert isinstance(first, ast.Call) and getattr(first.func.value, "id", "") in BUILDERS, (
                f"{path.name}:{node.lineno} plots something charts did not build"
            )


def test_published_values_cannot_be_forged_outside_the_gate():
    """A PublishedTable made outside query.gate, or a bare frame, is refused by the table, chart and file helpers."""
    frame = pd.DataFrame({"month": ["2024-01-01"], "count": [3]})
    with pytest.raises(TypeError):
        gate.PublishedTable(frame, "monthly")
    with pytest.raises(TypeError):
        charts.trend(frame, "incidents")
    with pytest.raises(TypeError):
        charts.ranked_bars(frame, "incidents", label="month")
    with pytest.raises(TypeError):
        map_chart.choropleth({"features": []}, frame, value="count", value_label="incidents")
    with pytest.raises(TypeError):
        widgets.table(frame)
    with pytest.raises(TypeError):
        widgets.download("x", frame, key="x")
    with pytest.raises(TypeError):
        gate.table_file(None, None, frame, gate.SitePolicy())
