"""CKAN DataStore: `datastore_search` paged by `limit`/`offset` in `_id` order.

CKAN silently lowers `limit` to its `rows_max`, so the offset advances by the rows that actually
arrived and the pull ends on the server's own `total` (or an empty page), never on `_links.next`,
which is present even past the end.

There is no incremental pull: the DataStore has no standard last-modified column and
`datastore_search` filters only by equality, so a request with `since` still reads every row.
"""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa

from loaders.errors import FeedConfigError, FeedFormatError, FeedIncompleteError
from loaders.http import HttpClient, redact_url
from loaders.platforms.base import Emit, Progress, PullRequest, PullResult

ID_COLUMN = "_id"
INTEGER_TYPES = frozenset({"int", "int2", "int4", "int8", "integer", "smallint", "bigint", "serial"})
FLOAT_TYPES = frozenset({"float", "float4", "float8", "numeric", "double precision", "real", "number"})
JSON_TYPES = frozenset({"json", "jsonb", "nested"})
# timestamp, date, time, interval and text stay the raw strings the server sent, for normalize to parse.


class CkanAdapter:
    platform = "ckan"

    def pull(self, request: PullRequest, http: HttpClient, emit: Emit, progress: Progress) -> PullResult:
        source = request.source
        if not source.dataset_id:
            raise FeedConfigError(
                source.source_id, "a CKAN source needs dataset_id (the DataStore resource id)"
            )
        url = f"{source.endpoint.rstrip('/')}/api/3/action/datastore_search"
        sort_key = source.options.get("sort_key", ID_COLUMN)
        # A sort key that is not unique lets rows swap between pages; ending on _id makes it unique.
        sort = f"{sort_key} asc" if sort_key == ID_COLUMN else f"{sort_key} asc, {ID_COLUMN} asc"
        schema, total, last_id, declared = None, None, None, None
        pages = rows = 0
        while total is None or rows < total:
            params = {
                "resource_id": source.dataset_id,
                "limit": request.effective_page_size,
                "offset": rows,
                "sort": sort,
                "include_total": "true",
            }
            result = search_result(http.get_json(url, params), http.source_id, redact_url(url))
            if total is not None and result["total"] != total:
                raise FeedIncompleteError(
                    http.source_id,
                    f"the row count changed from {total:,} to {result['total']:,} during the pull",
                )
            total = result["total"]
            if schema is None:  # the first page declares the columns for the whole pull
                schema = arrow_schema(result["fields"])
                declared = tuple(f["id"] for f in result["fields"])
            page = parse_records(result, schema, http.source_id)
            if page.num_rows == 0:
                break
            if sort_key == ID_COLUMN:
                last_id = _check_ascending(page, last_id, http.source_id)
            emit(page)
            pages, rows = pages + 1, rows + page.num_rows  # the offset moves by what arrived
            progress(pages, rows)
        return PullResult(pages, rows, total, None, (ID_COLUMN,), available_fields=declared)


def search_result(answer, source_id: str, url: str | None = None) -> dict:
    """The `result` of a datastore_search answer, checked for errors and an exact total."""
    if not isinstance(answer, dict):
        raise FeedFormatError(source_id, "the answer is not a JSON object", url=url)
    if answer.get("success") is not True:
        raise FeedConfigError(source_id, f"CKAN refused the request: {_error_message(answer)}", url=url)
    result = answer.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("records"), list):
        raise FeedFormatError(source_id, "datastore_search answered without a records list", url=url)
    if not isinstance(result.get("total"), int) or not isinstance(result.get("fields"), list):
        raise FeedFormatError(source_id, "datastore_search answered without total and fields", url=url)
    if not all(isinstance(f, dict) and isinstance(f.get("id"), str) for f in result["fields"]):
        raise FeedFormatError(source_id, "datastore_search listed a field without a text `id`", url=url)
    if result.get("total_was_estimated"):
        raise FeedIncompleteError(
            source_id,
            "the DataStore total was estimated, not exact, so completeness cannot be checked",
            url=url,
        )
    return result


def arrow_schema(fields: list[dict]) -> pa.Schema:
    """Arrow types for DataStore `fields[]`; text-like and JSON-like columns become strings."""
    return pa.schema([(f["id"], _arrow_type(str(f.get("type", "text")))) for f in fields])


def parse_records(result: dict, schema: pa.Schema | None = None, source_id: str = "ckan") -> pa.Table:
    """A page of `records_format: objects` records as a table of `schema`, built column by column."""
    if schema is None:
        schema = arrow_schema(result["fields"])
    names = [f.get("id") for f in result["fields"]]
    if set(names) != set(schema.names):
        raise FeedFormatError(source_id, f"the DataStore columns changed during the pull: now {names}")
    records = result["records"]
    if not all(isinstance(r, dict) for r in records):
        raise FeedFormatError(source_id, "records are not objects (records_format must be 'objects')")
    return pa.table(
        {f.name: _typed([r.get(f.name) for r in records], f.type, f.name, source_id) for f in schema},
        schema=schema,
    )


def _arrow_type(ckan_type: str) -> pa.DataType:
    if ckan_type in INTEGER_TYPES:
        return pa.int64()
    if ckan_type in FLOAT_TYPES:
        return pa.float64()
    if ckan_type == "bool":
        return pa.bool_()
    return pa.string()


def _typed(values: list, type_: pa.DataType, name: str, source_id: str) -> pa.Array:
    if pa.types.is_string(type_):
        # json columns arrive as objects and array types (_text, _int4 ...) as lists: keep them as JSON text.
        return pa.array(
            [v if v is None or isinstance(v, str) else orjson.dumps(v).decode() for v in values], type_
        )
    try:
        return pa.array(values, type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    try:
        return pa.array(values).cast(type_)  # numeric columns may arrive as strings
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise FeedFormatError(source_id, f"column {name!r} holds values that are not {type_}") from None


def _check_ascending(page: pa.Table, last_id: int | None, source_id: str) -> int | None:
    # Sorted on the unique _id, so rising ids prove no row came twice without remembering them all.
    if ID_COLUMN not in page.column_names:
        return last_id
    ids = page.column(ID_COLUMN).to_numpy(zero_copy_only=False)
    if (last_id is not None and ids[0] <= last_id) or (np.diff(ids) <= 0).any():
        raise FeedIncompleteError(
            source_id, "pages came back out of _id order, so rows may be repeated or skipped"
        )
    return int(ids[-1])


def _error_message(answer: dict) -> str:
    error = answer.get("error")
    if not isinstance(error, dict):
        return str(error or "no error message")[:300]
    kind = error.get("__type", "error")
    message = error.get("message") or "; ".join(f"{k}: {v}" for k, v in error.items() if k != "__type")
    return f"{kind}: {message}"[:300]
