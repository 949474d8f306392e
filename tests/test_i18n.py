"""Spanish: every visible string has a translation, lang=es pages and downloads read in Spanish, English stays the default."""

import configparser
import csv
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from babel.messages import pofile
from babel.messages.extract import extract_from_dir
from babel.numbers import format_decimal
from streamlit.testing.v1 import AppTest

from query import gate, i18n
from query.filters import AGE_BANDS, NOT_RECORDED, UNASSIGNED, UNKNOWN
from store import schema
from store.labels_es import LABELS_ES
from tests.page_tables import short_tables

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard.py")
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "messages.po"
PAGES = [
    None,
    "pages/crime.py",
    "pages/complaints.py",
    "pages/use-of-force.py",
    "pages/neighborhood.py",
    "pages/data.py",
    "pages/about.py",
]
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error")


def _catalog():
    with PO.open("rb") as handle:
        return pofile.read_po(handle, locale="es")


def _extracted() -> list[tuple[str, int, str | tuple]]:
    """Every message the code passes to _() or ngettext(), as `make translations` extracts it."""
    config = configparser.ConfigParser()
    config.read(ROOT / "babel.cfg")
    method_map = [(s.split(":", 1)[1].strip(), "python") for s in config.sections()]
    return [(path, line, message) for path, line, message, _c, _x in extract_from_dir(ROOT, method_map)]


def test_every_visible_string_has_a_spanish_translation():
    """A message wrapped in _() or ngettext() with no Spanish (or a fuzzy one) fails here, with its file:line."""
    catalog = _catalog()
    missing = []
    for path, line, message in _extracted():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(message if isinstance(message, str) else message[0])
        strings = () if entry is None else entry.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.append(f"{path}:{line}: {key}")
    assert not missing, "run `make translations` and translate:\n" + "\n".join(missing)


def test_translations_use_only_the_placeholders_of_their_english():
    """A Spanish message naming a placeholder its English lacks would break the page it is shown on."""
    wrong = []
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = {name for text in ids for name in PLACEHOLDER.findall(text)}
        extra = {name for text in strings for name in PLACEHOLDER.findall(text)} - allowed
        if extra:
            wrong.append(f"{ids[0]!r}: {sorted(extra)}")
    assert not wrong, wrong


def test_every_word_the_schema_defines_has_a_spanish_label():
    """Categories, findings, races, units, titles and column descriptions all read in Spanish (canonical values unchanged)."""
    missing = []
    for vocabulary, values in schema.VOCABULARIES.items():
        missing += [f"{vocabulary}: {v}" for v in values if v not in LABELS_ES[vocabulary]]
    words = {
        NOT_RECORDED,
        UNKNOWN,
        UNASSIGNED,
        *AGE_BANDS,
        *schema.UNIT_PLURALS,
        *schema.UNIT_PLURALS.values(),
    }
    for kind in schema.SCHEMAS.values():
        words |= {kind.title, kind.page_title, kind.unit_singular, kind.unit_plural, kind.unit_note}
        words |= {kind.category_words, *(kind.group_words or ()), kind.person_prefix or kind.title}
        words |= {c.description for c in kind.columns}
    words |= {c.description for c in schema.NEIGHBORHOOD_COLUMNS}
    with i18n.using("es"):
        missing += [
            w for w in sorted(words) if w and not w[:1].isdigit() and i18n.term(w) == w and "–" not in w
        ]
    assert not missing, missing


def _visible_text(app) -> str:
    texts = [str(e.value) for name in TEXT_ELEMENTS for e in app.get(name)]
    texts += [f"{m.label} {m.value}" for m in app.metric]
    texts += [e.label for e in app.expander]
    for name in ("multiselect", "selectbox", "toggle", "button_group", "date_input"):
        texts += [str(e.label) for e in app.get(name)]
    texts += [e.proto.label for e in app.get("page_link")]
    texts += [" | ".join(row) for table in short_tables(app) for row in table.rows]
    return "\n".join(texts).replace("\\", "")


def _english_sentences() -> set[str]:
    """Pieces of three words or more of every English message, between its placeholders."""
    pieces = set()
    for message in _catalog():
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in PLACEHOLDER.split(text)[::2]:
                piece = piece.strip(" .,:;()*-\n")
                if len(piece.split()) >= 3:
                    pieces.add(piece)
    return pieces


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


