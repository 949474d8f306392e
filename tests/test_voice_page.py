"""The Community voice page on Demo City (synthetic survey scores), through Streamlit's AppTest."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.page_tables import open_every_expander, short_table_rows

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGE = "pages/community-voice.py"
# Words that claim one thing made another happen; the page sets evidence side by side only.
CAUSAL = re.compile(r"\b(cause[sd]?|because|effect|impact|led to|due to|drove|driven|thanks to)\b", re.I)


@pytest.fixture
def app(demo_cache, monkeypatch):
    monkeypatch.setenv("DASHBOARD_CACHE", str(demo_cache))
    return AppTest.from_file(APP, default_timeout=90)


def _open(app, **params):
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def _chart(app, key):
    for element in app.get("plotly_chart"):
        if element.proto.id.endswith(f"-chart_{key}"):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key}")


def _texts(app):
    return [m.value for m in app.markdown] + [c.value for c in app.caption] + [h.value for h in app.header]


def test_voice_page_draws_a_line_per_measure_beside_the_city(app):
    """Trust, safety, listening and respect each get a solid line and a dashed city line."""
    _open(app)
    app.selectbox(key="voice_place").set_value("N01").run()
    assert not app.exception
    names = [trace["name"] for trace in _chart(app, "voice_measures")["data"]]
    assert "trust in the police" in names and "trust in the police (Whole city)" in names
    assert "feeling safe" in names and "feeling safe (Whole city)" in names


def test_voice_page_states_the_scale_and_method_and_never_claims_a_cause(app):
    """Every chart names the scale and the publisher's method; no word claims a cause."""
    _open(app)
    texts = " ".join(_texts(app))
    assert "0–100 scale" in texts and "SYNTHETIC" in texts
    assert "not counts" in texts
    assert not CAUSAL.search(texts), CAUSAL.search(texts)
    axis = _chart(app, "voice_measures")["layout"]["yaxis"]
    assert axis["range"] == [0.0, 100.0]


def test_voice_page_shows_the_gap_between_black_and_white_residents(app):
    """The race breakdown is the default, and the gap line is Black minus White residents' score."""
    _open(app)
    groups = {trace["name"] for trace in _chart(app, "voice_groups")["data"]}
    assert {"Black", "White", "Hispanic"} <= groups
    gap = _chart(app, "voice_gap")
    assert "Black minus White" in gap["layout"]["yaxis"]["title"]["text"]


def test_voice_page_sets_the_records_beside_the_scores(app):
    """Crime, complaints and use of force for the same place and months stand below the scores."""
    _open(app)
    app.selectbox(key="voice_place").set_value("N03").run()
    keys = {element.proto.id.rsplit("-", 1)[-1] for element in app.get("plotly_chart")}
    assert {"voice_records_crime_incident", "voice_records_complaint", "voice_records_use_of_force"} <= keys
    assert any("Cedar Flats: incidents per month" in c.value for c in app.caption)


def test_neighborhood_page_shows_the_latest_trust_and_safety_scores(app, demo_cache):
    """The neighborhood page gives the place's latest trust and safety scores, as the brief holds them."""
    from query import gate

    app.run()
    app.switch_page("pages/neighborhood.py").run()
    assert not app.exception, [e.message for e in app.exception]
    city = gate.open_city(demo_cache, "demo")
    first = sorted(city.neighborhood_names, key=lambda i: city.neighborhood_names[i])[0]
    brief = gate.neighborhood_brief(city, first, (None, None), gate.SitePolicy())
    rows = short_table_rows(app)  # the scores' short table
    for item in brief.voice:
        score = next(r[3] for r in rows if r[:2] == [gate.measure_words(item.measure), item.place])
        assert score.startswith(f"{item.score:.1f};")
    assert any("0–100 scale" in c.value for c in app.caption)


def test_data_page_lists_the_survey_with_its_reshaping_rules(app):
    """The data page names the synthetic survey source, its rules in words and its dictionary."""
    app.run()
    app.switch_page("pages/data.py").run()
    open_every_expander(app)
    assert not app.exception, [e.message for e in app.exception]
    texts = (" ".join(_texts(app)) + " ".join(s.value for s in app.subheader)).replace("\\", "")
    assert "Resident survey: trust and safety scores (synthetic)" in texts
    assert "read as one record each" in texts and "never summed" in texts
    assert any("Community sentiment" in e.label for e in app.expander)
