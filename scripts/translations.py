"""`make translations`: extract every _() / ngettext() message, update the Spanish catalogue, and
list what is left to translate, each with the file:line it comes from.

Runs `pybabel extract` (with babel.cfg) and `pybabel update`, then reads locale/es/.../messages.po
back and prints each untranslated or fuzzy message with where the code uses it. Exits 1 while any
remains, so the integrator sees at once what a merge brought in. The catalogue keeps no source
locations (`--no-location`): line numbers would change it on every edit and make merges conflict;
they are found again here when reporting. No .mo file is written: query/i18n.py compiles the .po
in memory at start.
"""

from __future__ import annotations

import configparser
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from babel.messages import pofile
from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "locale" / "messages.pot"
LANGUAGES = ("es",)


def extract() -> None:
    pybabel = Path(sys.executable).with_name("pybabel")
    common = ["--no-wrap", "--no-location", "--sort-output"]
    subprocess.run(
        [
            str(pybabel),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(TEMPLATE),
            "--project",
            "policing-dashboard",
            "--omit-header",
            *common,
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    for lang in LANGUAGES:
        po = ROOT / "locale" / lang / "LC_MESSAGES" / "messages.po"
        command = "update" if po.exists() else "init"
        extra = ["--ignore-obsolete", "--no-fuzzy-matching"] if command == "update" else []
        subprocess.run(
            [
                str(pybabel),
                command,
                "-i",
                str(TEMPLATE),
                "-d",
                "locale",
                "-l",
                lang,
                "--no-wrap",
                *extra,
            ],
            cwd=ROOT,
            check=True,
        )


def locations() -> dict[str, list[str]]:
    """Where each message is used, "file:line", from the same extraction as `pybabel extract`."""
    config = configparser.ConfigParser()
    config.read(ROOT / "babel.cfg")
    method_map = [(section.split(":", 1)[1].strip(), "python") for section in config.sections()]
    found = defaultdict(list)
    for path, line, message, _comments, _context in extract_from_dir(ROOT, method_map):
        found[message[0] if isinstance(message, tuple) else message].append(f"{path}:{line}")
    return found


def untranslated(lang: str) -> list[str]:
    """One line per message without a usable translation: file:line, then the English text."""
    with (ROOT / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = pofile.read_po(handle, locale=lang)
    where_used = locations()
    lines = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            text = message.id[0] if isinstance(message.id, tuple) else message.id
            where = ", ".join(where_used.get(text, ["?"]))
            lines.append(f"{where}: {'(fuzzy) ' if message.fuzzy else ''}{text}")
    return sorted(lines)


def main() -> int:
    extract()
    missing = {lang: untranslated(lang) for lang in LANGUAGES}
    for lang, lines in missing.items():
        print(f"\n{lang}: {len(lines)} message(s) to translate in locale/{lang}/LC_MESSAGES/messages.po")
        for line in lines:
            print("  " + line)
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
