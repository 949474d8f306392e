"""Did it make a difference? A planted effect is found, none is not claimed, short windows are refused."""

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loaders.catalog import CatalogError, parse_catalog
from query import gate
from query.db import open_city
from query.did import estimate
from query.initiative import CHANGED, NO_CLEAR, TOO_LITTLE
from ui import settings

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PLANTED = gate.Initiative("Co-responder pilot", date(2023, 7, 1), ("N20", "N22"))


def _panel(
    seed: int, effect: float, is_count: bool, covered: int = 2
) -> tuple[pd.DataFrame, set, pd.Timestamp]:
    """30 places over 48 months; the first `covered` change by `effect` from month 24 (hand-made data)."""
    rng = np.random.default_rng(seed)
    level = rng.lognormal(1.5, 0.6, 30)
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    season = 1 + 0.2 * np.cos(2 * np.pi * np.arange(48) / 12)
    is_after = (np.arange(30)[:, None] < covered) & (np.arange(48)[None, :] >= 24)
    if is_count:
        values = rng.poisson(level[:, None] * season[None, :] * np.where(is_after, 1 + effect, 1.0))
    else:
        values = 50 + level[:, None] + season[None, :] + rng.normal(0, 2, (30, 48)) + effect * is_after
    panel = pd.DataFrame(
        {
            "place": np.repeat([f"P{i}" for i in range(30)], 48),
            "month": np.tile(months, 30),
            "value": values.ravel().astype(float),
        }
    )
    return panel, {f"P{i}" for i in range(covered)}, months[24]


@pytest.mark.parametrize(("is_count", "effect"), [(True, -0.4), (False, 4.0)])
def test_a_planted_effect_is_found_in_nearly_every_synthetic_city(is_count, effect):
    """A 40% fall in counts (or +4 points on a score) in 2 of 30 places is claimed in at least 16 of 20 draws."""
    found = [estimate(*_panel(seed, effect, is_count), is_count=is_count) for seed in range(20)]
    assert sum(f.is_clear for f in found) >= 16
    assert all((f.effect < 0) == (effect < 0) for f in found if f.is_clear)


@pytest.mark.parametrize("is_count", [True, False])
def test_no_effect_is_rarely_claimed(is_count):
    """With nothing planted, a difference is claimed in at most 2 of 20 synthetic cities (about 5% expected)."""
    found = [estimate(*_panel(seed, 0.0, is_count), is_count=is_count) for seed in range(20)]
    assert sum(f.is_clear for f in found) <= 2


def test_demo_city_finds_its_planted_programme_and_nothing_else(demo_cache):
    """Use of force fell (planted: 40%) and trust rose (planted: 8 points) in the pilot's two places;
    crime, complaints and feeling safe, left alone, show no clear difference."""
    city = open_city(demo_cache, "demo")
    report = gate.initiative_report(city, PLANTED)
    verdicts = {r.measure: r.verdict for r in report.results}
    assert verdicts == {
        "Crime": NO_CLEAR,
        "Civilian complaints": NO_CLEAR,
        "Use of force": CHANGED,
        "Trust in the police": CHANGED,
        "Feeling safe": NO_CLEAR,
    }
    trust = next(r for r in report.results if r.measure == "Trust in the police")
    assert trust.estimate.effect > 0 and "points" in trust.sentence and "scale" in trust.unit
    force = next(r for r in report.results if r.kind == "use_of_force")
    assert force.estimate.low < -0.4 < force.estimate.high or -0.5 < force.estimate.effect < -0.25
    assert "lower" in force.sentence
    elsewhere = gate.initiative_report(city, gate.Initiative("x", date(2023, 7, 1), ("N05", "N11")))
    assert CHANGED not in {r.verdict for r in elsewhere.results}


def test_a_window_too_short_is_refused_in_words(demo_cache):
    """A start four months before the data ends gives "too little data to say" and says how many months it has."""
    city = open_city(demo_cache, "demo")
    report = gate.initiative_report(city, gate.Initiative("late", date(2025, 9, 1), ("N20",)))
    assert {r.verdict for r in report.results} == {TOO_LITTLE}
    assert all("whole months" in r.sentence and r.estimate is None for r in report.results)
    everything = gate.initiative_report(
        city, gate.Initiative("all", date(2023, 1, 1), tuple(city.neighborhood_names))
    )
    assert everything.refusal and not everything.results


