"""The disclosure rules as a visitor meets them on Demo City (AppTest): person filters, snapped breakdowns, rows."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


@pytest.fixture
def app(demo_cache, monkeypatch):
    monkeypatch.setenv("DASHBOARD_CACHE", str(demo_cache))
    return AppTest.from_file(APP, default_timeout=90)


def _complaints(app, **params):
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page("pages/complaints.py").run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def _texts(app) -> str:
    return " ".join(str(e.value) for name in ("markdown", "caption", "info") for e in app.get(name))


def test_a_race_filter_lists_no_records_and_offers_no_records_download(app):
    """Under a race filter the records toggle shows a refusal, and there is no records download button."""
    _complaints(app, race="White")
    app.toggle(key="show_records").set_value(True).run()
    assert not [d for d in app.dataframe if "record_id" in d.value.columns]
    assert "race, sex or age filter" in _texts(app)
    assert not [b for b in app.get("download_button") if "records" in str(b.proto.label).lower()]
    assert not [c for c in app.get("plotly_chart") if c.proto.id.endswith("-chart_trend")]


def test_records_without_a_person_filter_carry_no_demographic_columns(app):
    """The records listing on the complaints page leaves race, sex and age out and says so."""
    _complaints(app)
    app.toggle(key="show_records").set_value(True).run()
    columns = list(app.dataframe[-1].value.columns)
    assert "record_id" in columns and not [c for c in columns if c.endswith(("_race", "_sex", "_age"))]
    assert "Columns withheld" in _texts(app)


def test_breakdowns_by_who_say_which_fixed_year_and_area_they_cover(app):
    """Two neighborhoods chosen: the breakdowns by who say they cover a finished year of the whole city."""
    _complaints(app, hood=["Alder Park", "Birch Hollow"])
    words = _texts(app)
    assert "Breakdowns by who cover calendar year" in words and "the whole city" in words
