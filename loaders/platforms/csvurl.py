"""Plain CSV URLs: streamed to disk, encoding and header checked, parsed by pyarrow in blocks.

A CSV file has no protocol, so every failure would be silent unless checked: an HTML page served
with 200, a file in another encoding, a header that lost a column. The file is downloaded whole
(retried as a unit) and then read in blocks, so memory stays bounded whatever its size.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from loaders.errors import FeedEncodingError, FeedFormatError
from loaders.http import HttpClient, redact_url
from loaders.platforms.base import Emit, Progress, PullRequest, PullResult
from loaders.platforms.textencoding import Encoding, choose_encoding

BLOCK_BYTES = 8 << 20


class CsvAdapter:
    platform = "csv"

    def pull(self, request: PullRequest, http: HttpClient, emit: Emit, progress: Progress) -> PullResult:
        source = request.source
        with tempfile.TemporaryDirectory(prefix="feed-") as tmp:
            path = Path(tmp) / "download.csv"
            download = http.download(source.endpoint, path, headers=_conditional(request.validators))
            if download.status == 304:
                return PullResult(0, 0, None, is_unchanged=True, validators=request.validators)
            url = redact_url(source.endpoint)
            encoding = choose_encoding(path, download.content_type, source.encoding, source.source_id, url)
            header = read_header(path, encoding, source.source_id, url)
            wanted = set(header) if request.is_probe else _check_header(source, header, url)
            wanted |= {name for name in header if source.reads_column(name)}
            pages = rows = 0
            for batch in _batches(path, encoding, header, wanted, source.source_id):
                emit(pa.Table.from_batches([batch]))
                pages, rows = pages + 1, rows + batch.num_rows
                progress(pages, rows)
        return PullResult(pages, rows, None, validators=download.validators, available_fields=tuple(header))


def read_header(path: Path, encoding: Encoding, source_id: str = "csv", url: str | None = None) -> list[str]:
    """The header row's names, past any BOM that is not the chosen encoding's own."""
    with path.open("rb") as raw:
        raw.seek(encoding.skip_bytes)
        with io.TextIOWrapper(raw, encoding=encoding.name, newline="") as fh:
            try:
                first = next(csv.reader(fh), [])
            except csv.Error as exc:  # e.g. a quote opened in the header and never closed
                raise FeedFormatError(
                    source_id, f"the header row is not valid CSV ({exc})", url=url
                ) from None
    return [name.lstrip("\ufeff").strip() for name in first]


def _check_header(source, header: list[str], url: str) -> set[str]:
    """The columns the catalogue maps; raises if the file lacks any of them."""
    if not header or header[0].lstrip().startswith("<"):
        raise FeedFormatError(source.source_id, "the file has no CSV header (an HTML page?)", url=url)
    wanted = set(source.fields_read())
    doubled = sorted(name for name in wanted if header.count(name) > 1)
    if doubled:  # pyarrow would silently read the first of them; which one the catalogue means is unknown
        raise FeedFormatError(
            source.source_id,
            f"the header names mapped column(s) {', '.join(doubled)} more than once",
            url=url,
            next_step="Ask the publisher to fix the export, or map another column in loaders/sources.toml.",
        )
    missing = sorted(name for name in wanted if name not in header)
    if missing:
        raise FeedFormatError(
            source.source_id,
            f"the file lacks column(s) {', '.join(missing)}; it has {', '.join(header[:40])}",
            url=url,
            next_step="The publisher may have renamed columns; update [fields] in loaders/sources.toml.",
        )
    return wanted


def _batches(path: Path, encoding: Encoding, header: list[str], wanted: set[str], source_id: str):
    """Blocks of the file, only the mapped columns converted (the rest are skipped, not parsed)."""
    names = [name or f"column_{i}" for i, name in enumerate(header)]
    # The header row is skipped, so a foreign BOM in front of it never reaches a column name.
    read = pacsv.ReadOptions(encoding=encoding.name, block_size=BLOCK_BYTES, column_names=names, skip_rows=1)
    convert = pacsv.ConvertOptions(
        include_columns=[name for name in names if name in wanted],
        column_types=dict.fromkeys(names, pa.string()),
        null_values=[""],  # only an empty cell is missing: "NULL", "N/A", "NaN" are published text
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    parse = pacsv.ParseOptions(newlines_in_values=True)
    try:
        yield from pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise FeedFormatError(source_id, f"the file is not well-formed CSV: {exc}") from None
    except UnicodeDecodeError as exc:  # checked beforehand, so only a file changed under us gets here
        raise FeedEncodingError(
            source_id, f"the text stopped decoding as {encoding.name}: {exc.reason}"
        ) from None


def _conditional(validators: dict | None) -> dict | None:
    if not validators:
        return None
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers or None
