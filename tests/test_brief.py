"""The neighborhood brief on Demo City: its figures equal the query layer's, and its file is whole and offline."""

import csv
import io
import json
import re
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from query import brief, gate, open_city

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
SITE = gate.SitePolicy()


@pytest.fixture(scope="module")
def city(demo_cache):
    return open_city(demo_cache, "demo")


def _hood(city):
    return sorted(city.neighborhood_names)[3]


class _Links(HTMLParser):
    """Every address the HTML would ask a browser to fetch or follow."""

    def __init__(self):
        super().__init__()
        self.addresses = []

    def handle_starttag(self, tag, attrs):
        self.addresses += [v for k, v in attrs if k in ("src", "href", "xlink:href", "action") and v]


def test_brief_figures_equal_the_query_layer_for_the_same_filter(city):
    """Each kind's count for the neighborhood and the city equals gate.page for the same dates and place."""
    hood = _hood(city)
    b = gate.neighborhood_brief(city, hood, (None, None), SITE)
    assert {k.kind for k in b.kinds} == set(city.kinds_with_data())
    for k in b.kinds:
        start, end = brief.kind_window(city, k.kind, (None, None))
        assert (start, end) == k.window and start.day == 1
        area = gate.page(city, gate.Filters.make(k.kind, start, end, neighborhood_ids=[hood]), SITE)
        whole = gate.page(city, gate.Filters.make(k.kind, start, end), SITE)
        assert k.area.headline == area.headline and k.city.headline == whole.headline
        population = city.neighborhoods.set_index("neighborhood_id").loc[hood, "population"]
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        assert k.area_rate == pytest.approx(area.figures.count / population * 1000 * 12 / months)


def test_changes_within_ordinary_variation_say_so():
    """A 3% rise on a few hundred records is ordinary; a doubling is not."""
    assert "within ordinary variation" in brief.poisson_statement(309, 300, "a year before").statement
    doubled = brief.poisson_statement(600, 300, "a year before").statement
    assert "more than ordinary variation" in doubled and "100% more" in doubled
    assert "Too few" in brief.poisson_statement(0, 4, "a year before").statement


def test_brief_file_is_offline_html_with_a_csv_and_datapackage_that_agree(city):
    """The zip holds HTML naming no other address, the figures CSV, and a datapackage describing that CSV."""
    b = gate.neighborhood_brief(city, _hood(city), (None, None), SITE)
    bundle = zipfile.ZipFile(io.BytesIO(gate.brief_file(b).data))
    assert sorted(bundle.namelist()) == ["brief.html", "datapackage.json", "figures.csv"]
    page = bundle.read("brief.html").decode("utf-8")
    links = _Links()
    links.feed(page)
    assert links.addresses == [] and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<svg" in page and "@page" in page
    rows = list(csv.DictReader(io.StringIO(bundle.read("figures.csv").decode("utf-8-sig"))))
    package = json.loads(bundle.read("datapackage.json"))
    fields = [f["name"] for f in package["resources"][0]["schema"]["fields"]]
    assert list(rows[0]) == fields and package["resources"][0]["path"] == "figures.csv"
    for row in rows:
        if row["measure"] == "count":
            assert row["value"] in page
    assert b.hood_name in page and package["licenses"]


def test_neighborhood_page_shows_what_the_brief_holds(demo_cache, monkeypatch):
    """The page renders the chosen neighborhood's counts, the same as the brief's table."""
    monkeypatch.setenv("DASHBOARD_CACHE", str(demo_cache))
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    app.switch_page("pages/neighborhood.py").run()
    assert not app.exception, [e.message for e in app.exception]
    city = open_city(demo_cache, "demo")
    first = sorted(city.neighborhood_names, key=lambda i: city.neighborhood_names[i])[0]
    b = gate.neighborhood_brief(city, first, (None, None), SITE)
    shown = " ".join(str(m.value) for m in app.markdown)
    for k in b.kinds:
        assert f"**{k.area.headline}** {k.unit}" in shown
        assert f"Whole city: **{k.city.headline}**" in shown


