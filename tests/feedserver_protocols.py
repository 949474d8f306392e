"""The three platform protocols FeedServer speaks (Socrata SODA 2.x, ArcGIS FeatureServer, CKAN DataStore).

Hand-made test infrastructure. Each handler takes a dataset held as an Arrow table plus the request's
parameters and returns a `Response`. Filtering, ordering and JSON/CSV text are built column-wise with
pyarrow, so pages of tens of thousands of rows cost milliseconds, not a Python object per value.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import reduce
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from tests.feedserver import Dataset

JSON_TYPE = "application/json; charset=utf-8"
OID = "OBJECTID"
ROW_NUMBER = "__row_number"  # 1..n in table order: ArcGIS OBJECTID and CKAN _id
SOQL_SYSTEM = (":id", ":updated_at")
_SOQL_PARAMS = frozenset({"$select", "$where", "$order", "$limit", "$offset", "$group", "$having", "$q"})
_OPS = {">": pc.greater, ">=": pc.greater_equal, "<": pc.less, "<=": pc.less_equal, "=": pc.equal}
_OPS |= {"!=": pc.not_equal, "<>": pc.not_equal}
_LITERAL = r"('(?:[^']|'')*'|-?\d+(?:\.\d+)?)"
_SOQL_CONDITION = re.compile(rf"^\s*([:\w]+)\s*(>=|<=|!=|<>|=|>|<)\s*{_LITERAL}\s*$")
_ESRI_CONDITION = re.compile(rf"^\s*(\w+)\s*(>=|<=|<>|=|>|<)\s*(?:(timestamp|date)\s+)?{_LITERAL}\s*$", re.I)
# `field IN ('a', 'b')`, as "check at the source" links ask (both platforms spell it the same way).
_IN_CONDITION = re.compile(rf"^\s*(\w+)\s+in\s*\(\s*({_LITERAL}(?:\s*,\s*{_LITERAL})*)\s*\)\s*$", re.I)
_ORDER_ITEM = re.compile(r'^\s*"?([:\w]+)"?(?:\s+(asc|desc))?\s*$', re.I)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class QueryError(Exception):
    """A query the platform would refuse; `code` is the platform's error code."""

    def __init__(self, code: str, message: str, param: str = ""):
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


def json_response(
    payload, status: int = 200, headers: dict | None = None, raw: bytes | None = None
) -> Response:
    """`payload` as JSON; a string value "@RAW@" is replaced by the pre-built JSON text `raw`."""
    body = orjson.dumps(payload)
    if raw is not None:
        body = body.replace(b'"@RAW@"', raw, 1)
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


# --- column text, built vectorised ---------------------------------------------------------------------


def naive_utc(col, unit: str):
    """A timestamp (or date) column as naive UTC wall-clock time in `unit`; naive input counts as UTC."""
    if pa.types.is_date(col.type):
        return col.cast(pa.timestamp(unit))
    return col.cast(pa.int64()).cast(pa.timestamp(col.type.unit)).cast(pa.timestamp(unit), safe=False)


def wall_clock(col, zone: str | None):
    """A timestamp column as naive wall-clock time in `zone` (ArcGIS dateFieldsTimeReference); else as is."""
    if zone is None or not pa.types.is_timestamp(col.type):
        return col
    instants = naive_utc(col, "us").cast(pa.timestamp("us", tz="UTC"))
    return pc.local_timestamp(instants.cast(pa.timestamp("us", tz=zone)))


def _objects(table: pa.Table, null_as: str | None):
    """One JSON object per row of a table of JSON fragments; nulls written as `null_as`, or left out."""
    parts = []
    for name in table.column_names:
        values = table.column(name) if null_as is None else pc.fill_null(table.column(name), null_as)
        key = "," + orjson.dumps(name).decode() + ":"
        # pyarrow's null_handling="skip" drops all-null rows, so each part carries its own comma instead.
        parts.append(pc.fill_null(pc.binary_join_element_wise(key, values, ""), ""))
    if not parts:
        return pa.array(["{}"] * table.num_rows, pa.string())
    joined = pc.binary_join_element_wise(*parts, "")
    return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, start=1), "}", "")


def _texts(values) -> list[str]:
    return values.to_pylist() if len(values) else []