def test_the_catalogue_names_the_demo_programme_and_the_brief_of_a_covered_place_carries_it(demo_cache):
    """Verbena Walk's brief (page and file) has the pilot's verdicts; Alder Park's, outside it, has none."""
    city = open_city(demo_cache, "demo")
    assert [i.neighborhood_ids for i in gate.named_initiatives(city)] == [("N20", "N22")]
    covered = gate.neighborhood_brief(city, "N22", (None, None), settings.SITE)
    html_text = _brief_html(gate.brief_file(covered).data)
    assert "Did it make a difference? Co-responder pilot" in html_text
    assert "Use of force: changed more than the rest of the city" in html_text
    figures = gate.brief_figures(covered).frame
    assert (figures["value"] == CHANGED).sum() == 2  # use of force and trust
    outside = gate.neighborhood_brief(city, "N01", (None, None), settings.SITE)
    assert not outside.initiatives


def _brief_html(data: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        name = next(n for n in bundle.namelist() if n.endswith(".html"))
        return bundle.read(name).decode()


def test_a_visitor_names_a_programme_by_link_and_gets_a_verdict(demo_cache, monkeypatch):
    """The URL alone (title, start, neighborhoods) reopens a visitor's own comparison, with every measure's verdict."""
    monkeypatch.setenv("DASHBOARD_CACHE", str(demo_cache))
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params.update({"init_own": "true", "init_title": "Beat meetings", "init_start": "2023-07-01"})
    app.query_params["init_hoods"] = ["Tamarack Court", "Verbena Walk"]
    app.switch_page("pages/initiative.py").run()
    assert not app.exception
    assert [h.value for h in app.header] == ["Beat meetings"]
    verdicts = [m.value for m in app.markdown if m.value.startswith("**")]
    assert len(verdicts) == 5  # three kinds of records and two survey measures
    assert sum("Changed more than the rest of the city" in v for v in verdicts) == 2
    assert any(s.value == "What this comparison assumes" for s in app.subheader)


def test_the_page_offers_the_catalogue_programme_first(demo_cache, monkeypatch):
    """With no link parameters the page shows the city's named programme and finds the planted effect."""
    monkeypatch.setenv("DASHBOARD_CACHE", str(demo_cache))
    app = AppTest.from_file(APP, default_timeout=90)
    app.switch_page("pages/initiative.py").run()
    assert not app.exception
    assert "Co-responder pilot" in app.header[0].value.replace("\\", "")
    assert sum("Changed more than" in m.value for m in app.markdown) == 2


def test_a_misspelt_or_undated_initiative_in_the_catalogue_is_reported():
    """`neighbourhoods` gets a did-you-mean and a start that is not a date is named, both in one error."""
    raw = {
        "cities": {
            "x": {
                "name": "X",
                "time_zone": "America/Chicago",
                "boundaries_url": "u",
                "boundary_id_field": "id",
                "initiatives": [{"title": "A", "start": "July 2023", "neighbourhoods": ["N1"]}],
            }
        },
        "sources": [],
    }
    with pytest.raises(CatalogError) as caught:
        parse_catalog(raw)
    text = str(caught.value)
    assert "neighbourhoods" in text and "neighborhoods" in text and "July 2023" in text


def test_the_link_from_the_result_to_a_brief_carries_a_visitors_programme(demo_cache, monkeypatch):
    """/neighborhood?place=…&init_own=true&… shows the visitor's programme in that place's brief."""
    monkeypatch.setenv("DASHBOARD_CACHE", str(demo_cache))
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params.update(
        {
            "place": "Verbena Walk",
            "init_own": "true",
            "init_title": "Beat meetings",
            "init_start": "2023-07-01",
        }
    )
    app.query_params["init_hoods"] = ["Tamarack Court", "Verbena Walk"]
    app.switch_page("pages/neighborhood.py").run()
    assert not app.exception
    headers = [h.value.replace("\\", "") for h in app.header]
    assert "Did it make a difference? Beat meetings" in headers
    assert "Did it make a difference? Co-responder pilot (synthetic)" in headers