@pytest.mark.browser
def test_brief_prints_on_two_a4_pages(city, browser):
    """Chromium prints the brief HTML, opened with no server at all, on at most two A4 pages."""
    b = gate.neighborhood_brief(city, _hood(city), (None, None), SITE)
    page_html = zipfile.ZipFile(io.BytesIO(gate.brief_file(b).data)).read("brief.html").decode("utf-8")
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_content(page_html)
    pdf = page.pdf(format="A4")
    page.close()
    assert [u for u in requests if not u.startswith(("data:", "about:"))] == []
    assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2


def test_rates_are_per_year_and_rankings_leave_out_unstable_ones(city):
    """One month's rate is scaled to a year; rates from under 20 records are marked and never ranked."""
    month = gate.Filters.make("use_of_force", date(2025, 3, 1), date(2025, 3, 31))
    table = gate.map_table(city, month, SITE, True).frame
    counts = gate.map_table(city, month, SITE, False).frame.set_index("neighborhood_id")["value"]
    population = city.neighborhoods.set_index("neighborhood_id")["population"]
    row = table.iloc[0]
    expected = counts[row.neighborhood_id] / population[row.neighborhood_id] * 1000 * 12
    assert row.value == pytest.approx(expected)
    unstable = table[table["is_rate_unstable"]]
    assert len(unstable) and unstable["display"].str.endswith("(unstable)").all()
    ranked = gate.stable_rates(gate.map_table(city, month, SITE, True)).frame
    assert not ranked["is_rate_unstable"].any() and set(ranked["neighborhood_id"]).isdisjoint(
        unstable["neighborhood_id"]
    )


def test_time_to_close_and_injuries_equal_a_pandas_count(city, demo_cache):
    """The brief's median days to close and injured share are those of the records themselves."""
    import pyarrow.parquet as pq

    hood = sorted(city.neighborhood_names)[0]
    b = gate.neighborhood_brief(city, hood, (None, None), SITE)
    by_kind = {k.kind: k for k in b.kinds}
    for kind in ("complaint", "use_of_force"):
        k = by_kind[kind]
        [snap] = city.snapshots[kind]
        rows = pq.read_table(snap.file("data.parquet")).to_pandas()
        rows = rows[(rows["neighborhood_id"] == hood) & rows["occurred_date"].between(*k.window)]
        if kind == "complaint":
            both = rows.dropna(subset=["received_at", "closed_at"])
            days = (both["closed_at"] - both["received_at"]).dt.days.median()
            assert len(both) >= 5, "the test neighborhood needs enough closed allegations"
            assert f"took {days:.0f} days or less" in k.extra[0] and f"({len(both):,} with both" in k.extra[0]
        else:
            known = rows["subject_injured"].dropna()
            assert f"({int(known.sum()):,} of {len(known):,})" in k.extra[0]


def test_brief_holds_the_latest_trust_and_safety_scores_and_their_trend(city):
    """The brief, its CSV and its HTML give the latest trust and safety scores, here and city-wide."""
    hood = _hood(city)
    b = gate.neighborhood_brief(city, hood, (None, None), SITE)
    assert [(v.measure, v.place) for v in b.voice] == [
        ("trust", b.hood_name),
        ("trust", "Whole city"),
        ("safety", b.hood_name),
        ("safety", "Whole city"),
    ]
    monthly = gate.sentiment_monthly(city, "trust").frame
    mine = monthly[monthly["neighborhood_id"] == hood].sort_values("month")
    assert b.voice[0].score == mine["score"].iloc[-1] and b.voice[0].year_before == mine["score"].iloc[-13]
    bundle = zipfile.ZipFile(io.BytesIO(gate.brief_file(b).data))
    page = bundle.read("brief.html").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(bundle.read("figures.csv").decode("utf-8-sig"))))
    scores = [r for r in rows if r["kind"] == "Community sentiment"]
    assert len(scores) == 8 and all("0–100 scale" in r["unit"] for r in scores)
    assert f"{b.hood_name}: {b.voice[0].score:.1f} ({b.voice[0].change:+.1f})" in page
    assert "SYNTHETIC" in page and "not counts" in page
