"""The language of the words the dashboard publishes: gettext catalogues, and numbers and dates by locale.

Every visible string is written in English and passed through `_()` (or `ngettext()`), so the
gettext catalogue `locale/<lang>/LC_MESSAGES/messages.po` can translate it. Pure Python, no
Streamlit: `query/` words (captions, notes, download READMEs) and `ui/` words go through the same
functions.

The language is a context variable. `ui/` sets it once per Streamlit run from the URL's `lang`
(`set_language`), and everything that run calls reads it. Work that may run on another thread or
for another session (a download button's callable, a cached function) must not rely on it: the
caller captures `language()` and runs the work inside `using(lang)`, and cached functions take the
language as an argument, so it is part of their cache key.

The .po files are the only committed form: each is compiled in memory with Babel the first time a
language is used, so a fresh clone needs no build step (`make translations` extracts, updates and
reports what is untranslated).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages import mofile, pofile

from store.labels_es import LABELS_ES

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
# Babel locales numbers and dates are written in. es: "12.345", "1,5", "ene 2024".
FORMAT_LOCALES = {"en": "en_US", "es": "es"}
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("dashboard_language", default=DEFAULT_LANGUAGE)


def normalise(lang: object) -> str:
    """A supported language code for any input (a URL value is anyone's text): else English."""
    text = str(lang or "").strip().lower()[:5]
    return text if text in LANGUAGES else DEFAULT_LANGUAGE


def set_language(lang: object) -> str:
    """Make `lang` the current language of this thread's run; returns the code actually used."""
    code = normalise(lang)
    _current.set(code)
    return code


def language() -> str:
    """The current language code ("en", "es")."""
    return _current.get()


@contextmanager
def using(lang: object) -> Iterator[str]:
    """Run a block in `lang` (a download built on another thread, a cached function)."""
    token = _current.set(normalise(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English needs none: msgids are English)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = pofile.read_po(handle, locale=lang)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """The message in the current language."""
    return translations(language()).gettext(message)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; `_()` translates it where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for `n`, in the current language (Spanish has two forms too)."""
    return translations(language()).ngettext(singular, plural, n)


def term(text: str | None, vocabulary: str = "") -> str:
    """A word store/schema.py defines (a category, a finding, a unit, a kind's title) for display.

    Canonical values stay canonical in CSV files and filters; only what a reader sees is translated.
    `vocabulary` ("race", "force_type") picks the right gender where Spanish needs it ("Otra", "Otro").
    """
    if text is None:
        return ""
    if language() != "es":
        return text
    table = LABELS_ES.get(vocabulary) or {}
    return table.get(text) or LABELS_ES["terms"].get(text, text)


def header(name: str) -> str:
    """A summary table's column name in the reader's language (CSV and screen agree)."""
    if language() != "es" or not isinstance(name, str):
        return name
    return LABELS_ES["headers"].get(name, name)


def canonical_header(name: str) -> str:
    """The English column name behind a translated one (a data package types fields by it)."""
    english = {spanish: english for english, spanish in LABELS_ES["headers"].items()}
    return english.get(name, name)


# -- numbers and dates ----------------------------------------------------------------------------


def _locale() -> str:
    return FORMAT_LOCALES[language()]


# Babel's format_* parse the locale and the pattern on every call (about 0.1 ms); a page formats
# hundreds of numbers per view, so the locale's symbols, month names and percent sign are read
# from Babel once per locale and applied with plain string formatting.
@lru_cache(maxsize=len(LANGUAGES))
def _symbols(locale: str) -> dict[int, str]:
    return str.maketrans(
        {",": babel_numbers.get_group_symbol(locale), ".": babel_numbers.get_decimal_symbol(locale)}
    )


@lru_cache(maxsize=len(LANGUAGES))
def _percent_affixes(locale: str) -> tuple[str, str]:
    text = babel_numbers.format_percent(0.5, locale=locale)  # "50%", "50 %"
    before, _sep, after = text.partition("50")
    return before, after


@lru_cache(maxsize=len(LANGUAGES))
def _months(locale: str) -> dict[int, str]:
    return dict(babel_dates.get_month_names("abbreviated", context="format", locale=locale))


def number(value: float | int | None, digits: int = 0) -> str:
    """1234 -> "1,234" (en) or "1.234" (es); `digits` decimals exactly."""
    if value is None:
        return ""
    return f"{float(value) if digits else round(value):,.{digits}f}".translate(_symbols(_locale()))


def signed_percent(pct: float) -> str:
    """+12% / -3% ("+12 %" in Spanish); `pct` in percent, rounded to a whole number, always signed."""
    signed = f"{pct:+.0f}"  # Python's rounding and sign, as the English pages always had
    return signed[0] + percent(abs(float(signed)) / 100)


def percent(share: float, digits: int = 0) -> str:
    """0.123 -> "12%" (en) or "12 %" (es), with the locale's own percent sign and spacing."""
    before, after = _percent_affixes(_locale())
    return before + number(share * 100, digits) + after


def month_year(day: date | datetime) -> str:
    """ "Jan 2024" / "ene 2024" (Babel's abbreviated month names of the locale)."""
    return f"{_months(_locale())[day.month]} {day.year}"


def day_month_year(day: date | datetime, padded: bool = False) -> str:
    """ "3 Jan 2024" ("03 Jan 2024" when padded) / "3 ene 2024"."""
    return (f"{day.day:02d}" if padded else str(day.day)) + " " + month_year(day)


def moment_words(moment: datetime) -> str:
    """ "05 Jan 2024 14:30" / "05 ene 2024 14:30" (the caller adds the zone)."""
    return f"{day_month_year(moment, padded=True)} {moment:%H:%M}"


def plotly_separators() -> str:
    """plotly's `separators` (decimal, then thousands) for the current locale: ".," or ",."."""
    symbols = babel_numbers.get_decimal_symbol(_locale()) + babel_numbers.get_group_symbol(_locale())
    return symbols