def _join(values, sep: str) -> bytes:
    """The texts joined by `sep`, inside pyarrow (no Python string per row)."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if len(values) == 0:
        return b""
    one_list = pa.ListArray.from_arrays(pa.array([0, len(values)], pa.int32()), values)
    return pc.binary_join(one_list, sep)[0].as_buffer().to_pybytes()


# --- query parsing shared by the platforms -------------------------------------------------------------


def _compare(col, op: str, literal: str, *, as_timestamp: bool = False):
    """A boolean mask for `col <op> literal`, the literal read in the column's own type."""
    kind = col.type
    text = literal[1:-1].replace("''", "'") if literal.startswith("'") else literal
    try:
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            moment = np.datetime64(text.strip().replace(" ", "T").rstrip("Z"), "us").astype(np.int64)
            return _OPS[op](naive_utc(col, "us").cast(pa.int64()), int(moment))
        if as_timestamp:
            raise ValueError("timestamp literal on a non-date field")
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            return _OPS[op](col, float(text))
        return _OPS[op](col.cast(pa.string()), text)
    except ValueError as exc:
        raise QueryError(
            "query.soql.type-mismatch", f"Cannot compare {literal} with a {kind} column"
        ) from exc


def _order_keys(spec: str, resolve) -> list[tuple[str, str]]:
    keys = []
    for item in filter(str.strip, spec.split(",")):
        match = _ORDER_ITEM.match(item)
        if not match:
            raise QueryError("query.compiler.malformed", f"Could not parse order item {item!r}")
        keys.append((resolve(match[1]), "descending" if (match[2] or "").lower() == "desc" else "ascending"))
    return keys


def _and(masks: list):
    return reduce(pc.and_kleene, masks) if masks else None


def _int_param(params: dict, name: str, default: int) -> int:
    try:
        value = int(params.get(name) or default)
    except ValueError:
        raise QueryError("query.compiler.malformed", f"{name} must be an integer", name) from None
    if value < 0:
        raise QueryError("query.compiler.malformed", f"{name} must not be negative", name)
    return value


# --- Socrata SODA 2.x ----------------------------------------------------------------------------------


def socrata_resource(ds: Dataset | None, name: str, fmt: str, params: dict[str, str]) -> Response:
    """GET /resource/<name>.json|.csv with $select, $where, $order, $limit, $offset and simple filters."""
    if ds is None:
        missing = {"code": "dataset.missing", "error": True, "message": "Not found", "data": {"id": name}}
        return json_response(missing, 404)
    try:
        unknown = [
            k for k in params if k.startswith("$") and not k.startswith("$$") and k not in _SOQL_PARAMS
        ]
        if unknown:
            raise QueryError("query.soql.unknown-parameter", f"Unrecognized arguments {unknown}")
        mask = _soql_where(ds, params)
        select = params.get("$select", "*").strip()
        count_key = _soql_count_key(select)
        if count_key is None:
            names = _soql_select(ds, select)
            keys = _order_keys(params.get("$order", ""), lambda n: _soql_column(ds, n))
            limit = _int_param(params, "$limit", 1000)
            offset = _int_param(params, "$offset", 0)
    except QueryError as err:
        return json_response({"errorCode": err.code, "message": err.message}, 400)
    headers = {
        "X-Socrata-RequestId": secrets.token_hex(16),
        "Last-Modified": formatdate(ds.updated_at_s, usegmt=True),
    }
    if count_key is not None:
        count = ds.table.num_rows if mask is None else int(pc.sum(pc.fill_null(mask, False)).as_py() or 0)
        if fmt == "csv":
            fields = {"X-SODA2-Fields": f'["{count_key}"]', "X-SODA2-Types": '["number"]'}
            return _soql_csv_response(f'"{count_key}"\n"{count}"\n'.encode(), headers | fields)
        return json_response([{count_key: str(count)}], headers=headers)
    if ds.settings.socrata_max_limit is not None:
        limit = min(limit, ds.settings.socrata_max_limit)  # silently, as capped portals do
    rows = ds.rows(mask, keys)[offset : offset + limit]
    types = ["meta_data" if n in SOQL_SYSTEM else _soql_type(ds.keys.column(n).type) for n in names]
    if fmt == "csv":
        page = ds.socrata_csv.select(names).take(rows)
        lines = [",".join(f'"{n}"' for n in names)] + _texts(pc.binary_join_element_wise(*page.columns, ","))
        headers |= _soql_field_headers(ds, names, types)
        return _soql_csv_response(("\n".join(lines) + "\n").encode(), headers)
    page = ds.socrata_objects(tuple(names)).take(rows)
    headers |= _soql_field_headers(ds, names, types)
    # The real server separates rows with "\n," and ends with "]\n"; keep that so parsers meet it here.
    return Response(
        200, b"[" + _join(page, "\n,") + b"]\n", {"Content-Type": "application/json;charset=utf-8", **headers}
    )