@pytest.mark.parametrize("page", PAGES)
def test_a_spanish_page_shows_no_english_sentence(app, page):
    """With lang=es every page renders, and none of its text is an English sentence of the catalogue (unwrapped strings show here)."""
    text = _visible_text(_open(app, page, lang="es"))
    left = sorted(piece for piece in _english_sentences() if piece in text)
    assert not left, left
    assert "View in English" in text  # the way back, worded for a reader of English


def test_spanish_headings_and_numbers_follow_the_spanish_locale(app):
    """The crime page in Spanish: its heading, its month names and its count written the Spanish way (12.345)."""
    english = _open(app, "pages/crime.py").get("markdown")[0].value.replace("\\", "")
    count = int(re.search(r": ([\d,]+) incidents\*\*", english).group(1).replace(",", ""))
    spanish_app = AppTest.from_file(APP, default_timeout=90)
    spanish = _open(spanish_app, "pages/crime.py", lang="es")
    assert spanish.title[0].value == "Delitos"
    assert {s.value for s in spanish.header} >= {"Mes a mes", "Por tipo de delito", "Por barrio"}
    spanish_headline = spanish.get("markdown")[0].value.replace("\\", "")
    assert f": {format_decimal(count, locale='es')} incidentes**" in spanish_headline
    if count >= 10_000:
        assert "." in format_decimal(count, locale="es")
    headline = spanish.get("markdown")[0].value
    assert "Delitos" not in headline and "Incidentes delictivos en todos los barrios" in headline
    assert re.search(r"\b(ene|feb|mar|abr|may|jun|jul|ago|sept|oct|nov|dic) 20\d\d\b", headline), headline


def _switch_link(page, label: str) -> dict[str, list[str]]:
    """The query of the page's language link (its label in the other language)."""
    [link] = [link for link in page.get("page_link") if link.proto.label == label]
    return parse_qs(link.proto.query_string)


def _follow(page, query: dict[str, list[str]]):
    """Open the same page with the link's query, as a click on it does."""
    for key in list(page.query_params):
        del page.query_params[key]
    for key, values in query.items():
        page.query_params[key] = values if len(values) > 1 else values[0]
    page.run()
    assert not page.exception, [e.message for e in page.exception]
    return page


def test_english_is_unchanged_without_lang(app):
    """No lang in the link: English words, English numbers, and a link offers the view in Spanish."""
    english = _open(app, "pages/crime.py")
    assert english.title[0].value == "Crime"
    assert re.search(r": [\d,]+ incidents\*\*", english.get("markdown")[0].value)
    assert _switch_link(english, "Ver en español")["lang"] == ["es"]
    assert "lang" not in english.query_params


def test_the_switch_puts_lang_es_in_the_link_and_turns_the_page_spanish(app):
    """The "Ver en español" link is this view with lang=es; followed, the page is Spanish and says so."""
    page = _open(app, "pages/crime.py")
    page = _follow(page, _switch_link(page, "Ver en español"))
    assert page.query_params.get("lang") == "es"
    assert page.title[0].value == "Delitos"
    assert _switch_link(page, "View in English")["lang"] == ["en"]


def test_the_switch_carries_the_filters_in_the_other_languages_words(app):
    """The Spanish link of an English view names its category and rates in Spanish (the words its
    widgets show and keep in the address bar), and the places and dates as they were."""
    page = _open(app, "pages/crime.py", offense="violent", measure="Per 1,000 residents", hood="Alder Park")
    query = _switch_link(page, "Ver en español")
    assert query["offense"] == ["violento"] and query["measure"] == ["Por cada 1.000 residentes"]
    assert query["hood"] == ["Alder Park"]
    page = _follow(page, query)
    assert page.multiselect(key="offense").value == ["violent"]
    assert _switch_link(page, "View in English")["measure"] == ["Per 1,000 residents"]


def test_a_spanish_link_with_english_filter_values_keeps_the_filter(app):
    """A link made in English (offense=violent, measure=Per 1,000 residents) opened with lang=es keeps its choices."""
    page = _open(app, "pages/crime.py", lang="es", offense="violent", measure="Per 1,000 residents")
    assert page.multiselect(key="offense").value == ["violent"]
    assert page.button_group(key="measure").value == "Per 1,000 residents"
    assert not page.warning, [w.value for w in page.warning]


