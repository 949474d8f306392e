"""Every chart the pages draw is a figure plotly accepts, though ui/charts.py builds plain dicts unchecked."""

import json
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
# Every page with charts, and the charts each draws on Demo City with the default filters (a
# desktop visitor: the map is drawn, the tables stay closed).
PAGES = {
    "pages/overview.py": {"overview_trend_crime_incident"},
    "pages/crime.py": {"trend", "categories", "map", "ranking"},
    "pages/complaints.py": {"trend", "categories", "findings", "map", "ranking", "race", "sex", "age"},
    "pages/use-of-force.py": {"trend", "categories", "map", "ranking", "race", "sex", "age"},
    "pages/neighborhood.py": {"brief_trend_crime_incident"},
    "pages/community-voice.py": {"voice_measures", "voice_groups", "voice_gap"},
    "pages/initiative.py": {"initiative_0", "initiative_1"},
}


@pytest.fixture(scope="module")
def app(demo_cache):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DASHBOARD_CACHE", str(demo_cache))
        yield AppTest.from_file(APP, default_timeout=90)


def _specs(app: AppTest, page: str) -> dict[str, dict]:
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.message for e in app.exception]
    return {
        chart.proto.id.split("-chart_")[-1]: json.loads(chart.proto.spec) for chart in app.get("plotly_chart")
    }


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_chart_on_a_page_passes_plotlys_own_validation(app, page):
    """plotly's validators accept every drawn figure: a misspelt property would fail here, not vanish in a browser."""
    specs = _specs(app, page)
    assert specs, f"{page} drew no chart"
    missing = {key for key in PAGES[page] if not any(name.endswith(key) for name in specs)}
    assert not missing, f"{page} did not draw {sorted(missing)}; it drew {sorted(specs)}"
    for name, spec in specs.items():
        try:
            go.Figure(spec)
        except ValueError as exc:
            raise AssertionError(f"{page}: chart {name} is not valid plotly: {str(exc)[:300]}") from None
