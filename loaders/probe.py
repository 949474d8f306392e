"""`python -m loaders check --probe SOURCE`: one small page of a source, read the way a refresh would,
reported for the person writing its catalogue entry: which mapped fields exist, sample values,
what a row would count as, which dates parse and which values no recode knows. Publishes nothing.
"""

from __future__ import annotations

import contextlib

import pyarrow as pa
import pyarrow.compute as pc

from loaders.catalog import Catalog, Source
from loaders.dates import guess_format, parse_dates
from loaders.http import HttpClient
from loaders.normalize import RECODE_FROM, recode, shared_recodes
from loaders.platforms import adapter_for
from loaders.platforms.base import PullRequest
from store.schema import schema_for

PROBE_ROWS = 200


class _Enough(Exception):
    """Raised from the page callback once the first page is in: the probe needs no more."""


def probe(catalog: Catalog, source_id: str) -> str:
    source = catalog.source(source_id)
    page = first_page(source, HttpClient(source.source_id))
    return "\n".join(report_lines(source, page, catalog.cities[source.city].time_zone))


def first_page(source: Source, http: HttpClient) -> pa.Table:
    pages: list[pa.Table] = []

    def keep(table: pa.Table) -> None:
        pages.append(table)
        raise _Enough

    request = PullRequest(source, None, PROBE_ROWS, is_probe=True)
    with contextlib.suppress(_Enough):
        adapter_for(source.platform).pull(request, http, keep, lambda *_: None)
    return pages[0].slice(0, PROBE_ROWS) if pages else pa.table({})


def report_lines(source: Source, page: pa.Table, tz: str) -> list[str]:
    lines = [f"{source.source_id}: {page.num_rows} row(s) read from the first page", ""]
    lines.append(f"fields the source has ({page.num_columns}): {', '.join(page.column_names)}")
    lines += ["", "mapped fields:"]
    for raw, role in source.fields_read().items():
        if raw in page.column_names:
            lines.append(f"  ok       {raw!r} -> {role}: e.g. {', '.join(_samples(page.column(raw)))}")
        else:
            lines.append(f"  MISSING  {raw!r} -> {role}")
    lines += ["", "counting:", *(f"  {rule}" for rule in source.rules_in_words())]
    lines += ["", "dates:", "  " + _dates(source, page, tz)]
    lines += ["", "recodes (values no table knows, on this page):", *_unmapped(source, page)]
    return lines


def _samples(column, n: int = 3) -> list[str]:
    values = pc.unique(pc.drop_null(pc.cast(column, pa.string()))).to_pylist()
    return [repr(v[:40]) for v in values[:n]] or ["(all empty)"]


def _dates(source: Source, page: pa.Table, tz: str) -> str:
    if source.date_field not in page.column_names:
        return f"{source.date_field!r} is not on the page"
    values = page.column(source.date_field).combine_chunks()
    fmt = source.date_format
    if fmt == "auto" and pa.types.is_string(values.type):
        fmt = guess_format(pc.utf8_trim_whitespace(values))
    parsed = parse_dates(values, fmt, tz)
    return f"{len(parsed) - parsed.null_count} of {len(parsed)} parse as {fmt!r}"


def _unmapped(source: Source, page: pa.Table) -> list[str]:
    lines = []
    for col in schema_for(source.kind).columns:
        if not col.vocabulary:
            continue
        fields = source.fields
        raw = (
            fields.get(col.name) or fields.get(col.name + "_raw") or fields.get(RECODE_FROM.get(col.name, ""))
        )
        if not raw or raw not in page.column_names:
            continue
        table = {**shared_recodes().get(col.vocabulary, {}), **source.recodes.get(col.name, {})}
        keywords = shared_recodes().get(f"{col.vocabulary}_keywords", {})
        _, unmapped = recode(page.column(raw).combine_chunks(), table, keywords, False)
        listed = ", ".join(f"{v!r} ({n})" for v, n in unmapped.most_common(10)) or "none"
        lines.append(f"  {col.name} (from {raw!r}): {listed}")
    return lines or ["  (no recoded column is mapped)"]