def _soql_field_headers(ds: Dataset, names: list[str], types: list[str]) -> dict[str, str]:
    if not ds.settings.socrata_fields_header:
        return {"X-SODA2-Warning": "X-SODA2-Fields, X-SODA2-Types, and X-SODA2-Legacy-Types are suppressed"}
    return {"X-SODA2-Fields": orjson.dumps(names).decode(), "X-SODA2-Types": orjson.dumps(types).decode()}


def socrata_view(ds: Dataset | None, name: str) -> Response:
    """GET /api/views/<name>.json: the dataset's metadata, with rowsUpdatedAt in epoch seconds."""
    if ds is None:
        return json_response(
            {"code": "not_found", "error": True, "message": "Cannot find view with id " + name}, 404
        )
    columns = [
        {"fieldName": n, "name": n, "dataTypeName": _soql_type(ds.table.column(n).type)} for n in ds.columns
    ]
    meta = {"id": name, "name": name, "rowsUpdatedAt": ds.updated_at_s, "viewLastModified": ds.updated_at_s}
    return json_response(meta | {"columns": columns})


def _soql_csv_response(body: bytes, headers: dict) -> Response:
    return Response(200, body, {"Content-Type": "text/csv; charset=UTF-8", **headers})


def _soql_type(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind):
        return "fixed_timestamp" if kind.tz else "floating_timestamp"
    if pa.types.is_date(kind):
        return "floating_timestamp"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    return "checkbox" if pa.types.is_boolean(kind) else "text"


def _soql_column(ds: Dataset, name: str) -> str:
    if name in SOQL_SYSTEM or name in ds.columns:
        return name
    if name.lower() in ds.columns:
        return name.lower()
    raise QueryError("query.soql.no-such-column", f"No such column: {name}")


def _soql_where(ds: Dataset, params: dict[str, str]):
    masks = []
    where = params.get("$where", "").strip()
    for part in re.split(r"\s+and\s+", where, flags=re.I) if where else []:
        if (listed := _in_mask(ds, part, lambda n: _soql_column(ds, n))) is not None:
            masks.append(listed)
            continue
        match = _SOQL_CONDITION.match(part)
        if not match:
            raise QueryError("query.compiler.malformed", f"Could not parse SoQL condition {part!r}")
        name, op, literal = match.groups()
        masks.append(_compare(ds.keys.column(_soql_column(ds, name)), op, literal))
    for name, value in params.items():  # simple filters: ?category=THEFT
        if not name.startswith("$"):
            masks.append(
                _compare(ds.keys.column(_soql_column(ds, name)), "=", "'" + value.replace("'", "''") + "'")
            )
    return _and(masks)


def _in_mask(ds: Dataset, part: str, column_of):
    """A mask for `field IN (...)`, or None when the condition is not of that form."""
    match = _IN_CONDITION.match(part)
    if not match:
        return None
    literals = re.findall(_LITERAL, match[2])
    col = ds.keys.column(column_of(match[1]))
    return _or([_compare(col, "=", literal) for literal in literals])


def _or(masks):
    out = masks[0]
    for mask in masks[1:]:
        out = pc.or_kleene(out, mask)
    return out


def _soql_count_key(select: str) -> str | None:
    match = re.fullmatch(r"count\(\s*\*\s*\)(?:\s+as\s+(\w+))?", select, flags=re.I)
    return None if match is None else (match[1] or "count")


def _soql_select(ds: Dataset, select: str) -> list[str]:
    names: list[str] = []
    for item in (s.strip() for s in select.split(",")):
        if item == "*":
            names += ds.columns
        elif item == ":*":
            names += SOQL_SYSTEM
        else:
            names.append(_soql_column(ds, item))
    return list(dict.fromkeys(names))


# --- ArcGIS FeatureServer layer ------------------------------------------------------------------------


