"""ArcGIS REST FeatureServer / MapServer layers: `resultOffset` paging in OBJECTID order.

Pages continue while the server says `exceededTransferLimit`; a short page proves nothing, because
servers cap `resultRecordCount` at their own limit. Layers without pagination are read by asking for
every OBJECTID first and fetching them in sorted chunks. ArcGIS reports errors inside HTTP 200
answers, so every answer is checked for an `error` key.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from loaders.dates import wall_clock_ms_to_utc_ms
from loaders.errors import (
    FeedAuthError,
    FeedConfigError,
    FeedFormatError,
    FeedIncompleteError,
    FeedUnavailableError,
)
from loaders.http import HttpClient, redact_url
from loaders.platforms.arcgistime import as_tzinfo, layer_time_zone
from loaders.platforms.base import (
    GEOMETRY_X,
    GEOMETRY_Y,
    UPDATED_AT_COLUMN,
    Emit,
    Progress,
    PullRequest,
    PullResult,
)

TRANSIENT_CODES = frozenset({500, 503})  # "Error performing query operation" near the end of huge layers
AUTH_CODES = frozenset({498, 499})  # invalid token / token required
ARROW_TYPES = {
    "esriFieldTypeOID": pa.int64(),
    "esriFieldTypeSmallInteger": pa.int64(),
    "esriFieldTypeInteger": pa.int64(),
    "esriFieldTypeBigInteger": pa.int64(),
    # Epoch milliseconds, UTC (local ones under dateFieldsTimeReference are made UTC on read);
    # normalize converts them to the city's zone deliberately.
    "esriFieldTypeDate": pa.int64(),
    "esriFieldTypeSingle": pa.float64(),
    "esriFieldTypeDouble": pa.float64(),
}
# Never among the attributes of a query answer. Every other type (strings, GUIDs, the 11.2
# DateOnly / TimeOnly / TimestampOffset types) is kept as text.
SKIPPED_TYPES = frozenset(
    {"esriFieldTypeGeometry", "esriFieldTypeBlob", "esriFieldTypeRaster", "esriFieldTypeXML"}
)
UPDATED_AT_TYPE = pa.timestamp("ms", tz="UTC")


@dataclass(frozen=True)
class Layer:
    oid_field: str
    page_size: int
    is_paged: bool
    schema: pa.Schema  # the attribute columns every page is cast to
    updated_at: datetime | None
    fields: tuple[str, ...] = ()  # every field the layer declares, as the source's own column list
    time_zone: str | None = None  # the zone date-field epochs are wall-clock times in; None: UTC
    date_fields: tuple[str, ...] = ()


class ArcGISAdapter:
    platform = "arcgis"

    def pull(self, request: PullRequest, http: HttpClient, emit: Emit, progress: Progress) -> PullResult:
        source = request.source
        layer_url = source.endpoint.rstrip("/")
        layer = read_layer(ask(http, layer_url, {"f": "json"}, method="GET"), request, http.source_id)
        where = where_clause(
            source.options.get("where", "1=1"), source.updated_at_field, request.since, layer.time_zone
        )
        query_url = f"{layer_url}/query"
        count = _count(
            ask(http, query_url, {"f": "json", "where": where, "returnCountOnly": "true"}), http.source_id
        )
        query = {
            "f": "json",
            "where": where,
            "outFields": "*",
            "returnGeometry": "true",
            "outSR": str(source.options.get("out_sr", 4326)),
        }
        walk = _pages_by_offset if layer.is_paged else _pages_by_ids
        pages = rows = 0
        for page in walk(http, query_url, query, layer, count):
            emit(with_updated_at(dates_to_utc(page, layer), source.updated_at_field))
            pages, rows = pages + 1, rows + page.num_rows
            progress(pages, rows)
        extra = (GEOMETRY_X, GEOMETRY_Y) + ((UPDATED_AT_COLUMN,) if source.updated_at_field else ())
        return PullResult(pages, rows, count, layer.updated_at, extra, available_fields=layer.fields)


def ask(http: HttpClient, url: str, params: dict, *, method: str = "POST") -> dict:
    """A JSON answer from the layer, retrying the transient errors ArcGIS reports inside HTTP 200."""
    # POST because incremental where clauses and objectIds lists outgrow a URL.
    attempts = http.policy.max_attempts
    for attempt in range(1, attempts + 1):
        answer = http.get_json(url, params, method=method)
        if error_code(answer) not in TRANSIENT_CODES or attempt == attempts:
            break
        http.pause(attempt)
    raise_for_error(answer, http.source_id, redact_url(url))
    return answer


def error_code(answer) -> int | None:
    """The code of an `{"error": {...}}` answer, 0 when it has none, None when the answer is no error."""
    if not isinstance(answer, dict) or not isinstance(answer.get("error"), dict):
        return None
    try:
        return int(answer["error"].get("code") or 0)
    except (TypeError, ValueError):
        return 0


def raise_for_error(answer, source_id: str, url: str | None = None) -> None:
    """Raise the typed error an ArcGIS answer describes (they come with HTTP 200)."""
    if not isinstance(answer, dict):
        raise FeedFormatError(source_id, "the answer is not a JSON object", url=url)
    code = error_code(answer)
    if code is None:
        return
    inner = answer["error"]
    details = "; ".join(str(d) for d in inner.get("details") or [])
    message = f"ArcGIS error {code}: {inner.get('message') or 'no message'}" + (
        f" ({details})" if details else ""
    )
    if code in AUTH_CODES:
        raise FeedAuthError(source_id, message, url=url)
    if code in TRANSIENT_CODES:
        raise FeedUnavailableError(source_id, message, url=url)
    raise FeedConfigError(source_id, message, url=url)


def read_layer(meta: dict, request: PullRequest, source_id: str) -> Layer:
    """What the layer's `?f=json` metadata says about paging, its OBJECTID field and column types."""
    fields = meta.get("fields")
    if not isinstance(fields, list) or not fields:
        raise FeedConfigError(
            source_id, "the endpoint lists no fields; it must be a layer URL ending in /<n>"
        )
    if not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields):
        raise FeedFormatError(source_id, "the layer metadata lists a field without a text `name`")
    types = {f.get("name"): f.get("type") for f in fields}
    oid = meta.get("objectIdField") or next((n for n, t in types.items() if t == "esriFieldTypeOID"), None)
    if oid not in types:
        raise FeedConfigError(source_id, "the layer has no OBJECTID field to order pages by")
    updated_at_field = request.source.updated_at_field
    if updated_at_field and types.get(updated_at_field) != "esriFieldTypeDate":
        raise FeedConfigError(source_id, f"updated_at_field {updated_at_field!r} is not a date field")
    capabilities = meta.get("advancedQueryCapabilities") or {}
    # Offsets are only safe in a stable order, so a layer that cannot sort is read by id chunks.
    is_paged = bool(capabilities.get("supportsPagination", meta.get("supportsPagination", False)))
    is_paged = is_paged and capabilities.get("supportsOrderBy", True) is not False
    page_size = min(
        request.effective_page_size, int(meta.get("maxRecordCount") or request.effective_page_size)
    )
    editing = meta.get("editingInfo") or {}
    edited_ms = editing.get("dataLastEditDate") or editing.get("lastEditDate")
    updated_at = datetime.fromtimestamp(edited_ms / 1000, UTC) if isinstance(edited_ms, int | float) else None
    names = tuple(f["name"] for f in fields)
    dates = tuple(f["name"] for f in fields if f.get("type") == "esriFieldTypeDate")
    zone = layer_time_zone(meta, source_id)
    return Layer(oid, page_size, is_paged, arrow_schema(fields), updated_at, names, zone, dates)


