"""Every page on a hand-made hostile city: feed and link values show as literal text, never as links, images or formats.

The city's names, categories, sources and a link's values carry formulas, HTML, Markdown links and
images, Streamlit `:red[…]` directives, `$math$`, right-to-left overrides, NUL and a 100,000
character value. Every row and name here is invented.
"""

import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from store.cityindex import read_city_index, write_city_index
from tests import query_fixtures
from tests.page_tables import open_every_expander, short_tables
from tests.query_fixtures import CITY, TZ, row, write_city

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGES = [
    "pages/overview.py",
    "pages/crime.py",
    "pages/complaints.py",
    "pages/use-of-force.py",
    "pages/data.py",
    "pages/about.py",
]
LINK = "[Click here](https://evil.example)"
LINK_IN_URL = "[Sign in](https://evil.example/login)"  # not a neighborhood: the page must say it was ignored
IMAGE = "![pixel](https://evil.example/p.png)"
HTML = "<img src=x onerror=alert(1)>"
DIRECTIVE = ":red[ALERT] :material/warning:"
MATH = "$x^2$"
FORMULA = '=HYPERLINK("https://evil.example","go")'
RTL = "abc\u202edcba\u202c"
NUL = "nul\x00byte"
LONG = "L" * 100_000
# "|" would split a cell of a Markdown table, "<td>" one of an HTML table, if either were not escaped.
HOSTILE_NAMES = {"alder": LINK, "birch": IMAGE + " | " + HTML, "cedar": DIRECTIVE + " " + MATH}
CATEGORIES = [FORMULA, RTL, NUL, LONG, LINK, HTML]
PAYLOADS = [LINK, LINK_IN_URL, IMAGE, HTML, DIRECTIVE, MATH]  # what must never reach Markdown unescaped
TEXT_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader")
# A control or direction character, anywhere in a page's text, would let text read otherwise than it is.
INVISIBLE = re.compile("[\x00\u202a-\u202e\u2066-\u2069]")


def _rows() -> dict:
    at = [datetime(2024, m, 5, 12, tzinfo=ZoneInfo(TZ)) for m in range(1, 13)]
    hoods = ["alder", "birch", "cedar"]
    crime = [
        row(
            "crime_incident",
            f"k{i}",
            at[i % 12],
            hoods[i % 3],
            offense_category=CATEGORIES[i % 6],
            offense_raw=LINK,
        )
        for i in range(60)
    ]
    complaints = [
        row(
            "complaint",
            f"c{i}",
            at[i % 12],
            hoods[i % 3],
            allegation_category=CATEGORIES[i % 6],
            complainant_race=["Black", HTML][i % 2],
            finding=["sustained", LINK][i % 2],
        )
        for i in range(60)
    ]
    force = [
        row("use_of_force", f"u{i}", at[i % 12], hoods[i % 3], force_type=CATEGORIES[i % 6], subject_sex=MATH)
        for i in range(60)
    ]
    late = datetime(2025, 2, 1, 12, tzinfo=ZoneInfo(TZ))  # so 2024 is a finished year
    crime.append(row("crime_incident", "late", late, "alder"))
    return {
        "crime_incident": {"h_crime": crime},
        "complaint": {"h_complaints": complaints},
        "use_of_force": {"h_force": force},
    }


def _hostile_sources(root: Path) -> None:
    """Give every source a hostile title, publisher and licence, as a careless catalogue might."""
    for manifest_path in root.glob("h_*/*/manifest.json"):
        manifest = json.loads(manifest_path.read_text())
        manifest["provenance"].update(title=LINK + " " + MATH, publisher=HTML, licence=DIRECTIVE)
        manifest_path.write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def hostile_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    patch = pytest.MonkeyPatch()
    hoods = [(n[0], HOSTILE_NAMES[n[0]], *n[2:]) for n in query_fixtures.NEIGHBORHOODS]
    patch.setattr(query_fixtures, "NEIGHBORHOODS", hoods)
    patch.setattr(query_fixtures, "NAMES", {n[0]: n[1] for n in hoods})
    try:
        write_city(root, _rows())
    finally:
        patch.undo()
    _hostile_sources(root)
    index = read_city_index(root, CITY)
    write_city_index(root, replace(index, name=f"{LINK} {RTL}", neighborhood_label=f"{HTML}"))
    return root


def _unescape(text: str) -> str:
    """Markdown source as a reader sees it: backslash escapes of punctuation removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _texts(app) -> list[str]:
    out = []
    for name in TEXT_ELEMENTS:
        out += [str(element.value) for element in app.get(name)]
    return out


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_hostile_values_as_literal_text(hostile_cache, monkeypatch, page):
    """No payload reaches Markdown or HTML unescaped, no control character is shown, and the literal text does appear."""
    monkeypatch.setenv("DASHBOARD_CACHE", str(hostile_cache))
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params["city"] = CITY
    app.run()
    # The page opened from a link carrying hostile values (the app drops them after one view).
    app.query_params["hood"] = LINK_IN_URL
    app.query_params["from"] = IMAGE
    app.switch_page(page).run()
    open_every_expander(app)  # what is built only when opened gets the same check
    assert not app.exception, [e.message for e in app.exception]
    texts = _texts(app)
    for text in texts:
        for payload in PAYLOADS:
            assert payload not in text, (page, payload, text[:300])
        assert not INVISIBLE.search(text), (page, text[:300])
        assert len(text) < 20_000, (page, len(text))
    tables = short_tables(app)
    for table in tables:  # HTML written by us: table markup only, every row whole
        assert table.tags <= {"table", "thead", "tbody", "tr", "th", "td"}, (page, table.tags)
        assert len({len(row) for row in table.rows}) == 1, (page, table.rows[:3])
    cells = [cell for table in tables for row in table.rows for cell in row]
    assert not any(INVISIBLE.search(cell) for cell in cells), page
    shown = " ".join(_unescape(t) for t in texts) + " " + " ".join(cells)
    if page == "pages/about.py":  # it names no source or place, and draws no filters to read the link
        assert LINK_IN_URL not in shown
    else:
        assert LINK in shown  # a hostile source title or neighborhood name, as words a reader can see
        assert f"“{LINK_IN_URL}”" in shown  # the notice quotes the link's value literally
    if page in ("pages/crime.py", "pages/complaints.py", "pages/use-of-force.py"):
        for chart in app.get("plotly_chart"):
            spec = chart.proto.spec
            assert "<img" not in spec and "<a " not in spec and MATH not in spec, page


def test_file_names_from_hostile_names_are_plain_ascii(hostile_cache):
    """Records and table files for a hostile neighborhood get names of lower-case ASCII words only."""
    from query import gate

    city = gate.open_city(hostile_cache, CITY)
    site = gate.SitePolicy(exports=gate.ExportPolicy({"complaint": True}))
    for hood in HOSTILE_NAMES:
        filters = gate.Filters.make("complaint", neighborhood_ids=(hood,))
        names = [gate.records_file_name(city, filters), gate.records_file(city, filters, site).file_name]
        names.append(gate.table_file(city, filters, gate.page(city, filters, site).by_race, site).file_name)
        for name in names:
            assert re.fullmatch(r"[a-z0-9_.-]+\.zip", name), name