def arcgis_layer(ds: Dataset | None, name: str, is_query: bool, params: dict[str, str]) -> Response:
    """GET <layer>?f=json (metadata) or GET/POST <layer>/query; errors come back as HTTP 200 + error JSON."""
    params = {k.lower(): v for k, v in params.items()}  # ArcGIS parameter names ignore case
    if ds is None:
        return _esri_error(404, f"Service {name}/FeatureServer not found")
    if params.get("f", "").lower() not in ("json", "pjson"):
        page = f"<html><body><h2>ArcGIS REST Services Directory</h2><p>Layer: {name}</p></body></html>"
        return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    if not is_query:
        return json_response(_esri_metadata(ds))
    try:
        mask = _esri_where(ds, params)
        if params.get("returncountonly", "").lower() == "true":
            count = ds.table.num_rows if mask is None else int(pc.sum(pc.fill_null(mask, False)).as_py() or 0)
            return json_response({"count": count})
        if params.get("returnidsonly", "").lower() == "true":
            ids = ds.keys.column(ROW_NUMBER).take(ds.rows(mask, [(ROW_NUMBER, "ascending")]))
            return json_response({"objectIdFieldName": OID, "objectIds": ids.to_pylist()})
        fields = _esri_out_fields(ds, params.get("outfields", ""))
        keys = _order_keys(params.get("orderbyfields", ""), lambda n: _esri_column(ds, n, for_keys=True))
        if "resultoffset" in params and not ds.settings.arcgis_supports_pagination:
            return _esri_error(400, "Pagination is not supported.", ["'resultOffset' is not supported"])
        offset = _int_param(params, "resultoffset", 0)
        asked = _int_param(params, "resultrecordcount", ds.settings.arcgis_max_record_count)
    except QueryError:
        return _esri_error(400, "Failed to execute query.")
    size = min(asked or ds.settings.arcgis_max_record_count, ds.settings.arcgis_max_record_count)
    if ds.settings.arcgis_short_pages:
        size = max(1, size // 2)
    rows = ds.rows(mask, keys)
    page = rows[offset : offset + size]
    attributes = _objects(ds.arcgis_json.select(fields).take(page), null_as="null")
    with_geometry = params.get("returngeometry", "true").lower() != "false"
    geometry = ds.arcgis_geometry.take(page) if with_geometry else pa.array([""] * page.size, pa.string())
    features = pc.binary_join_element_wise('{"attributes":', attributes, geometry, "}", "")
    answer = {"objectIdFieldName": OID, "uniqueIdField": {"name": OID, "isSystemMaintained": True}}
    answer |= {"globalIdFieldName": "", "geometryType": "esriGeometryPoint" if ds.lat else None}
    answer |= {"spatialReference": {"wkid": 4326, "latestWkid": 4326}}
    answer |= {"fields": [f for f in _esri_fields(ds) if f["name"] in fields]}
    if offset + page.size < rows.size:  # only while rows remain; the key is absent otherwise
        answer["exceededTransferLimit"] = True
    return json_response(answer | {"features": "@RAW@"}, raw=b"[" + _join(features, ",") + b"]")


def _esri_error(code: int, message: str, details: list | None = None) -> Response:
    return json_response({"error": {"code": code, "message": message, "details": details or []}})


def _esri_type(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "esriFieldTypeDate"
    if pa.types.is_integer(kind):
        return "esriFieldTypeInteger"
    if pa.types.is_floating(kind):
        return "esriFieldTypeDouble"
    return "esriFieldTypeSmallInteger" if pa.types.is_boolean(kind) else "esriFieldTypeString"


def _esri_fields(ds: Dataset) -> list[dict]:
    fields = [{"name": OID, "type": "esriFieldTypeOID", "alias": OID, "nullable": False, "editable": False}]
    for name in ds.columns:
        kind = _esri_type(ds.table.column(name).type)
        extra = {"length": 255} if kind == "esriFieldTypeString" else {}
        fields.append({"name": name, "type": kind, "alias": name, "nullable": True, "editable": True} | extra)
    return fields


def _esri_metadata(ds: Dataset) -> dict:
    paging = ds.settings.arcgis_supports_pagination
    return {
        "currentVersion": 11.1,
        "id": 0,
        "name": ds.name,
        "type": "Feature Layer",
        "geometryType": "esriGeometryPoint" if ds.lat else None,
        "objectIdField": OID,
        "uniqueIdField": {"name": OID, "isSystemMaintained": True},
        "globalIdField": "",
        "fields": _esri_fields(ds),
        "maxRecordCount": ds.settings.arcgis_max_record_count,
        "standardMaxRecordCount": ds.settings.arcgis_max_record_count,
        "supportedQueryFormats": "JSON",
        "capabilities": "Query",
        "advancedQueryCapabilities": {"supportsPagination": paging, "supportsOrderBy": True},
        "editingInfo": {"lastEditDate": ds.updated_at_s * 1000},
        "extent": {"spatialReference": {"wkid": 4326, "latestWkid": 4326}},
    } | (
        {"dateFieldsTimeReference": ds.settings.arcgis_time_reference}
        if ds.settings.arcgis_time_reference
        else {}
    )


def _esri_column(ds: Dataset, name: str, *, for_keys: bool = False) -> str:
    """The column a field name means (names ignore case); OBJECTID maps to the row numbers."""
    if name.upper() == OID:
        return ROW_NUMBER if for_keys else OID
    match = next((c for c in ds.columns if c.lower() == name.lower()), None)
    if match is None:
        raise QueryError("400", f"Invalid field: {name}")
    return match


def _esri_out_fields(ds: Dataset, out_fields: str) -> list[str]:
    names = [n.strip() for n in out_fields.split(",") if n.strip()]
    if "*" in names:
        return [OID, *ds.columns]
    return list(dict.fromkeys(_esri_column(ds, n) for n in names)) or [OID]


def _esri_where(ds: Dataset, params: dict[str, str]):
    masks = []
    for part in re.split(r"\s+and\s+", params.get("where", "1=1").strip() or "1=1", flags=re.I):
        if re.fullmatch(r"\s*1\s*=\s*1\s*", part):
            continue
        if (listed := _in_mask(ds, part, lambda n: _esri_column(ds, n, for_keys=True))) is not None:
            masks.append(listed)
            continue
        match = _ESRI_CONDITION.match(part)
        if not match:
            raise QueryError("400", f"Unable to parse where clause {part!r}")
        name, op, kind, literal = match.groups()
        # The layer compares a literal with the values it stores: wall-clock times under a time reference.
        col = wall_clock(ds.keys.column(_esri_column(ds, name, for_keys=True)), ds.settings.arcgis_time_zone)
        masks.append(_compare(col, op, literal, as_timestamp=kind is not None))
    if params.get("objectids"):
        try:
            wanted = pa.array([int(v) for v in params["objectids"].split(",")], pa.int64())
        except ValueError:
            raise QueryError("400", "objectIds must be integers") from None
        masks.append(pc.is_in(ds.keys.column(ROW_NUMBER), value_set=wanted))
    return _and(masks)


# --- CKAN DataStore ------------------------------------------------------------------------------------

_CKAN_PATH = "/api/3/action/datastore_search"


def ckan_search(ds: Dataset | None, params: dict[str, str], base_url: str) -> Response:
    """datastore_search: limit silently clamped to rows_max, sort, include_total, `_links.next` always."""
    help_url = f"{base_url}/api/3/action/help_show?name=datastore_search"
    if ds is None:
        error = {"__type": "Not Found Error", "message": "Not found: Resource was not found."}
        return json_response({"help": help_url, "success": False, "error": error}, 404)
    try:
        limit = min(_int_param(params, "limit", 100), ds.settings.ckan_rows_max)
        offset = _int_param(params, "offset", 0)
        keys = _order_keys(params.get("sort", ""), lambda n: _ckan_column(ds, n))
    except QueryError as err:
        error = {"__type": "Validation Error", err.param or "sort": [err.message]}
        return json_response({"help": help_url, "success": False, "error": error}, 409)
    page = ds.rows(None, keys)[offset : offset + limit]
    records = _objects(ds.ckan_json.take(page), null_as="null")
    others = {k: v for k, v in params.items() if k != "offset"}
    links = {"start": f"{_CKAN_PATH}?{urlencode(others)}"}
    links["next"] = f"{_CKAN_PATH}?{urlencode({'offset': offset + limit} | others)}"
    include_total = params.get("include_total", "true").lower() not in ("false", "0", "no")
    fields = [{"id": "_id", "type": "int"}]
    fields += [{"id": n, "type": _ckan_type(ds.table.column(n).type)} for n in ds.columns]
    result = {"include_total": include_total, "resource_id": ds.name, "fields": fields}
    result |= {
        "records_format": "objects",
        "records": "@RAW@",
        "limit": limit,
        "offset": offset,
        "_links": links,
    }
    if include_total:
        result |= {"total": ds.table.num_rows, "total_was_estimated": False}
    answer = {"help": help_url, "success": True, "result": result}
    return json_response(answer, raw=b"[" + _join(records, ",") + b"]")


def _ckan_column(ds: Dataset, name: str) -> str:
    if name == "_id":
        return ROW_NUMBER
    if name not in ds.columns:
        raise QueryError("409", f'field "{name}" not in table', "sort")
    return name


def _ckan_type(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "timestamp"
    if pa.types.is_integer(kind):
        return "int8" if kind.bit_width == 64 else "int4"
    if pa.types.is_floating(kind):
        return "float8"
    return "bool" if pa.types.is_boolean(kind) else "text"
