"""The short tables a page drew (widgets.short_table writes them as Markdown), read back as rows of text."""

import re

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def short_table_rows(app) -> list[list[str]]:
    """Every body row of every Markdown table on the page, each cell as a reader sees it."""
    rows = []
    for element in app.markdown:
        if not element.value.startswith("| "):
            continue
        for line in element.value.splitlines()[2:]:  # after the header and its alignment row
            cells = _CELL_BORDER.split(line.strip())[1:-1]
            rows.append([_ESCAPE.sub(r"\1", cell.strip()) for cell in cells])
    return rows
