"""The short tables a page drew (widgets.short_table writes them as HTML), read back as rows of text."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

START = '<table class="short-table">'


@dataclass
class ShortTable:
    """One short table as a reader gets it: the tags it used and each row's cells as plain text."""

    tags: set[str] = field(default_factory=set)
    rows: list[list[str]] = field(default_factory=list)  # the header row first


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.table = ShortTable()
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.table.tags.add(tag)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.table.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_short_table(body: str) -> ShortTable:
    reader = _Reader()
    reader.feed(body)
    reader.close()
    return reader.table


def short_tables(app) -> list[ShortTable]:
    """Every short table on the page, in the order drawn."""
    return [read_short_table(e.proto.body) for e in app.get("html") if e.proto.body.startswith(START)]


def short_table_rows(app) -> list[list[str]]:
    """Every body row of every short table on the page, each cell as a reader sees it."""
    return [row for table in short_tables(app) for row in table.rows[1:]]


def open_every_expander(app) -> None:
    """Open every expander that builds its content only when opened (a keyed one), and run again."""
    keys = [e.proto.id.split("-", 2)[-1] for e in app.expander if e.proto.id.startswith("$$ID-")]
    for key in keys:
        if key in app.session_state:
            app.session_state[key] = True
    app.run()