def _zip(file: gate.ExportFile) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_spanish_download_has_spanish_notes_headers_and_canonical_values(demo_cache):
    """README.txt and the column names are Spanish; the category cells stay the canonical English values."""
    city = gate.open_city(demo_cache, "demo")
    filters = gate.Filters.make("crime_incident", date(2025, 1, 1), date(2025, 12, 31))
    with i18n.using("es"):
        published = gate.page(city, filters, gate.SitePolicy())
        parts = _zip(gate.table_file(city, filters, published.by_category, gate.SitePolicy()))
    notes = parts["README.txt"].decode()
    assert notes.startswith("Panel de datos abiertos policiales: notas de esta descarga")
    assert "Unidad de conteo: incidentes." in notes and "Seguridad en hojas de cálculo" in notes
    [csv_name] = [n for n in parts if n.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(parts[csv_name].decode("utf-8-sig"))))
    assert {"categoría", "cantidad", "proporción"} <= set(rows[0])
    assert {r["categoría"] for r in rows} >= {"violent", "property"}
    fields = json.loads(parts["datapackage.json"])["resources"][0]["schema"]["fields"]
    assert {f["name"]: f["type"] for f in fields}["cantidad"] == "integer"
    english = _zip(
        gate.table_file(
            city, filters, gate.page(city, filters, gate.SitePolicy()).by_category, gate.SitePolicy()
        )
    )
    assert english["README.txt"].decode().startswith("Policing open data dashboard: notes for this download")
    assert english.keys() == parts.keys(), "file names do not change with the language"


def test_the_briefs_survey_table_reads_in_spanish(app):
    """On a Spanish neighborhood page the survey scores' table has Spanish headings, months and decimals."""
    page = _open(app, "pages/neighborhood.py", lang="es")
    table = next(t for t in short_tables(page) if len(t.rows[0]) == 4)
    assert table.rows[0] == ["Medida", "Lugar", "Mes", "Puntaje y cambio"]
    months = {row[2] for row in table.rows[1:]}
    assert all(
        re.fullmatch(r"(ene|feb|mar|abr|may|jun|jul|ago|sept|oct|nov|dic) 20\d\d", m) for m in months
    ), months
    assert all(re.match(r"\d+,\d;", row[3]) for row in table.rows[1:]), table.rows
    assert "confianza en la policía" in {row[0] for row in table.rows[1:]}


def test_a_spanish_brief_says_so_to_its_reader(demo_cache):
    """The neighborhood brief's HTML is Spanish and says lang="es", for screen readers and translators."""
    city = gate.open_city(demo_cache, "demo")
    hood = sorted(dict(city.neighborhood_names))[0]
    with i18n.using("es"):
        brief = gate.neighborhood_brief(city, hood, (None, None), gate.SitePolicy())
        page = _zip(gate.brief_file(brief))["brief.html"].decode()
    assert page.startswith("<!DOCTYPE html><html lang='es'>")
    assert "informe del barrio" in page and "Fuentes y reglas" in page and "Tasa por cada 1.000" in page
    assert "Opinión de la comunidad: puntajes de encuestas" in page and "not published" not in page


def test_a_file_built_on_another_thread_keeps_the_language_it_was_asked_in():
    """Streamlit may build a download on another thread: the language captured in the run is the one used."""
    import threading

    with i18n.using("es"):
        lang = i18n.language()
    seen = []
    worker = threading.Thread(target=lambda: seen.append((i18n.language(), _in(lang))))
    worker.start()
    worker.join()
    assert seen == [("en", "Resumen")], "a new thread starts in English; using(lang) gives it Spanish"


def _in(lang: str) -> str:
    with i18n.using(lang):
        return i18n._("Overview")


def test_switching_language_keeps_the_chosen_filters(app):
    """A reader who picked a force type and rates, then switches to Español, keeps both (shown in Spanish)."""
    page = _open(app, "pages/use-of-force.py")
    page.multiselect(key="force").set_value(["Firearm"]).run()
    page.button_group(key="measure").set_value("Per 1,000 residents").run()
    page = _follow(page, _switch_link(page, "Ver en español"))
    assert page.multiselect(key="force").value == ["Firearm"]
    assert page.button_group(key="measure").value == "Per 1,000 residents"
    assert "Arma de fuego" in page.get("markdown")[0].value


def test_the_html_lang_script_carries_only_a_known_language_code(monkeypatch):
    """The one raw-HTML element is a fixed script and a code from LANGUAGES, whatever the link says."""
    from ui import widgets

    shown = []

    class Where:
        def html(self, body, **options):
            shown.append((body, options))

    for asked in ("es", "en", "<script>alert(1)</script>", "ES", "fr"):
        with i18n.using(asked):
            widgets.page_language(Where())
    bodies = [body.removesuffix(widgets.PAGE_SCRIPTS) for body, _options in shown]
    assert bodies == [f'<span data-page-lang="{code}"></span>' for code in ("es", "en", "en", "es", "en")]
