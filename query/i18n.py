"""The language of the words the dashboard publishes (stub: English only until the catalogues land).

Every visible string is written in English and passed through `_()` (or `ngettext()`), so the
gettext catalogues can translate it. Pure Python, no Streamlit: `query/` words (captions, notes,
download READMEs) and `ui/` words go through the same function.
"""

from __future__ import annotations

LANGUAGES = ("en",)


def _(message: str) -> str:
    """The message in the current language."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for `n`, in the current language."""
    return singular if n == 1 else plural
