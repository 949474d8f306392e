"""The app on Demo City, through Streamlit's AppTest: pages, URL-bound filters, notices, and honest numbers."""

import base64
import html
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from query import gate
from store import snapshots

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
KIND_PAGES = {
    "crime_incident": "pages/crime.py",
    "complaint": "pages/complaints.py",
    "use_of_force": "pages/use-of-force.py",
}
SOURCE = {"crime_incident": "demo_crime", "complaint": "demo_complaints", "use_of_force": "demo_use_of_force"}
CATEGORY = {
    "crime_incident": "offense_category",
    "complaint": "allegation_category",
    "use_of_force": "force_type",
}


@pytest.fixture
def app(demo_cache, monkeypatch):
    monkeypatch.setenv("DASHBOARD_CACHE", str(demo_cache))
    return AppTest.from_file(APP, default_timeout=90)


def _open(app, page=None, **params):
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def _chart(app, key):
    for element in app.get("plotly_chart"):
        if element.proto.id.endswith(f"-chart_{key}"):
            return json.loads(element.proto.spec)["data"][0]
    raise AssertionError(f"no chart {key}")


def _numbers(values):
    if isinstance(values, dict):  # plotly's binary array encoding
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def _texts(app):
    return [m.value for m in app.markdown] + [c.value for c in app.caption]


@pytest.mark.parametrize("page", [None, *KIND_PAGES.values(), "pages/data.py", "pages/about.py"])
def test_every_page_runs_and_names_its_sources(app, page):
    """Each page renders on Demo City without an error, says it is synthetic and where data came from."""
    _open(app, page)
    texts = " ".join(_texts(app) + [i.value for i in app.info])
    assert "synthetic" in texts
    if page not in ("pages/about.py", "pages/data.py"):
        assert "Sources" in texts and "Licence" in texts
    if page in (KIND_PAGES["complaint"], KIND_PAGES["use_of_force"]):
        assert "To protect the people in these records" in texts


def test_url_parameters_restore_the_filters(app):
    """A shared link reopens the same neighborhood, dates and force type, and the headline says so."""
    _open(
        app,
        KIND_PAGES["use_of_force"],
        hood=["Alder Park"],
        **{"from": "2021-01-01", "to": "2022-06-30"},
        force=["Electrical weapon"],
    )
    assert app.multiselect(key="hood").value == ["N01"]
    assert app.date_input(key="from").value == date(2021, 1, 1)
    assert app.multiselect(key="force").value == ["Electrical weapon"]
    headline = app.markdown[0].value
    assert "Alder Park" in headline and "Jan 2021 – Jun 2022" in headline and "Electrical weapon" in headline


def test_the_dates_and_places_button_is_followed_by_what_it_holds(app):
    """The dates and neighborhoods wait behind one button; the sentence beside it says what they hold,
    in the reader's language, so nobody has to open it to know what the page shows."""
    _open(
        app, KIND_PAGES["crime_incident"], hood=["Alder Park"], **{"from": "2021-01-01", "to": "2022-06-30"}
    )
    captions = [c.value for c in app.caption]
    assert "Showing Alder Park, Jan 2021 – Jun 2022." in captions
    app.multiselect(key="hood").set_value([]).run()
    assert "Showing all neighborhoods, Jan 2021 – Jun 2022." in [c.value for c in app.caption]
    other = AppTest.from_file(APP, default_timeout=90)
    _open(other, KIND_PAGES["crime_incident"], lang="es")
    said = " ".join(c.value for c in other.caption)
    assert "Se muestra: todos los barrios." in said and "Showing" not in said


def test_the_about_page_draws_no_filters_and_the_next_page_has_them_back(app):
    """About has no figures, so no filters; the neighborhood and dates chosen before are there after it."""
    _open(app, KIND_PAGES["crime_incident"], hood=["Alder Park"], **{"from": "2021-01-01"})
    app.switch_page("pages/about.py").run()
    assert not app.exception
    assert not app.date_input and not app.multiselect and not app.button_group
    app.switch_page(KIND_PAGES["use_of_force"]).run()
    assert app.multiselect(key="hood").value == ["N01"]
    assert app.date_input(key="from").value == date(2021, 1, 1)


def test_counts_or_rates_is_offered_only_where_it_changes_something(app):
    """Only kind pages draw "Show" (counts or rates); a rate chosen there is still chosen two pages on."""
    _open(app, KIND_PAGES["crime_incident"])
    app.button_group(key="measure").set_value("Per 1,000 residents").run()
    for page in ("pages/overview.py", "pages/neighborhood.py", "pages/data.py"):
        app.switch_page(page).run()
        assert not app.exception and not app.button_group, page
    app.switch_page(KIND_PAGES["complaint"]).run()
    assert app.button_group(key="measure").value == "Per 1,000 residents"


def test_the_brief_has_one_place_chooser_that_starts_from_the_shared_choice(app):
    """The brief draws one neighborhood chooser at the top, not a second multi-choice filter; it opens
    on the first place chosen on another page, and that page's choice is still there afterwards."""
    _open(app, KIND_PAGES["crime_incident"], hood=["Cedar Flats", "Alder Park"])
    app.switch_page("pages/neighborhood.py").run()
    assert not app.exception
    assert not app.multiselect and [s.key for s in app.selectbox] == ["place"]
    assert app.selectbox(key="place").value == "N03"
    assert "Cedar Flats: **" in " ".join(_texts(app))
    app.selectbox(key="place").set_value("N01").run()
    assert "Alder Park: **" in " ".join(_texts(app))
    app.switch_page(KIND_PAGES["complaint"]).run()
    assert sorted(app.multiselect(key="hood").value) == ["N01", "N03"]