def arrow_schema(fields: list[dict]) -> pa.Schema:
    """Arrow types for a layer's attribute fields, from its metadata or a query answer."""
    return pa.schema(
        [
            (f["name"], ARROW_TYPES.get(f.get("type"), pa.string()))
            for f in fields
            if f.get("type") not in SKIPPED_TYPES
        ]
    )


def where_clause(
    base: str, updated_at_field: str | None, since: datetime | None, time_zone: str | None = None
) -> str:
    """The where clause for a pull; without an updated-at field an incremental pull reads everything."""
    if since is None or not updated_at_field:
        return base
    # The layer compares against the values it stores, which are wall-clock times in its own zone.
    moment = (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(
        as_tzinfo(time_zone) if time_zone else UTC
    )
    changed = f"{updated_at_field} > timestamp '{moment:%Y-%m-%d %H:%M:%S}'"
    return changed if base.strip() == "1=1" else f"({base}) AND {changed}"


def has_more(answer: dict) -> bool | None:
    """`exceededTransferLimit`, top-level (f=json) or under `properties` (f=geojson); None when absent."""
    for holder in (answer, answer.get("properties") or {}):
        if "exceededTransferLimit" in holder:
            return bool(holder["exceededTransferLimit"])
    return None


def parse_query_page(answer: dict, schema: pa.Schema | None = None, source_id: str = "arcgis") -> pa.Table:
    """One query answer as a table: attributes cast to `schema`, plus point geometry as x/y columns."""
    raise_for_error(answer, source_id)
    features = answer.get("features")
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise FeedFormatError(source_id, "a query answer has no 'features' list of objects")
    schema = schema if schema is not None else arrow_schema(answer.get("fields") or [])
    attributes = [f.get("attributes") or {} for f in features]
    columns = {
        field.name: _typed([a.get(field.name) for a in attributes], field.type, field.name, source_id)
        for field in schema
    }
    geometries = [f.get("geometry") or {} for f in features]
    columns[GEOMETRY_X] = pa.array([_coordinate(g.get("x")) for g in geometries], pa.float64())
    columns[GEOMETRY_Y] = pa.array([_coordinate(g.get("y")) for g in geometries], pa.float64())
    return pa.table(columns)


def dates_to_utc(page: pa.Table, layer: Layer) -> pa.Table:
    """The page with date fields that hold local wall-clock epochs turned into true UTC epochs."""
    if layer.time_zone is None:
        return page
    for name in layer.date_fields:
        if name in page.column_names:
            index = page.column_names.index(name)
            page = page.set_column(index, name, wall_clock_ms_to_utc_ms(page.column(name), layer.time_zone))
    return page


def with_updated_at(page: pa.Table, updated_at_field: str | None) -> pa.Table:
    """The page with the record's last-edit time (epoch ms) as a UTC timestamp column, when known."""
    if not updated_at_field:
        return page
    return page.append_column(UPDATED_AT_COLUMN, page.column(updated_at_field).cast(UPDATED_AT_TYPE))


def _pages_by_offset(http: HttpClient, url: str, query: dict, layer: Layer, count: int) -> Iterator[pa.Table]:
    offset, last_oid = 0, None
    while True:
        params = {
            **query,
            "orderByFields": f"{layer.oid_field} ASC",
            "resultOffset": offset,
            "resultRecordCount": layer.page_size,
        }
        answer = ask(http, url, params)
        page = parse_query_page(answer, layer.schema, http.source_id)
        more = has_more(answer)
        if page.num_rows == 0:
            if more:
                raise FeedIncompleteError(
                    http.source_id, f"the server says more rows follow offset {offset:,} but sent none"
                )
            return
        last_oid = _check_ascending(_oids(page, layer, http.source_id), last_oid, http.source_id)
        yield page
        offset += page.num_rows  # what arrived, not what was asked for
        # Servers before 10.3.1 leave the flag out of paged answers; then the count decides.
        if more is False or (more is None and offset >= count):
            return


def _pages_by_ids(http: HttpClient, url: str, query: dict, layer: Layer, count: int) -> Iterator[pa.Table]:
    answer = ask(http, url, {"f": "json", "where": query["where"], "returnIdsOnly": "true"})
    listed = _object_ids(answer, http.source_id)
    ids = np.unique(listed)
    if len(ids) != len(listed):
        raise FeedIncompleteError(
            http.source_id, f"the layer lists {len(listed) - len(ids):,} OBJECTIDs twice"
        )
    chunks = deque(ids[i : i + layer.page_size] for i in range(0, len(ids), layer.page_size))
    while chunks:
        chunk = chunks.popleft()
        answer = ask(http, url, {**query, "objectIds": ",".join(map(str, chunk.tolist()))})
        page = parse_query_page(answer, layer.schema, http.source_id)
        received = _oids(page, layer, http.source_id)
        if len(np.unique(received)) != len(received) or not np.isin(received, chunk).all():
            raise FeedIncompleteError(
                http.source_id, "a chunk of OBJECTIDs came back with duplicates or strangers"
            )
        if page.num_rows:
            yield page
        missing = chunk[~np.isin(chunk, received)]
        # A server capping below its advertised maxRecordCount sends part of a chunk; ask again for the rest.
        # Ids missing without the flag were deleted since they were listed; the count check reports that.
        if len(missing) and has_more(answer):
            if not page.num_rows:
                raise FeedIncompleteError(http.source_id, "the server says more rows exist but sent none")
            chunks.appendleft(missing)


def _object_ids(answer: dict, source_id: str) -> np.ndarray:
    """The `objectIds` of a returnIdsOnly answer as int64; nulls or text in it are a protocol breakage."""
    try:
        return np.asarray(answer.get("objectIds") or [], dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise FeedFormatError(source_id, "returnIdsOnly listed object ids that are not integers") from None


def _oids(page: pa.Table, layer: Layer, source_id: str) -> np.ndarray:
    """The page's OBJECTIDs; rows without one cannot be checked for repeats, so they stop the pull."""
    oids = page.column(layer.oid_field)
    if oids.null_count:
        raise FeedFormatError(
            source_id,
            f"{oids.null_count:,} rows came back without the layer's id field {layer.oid_field!r}",
            next_step="The layer's query answers name its id field differently; check the layer in a browser.",
        )
    return oids.to_numpy(zero_copy_only=False)


def _check_ascending(values: np.ndarray, last_oid: int | None, source_id: str) -> int:
    # Pages are in OBJECTID order, so strictly rising ids prove no row came twice, in O(1) memory.
    if (last_oid is not None and values[0] <= last_oid) or (np.diff(values) <= 0).any():
        raise FeedIncompleteError(
            source_id, "pages came back out of OBJECTID order, so rows may be repeated or skipped"
        )
    return int(values[-1])


def _count(answer: dict, source_id: str) -> int:
    value = answer.get("count")
    if not isinstance(value, int):
        raise FeedFormatError(source_id, f"returnCountOnly answered {answer!r:.200}")
    return value


def _coordinate(value) -> float | None:
    # Empty points arrive as null or the string "NaN".
    return float(value) if isinstance(value, int | float) and value == value else None


def _typed(values: list, type_: pa.DataType, name: str, source_id: str) -> pa.Array:
    try:
        return pa.array(values, type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    try:
        if pa.types.is_string(type_):
            return pa.array([v if v is None or isinstance(v, str) else str(v) for v in values], type_)
        return pa.array(values).cast(type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise FeedFormatError(source_id, f"field {name!r} holds values that are not {type_}") from None