def test_the_briefs_link_reopens_its_place_and_a_bad_one_says_so(app, demo_cache):
    """The link printed in a brief's file (place=…&as_of=…) reopens that place; an unknown place gets a notice."""
    city = gate.open_city(demo_cache, "demo")
    brief = gate.neighborhood_brief(city, "N22", (None, None), gate.SitePolicy())
    page = zipfile.ZipFile(io.BytesIO(gate.brief_file(brief).data)).read("brief.html").decode()
    query = html.unescape(re.search(r"/neighborhood\?([^<\s]+)", page).group(1))
    assert "place=Verbena+Walk" in query
    _open(app, "pages/neighborhood.py", **dict(parse_qsl(query)))
    assert app.selectbox(key="place").value == "N22" and not app.sidebar.warning
    other = AppTest.from_file(APP, default_timeout=90)
    _open(other, "pages/neighborhood.py", place="Atlantis")
    assert "Atlantis" in " ".join(w.value for w in other.sidebar.warning)


def test_a_link_asking_for_rates_in_words_the_page_does_not_know_is_told_so(app):
    """measure=… that is neither language's label: counts are shown, and a notice names the value."""
    _open(app, KIND_PAGES["crime_incident"], measure="Per 1000 people")
    assert app.button_group(key="measure").value == "Counts"
    [notice] = [w.value for w in app.sidebar.warning if "counts or rates" in w.value]
    assert "Per 1000 people" in notice and "showing Counts" in notice
    app.run()
    assert not [w for w in app.sidebar.warning if "counts or rates" in w.value], (
        "said once, not on every view"
    )


def test_bad_url_parameters_give_a_notice_not_an_error(app):
    """Unknown neighborhoods and malformed dates in a link are dropped with a visible notice."""
    _open(app, hood=["Atlantis", "Alder Park"], **{"from": "last tuesday"})
    notices = " ".join(w.value for w in app.sidebar.warning)
    assert "Atlantis" in notices and "last tuesday" in notices
    assert app.multiselect(key="hood").value == ["N01"]


def _expected(demo_cache, kind, date_from, date_to, hoods=(), categories=()):
    snap = snapshots.current(demo_cache, SOURCE[kind])
    df = pd.read_parquet(
        snap.file("data.parquet"), columns=["occurred_date", "neighborhood_id", CATEGORY[kind]]
    )
    keep = (df["occurred_date"] >= date_from) & (df["occurred_date"] <= date_to)
    if hoods:
        keep &= df["neighborhood_id"].isin(hoods)
    if categories:
        keep &= df[CATEGORY[kind]].isin(categories)
    return df[keep]


@pytest.mark.parametrize(
    ("kind", "params", "categories"),
    [
        ("crime_incident", {"from": "2019-01-01", "to": "2025-12-31"}, ()),
        (
            "crime_incident",
            {
                "from": "2023-07-01",
                "to": "2024-06-30",
                "hood": ["Alder Park", "Kestrel Point"],
                "offense": ["violent", "drug"],
            },
            ("violent", "drug"),
        ),
        (
            "use_of_force",
            {"from": "2020-03-01", "to": "2021-02-28", "force": ["Physical force"]},
            ("Physical force",),
        ),
        ("complaint", {"from": "2022-01-01", "to": "2023-12-31", "hood": ["Alder Park"]}, ()),
    ],
)
def test_charted_numbers_equal_a_pandas_count_of_the_snapshot(app, demo_cache, kind, params, categories):
    """The headline, the monthly line and the category bars match an independent count of the Parquet file."""
    _open(app, KIND_PAGES[kind], **params)
    hoods = tuple(app.multiselect(key="hood").value)  # the ids behind the names in the link
    assert len(hoods) == len(params.get("hood", ()))
    expected = _expected(
        demo_cache,
        kind,
        date.fromisoformat(params["from"]),
        date.fromisoformat(params["to"]),
        hoods,
        categories,
    )
    assert f"{len(expected):,} " in app.markdown[0].value
    assert sum(_numbers(_chart(app, "trend")["y"])) == len(expected)
    bars = _chart(app, "categories")
    charted = dict(zip(bars["y"], _numbers(bars["x"]), strict=True))
    counts = expected[CATEGORY[kind]].value_counts()
    assert {k: v for k, v in charted.items() if v} == counts.to_dict()


def test_records_table_shows_public_columns_once_asked_for(app):
    """The records appear behind a toggle, without coordinates, and never more than the preview size."""
    _open(app, KIND_PAGES["use_of_force"])
    assert not app.dataframe or all("record_id" not in d.value.columns for d in app.dataframe)
    app.toggle(key="show_records").set_value(True).run()
    table = next(d.value for d in app.dataframe if "record_id" in d.value.columns)
    assert 0 < len(table) <= 500
    assert "lat" not in table.columns and "lon" not in table.columns
