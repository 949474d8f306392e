"""A real HTTP server on 127.0.0.1 that speaks Socrata, ArcGIS FeatureServer, CKAN and plain files, for loader tests.

Hand-made test infrastructure. Tests hand it Arrow tables (`make_table` builds incident-like ones) and point the
real adapters and HttpClient at it; `inject` makes chosen requests fail the way real portals do, and every
request is kept in `requests` so tests can check what an adapter actually sent.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import traceback
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from functools import cached_property
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, quote, unquote, unquote_plus, urlsplit

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tests import feedserver_protocols as protocols
from tests.feedserver_protocols import JSON_TYPE, OID, ROW_NUMBER, SOQL_SYSTEM, Response

_FALLBACK_UPDATED_AT_S = 1_704_067_200  # 2024-01-01T00:00:00Z, for a dataset without an updated_at column
CATEGORIES = ("THEFT", "BATTERY", "CRIMINAL DAMAGE", "ASSAULT", "BURGLARY", "ROBBERY")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    fault: str | None = None  # kind of the injected fault that answered this request, if any


@dataclass(frozen=True)
class Fault:
    """A failure to serve instead of (or on top of) the normal answer; build one with the class methods."""

    kind: str
    status_code: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0

    @classmethod
    def status(
        cls, code: int, body: bytes = b"", headers: dict | None = None, *, kind: str = "status"
    ) -> Fault:
        content_type = JSON_TYPE if body[:1] in (b"{", b"[") else "text/plain; charset=utf-8"
        return cls(kind, code, body, tuple(({"Content-Type": content_type} | (headers or {})).items()))

    @classmethod
    def rate_limited(cls, retry_after_s: float = 1) -> Fault:
        body = b'{"message":"Too Many Requests","errorCode":"throttled"}'
        return cls.status(429, body, {"Retry-After": f"{retry_after_s:g}"}, kind="rate_limited")

    @classmethod
    def server_error(cls, code: int = 503) -> Fault:
        body = orjson.dumps({"message": HTTPStatus(code).phrase, "error": True})
        return cls.status(code, body, kind="server_error")

    @classmethod
    def html_maintenance(cls) -> Fault:
        page = b"<!DOCTYPE html><html><body><h1>Down for maintenance</h1><p>Back soon.</p></body></html>"
        return cls.status(200, page, {"Content-Type": "text/html; charset=utf-8"}, kind="html_maintenance")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", delay_s=seconds)

    @classmethod
    def arcgis_error(cls) -> Fault:
        error = {"error": {"code": 500, "message": "Error performing query operation", "details": []}}
        return cls.status(200, orjson.dumps(error), kind="arcgis_error")

    def response(self) -> Response | None:
        """What to send instead of the normal answer; None for faults that only spoil its delivery."""
        if self.kind in ("truncated", "slow"):
            return None
        return Response(self.status_code, self.body, dict(self.headers))


@dataclass(frozen=True)
class DatasetSettings:
    id_column: str = "id"
    updated_at_column: str | None = "updated_at"
    socrata_max_limit: int | None = None
    arcgis_max_record_count: int = 1000
    arcgis_short_pages: bool = False
    arcgis_supports_pagination: bool = True
    ckan_rows_max: int = 32000
    # ArcGIS: store date fields as wall-clock times in this IANA zone, and declare `arcgis_time_reference`
    # ({"timeZone": "Pacific Standard Time", "respectsDaylightSaving": True}) in the layer metadata.
    arcgis_time_zone: str | None = None
    arcgis_time_reference: dict | None = None
    socrata_fields_header: bool = True  # wide real datasets drop X-SODA2-Fields (with an X-SODA2-Warning)
    shuffle_ties: bool = True


class Dataset:
    """One table as every platform sees it, with the text forms of its columns built once and cached."""

    def __init__(self, name: str, table: pa.Table, settings: DatasetSettings):
        self.name, self.table, self.settings = name, table, settings
        ids = pc.binary_join_element_wise("row-", table.column(settings.id_column).cast(pa.string()), "")
        stamps = np.full(table.num_rows, _FALLBACK_UPDATED_AT_S * 10**6)
        if settings.updated_at_column:
            stamps = protocols.naive_utc(table.column(settings.updated_at_column), "us").cast(pa.int64())
        updated = pa.array(stamps, pa.int64()).cast(pa.timestamp("us", "UTC"))
        row_numbers = pa.array(np.arange(1, table.num_rows + 1), pa.int64())
        self.keys = table.append_column(":id", ids).append_column(":updated_at", updated)
        self.keys = self.keys.append_column(ROW_NUMBER, row_numbers)
        newest = pc.max(updated).value
        self.updated_at_s = newest // 10**6 if newest is not None else _FALLBACK_UPDATED_AT_S
        self.lat = next((c for c in ("lat", "latitude") if c in table.column_names), None)
        self.lon = next((c for c in ("lon", "longitude", "lng") if c in table.column_names), None)

    @property
    def columns(self) -> list[str]:
        return self.table.column_names

    def socrata_objects(self, names: tuple[str, ...]) -> pa.Array:
        """Each row as its SODA JSON object for the selected fields, built once per selection."""
        cache = self.__dict__.setdefault("_socrata_objects", {})
        if names not in cache:
            cache[names] = protocols._objects(self.socrata_json.select(list(names)), null_as=None)
        return cache[names]

    def rows(self, mask, sort_keys: list[tuple[str, str]]) -> np.ndarray:
        """Row numbers matching `mask`, ordered by `sort_keys`; ties (or all rows, unordered) shuffled."""
        if mask is None:
            rows = np.arange(self.table.num_rows)
        else:
            rows = np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))
        if self.settings.shuffle_ties:
            rows = np.random.default_rng().permutation(rows)
        first: dict[str, str] = {}
        for name, direction in sort_keys:  # a repeated key adds nothing, and select() wants unique names
            first.setdefault(name, direction)
        if first:
            table = self.keys.select(list(first)).take(rows)
            rows = rows[pc.sort_indices(table, sort_keys=list(first.items())).to_numpy()]
        return rows

    @cached_property
    def socrata_json(self) -> pa.Table:
        return pa.table({n: _json_string(_soql_text(self.keys.column(n))) for n in self._soql_names})

    @cached_property
    def socrata_csv(self) -> pa.Table:
        quoted = {n: _soql_text(self.keys.column(n)) for n in self._soql_names}
        return pa.table({n: _csv_quote(c) for n, c in quoted.items()})

    @cached_property
    def arcgis_json(self) -> pa.Table:
        cols = {OID: self.keys.column(ROW_NUMBER).cast(pa.string())}
        zone = self.settings.arcgis_time_zone
        return pa.table(
            cols
            | {
                n: _json_value(protocols.wall_clock(self.table.column(n), zone), esri=True)
                for n in self.columns
            }
        )

    @cached_property
    def arcgis_geometry(self) -> pa.ChunkedArray | pa.Array:
        if not (self.lat and self.lon):
            return pa.array([""] * self.table.num_rows, pa.string())
        x, y = (_json_value(self.table.column(c), esri=True) for c in (self.lon, self.lat))
        return pc.fill_null(pc.binary_join_element_wise(',"geometry":{"x":', x, ',"y":', y, "}", ""), "")

    @cached_property
    def ckan_json(self) -> pa.Table:
        cols = {"_id": self.keys.column(ROW_NUMBER).cast(pa.string())}
        return pa.table(cols | {n: _json_value(self.table.column(n), esri=False) for n in self.columns})

    @property
    def _soql_names(self) -> list[str]:
        return [*SOQL_SYSTEM, *self.columns]


# --- column text for each platform, built vectorised once per dataset ---


def _soql_text(col):
    """Socrata's text for a value: floating timestamps as 2023-06-03T00:00:00.000, fixed ones with Z."""
    kind = col.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        text = _iso(col, "ms")
        return pc.binary_join_element_wise(text, "Z", "") if getattr(kind, "tz", None) else text
    if pa.types.is_floating(kind):
        col = pc.if_else(pc.is_nan(col), pa.scalar(None, kind), col)
    return col.cast(pa.string())


def _iso(col, unit: str):
    """ISO 8601 text without zone, to `unit` precision (casting is far faster than pc.strftime)."""
    return pc.replace_substring(
        protocols.naive_utc(col, unit).cast(pa.string()), " ", "T", max_replacements=1
    )


def _json_string(col):
    """Each value as a quoted, escaped JSON string; nulls stay null."""
    text = col.cast(pa.string())
    if pc.any(pc.match_substring_regex(text, r"[\x00-\x1f]")).as_py():
        return pa.array(
            [None if v is None else orjson.dumps(v).decode() for v in text.to_pylist()], pa.string()
        )
    text = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', text, '"', "")


def _json_value(col, *, esri: bool):
    """Each value as JSON text of its own type: numbers bare, dates epoch ms (ArcGIS) or ISO text (CKAN)."""
    kind = col.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        if esri:
            return protocols.naive_utc(col, "ms").cast(pa.int64()).cast(pa.string())
        return _json_string(_iso(col, "s"))
    if pa.types.is_floating(kind):
        return pc.if_else(pc.is_nan(col), pa.scalar(None, kind), col).cast(pa.string())
    if pa.types.is_boolean(kind) and esri:
        return col.cast(pa.int8()).cast(pa.string())
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return col.cast(pa.string())
    return _json_string(col)


def _csv_quote(text):
    quoted = pc.replace_substring(text, '"', '""')
    return pc.fill_null(pc.binary_join_element_wise('"', quoted, '"', ""), "")


def make_table(n: int, *, seed: int = 0, start: str = "2020-01-01", ties: int = 1) -> pa.Table:
    """Hand-made incident-like rows over four years from `start`; `ties` rows in a row share `occurred`."""
    rng = np.random.default_rng(seed)
    ties = max(1, ties)
    groups = -(-n // ties)
    minutes = np.sort(rng.integers(0, 4 * 365 * 24 * 60, groups))
    # Edits land on whole hours, so `updated_at` ties too: what breaks paging on `:updated_at` alone.
    edited_h = minutes // 60 + rng.integers(1, 30 * 24, groups)
    occurred_s = np.repeat(minutes * 60, ties)[:n]
    updated_s = np.repeat(edited_h * 3600, ties)[:n]
    origin = np.datetime64(start, "s")
    numbers = pa.array(np.arange(1, n + 1)).cast(pa.string())
    missing = rng.random(n) < 0.05
    columns = {
        "id": pc.binary_join_element_wise("R", pc.utf8_lpad(numbers, width=6, padding="0"), ""),
        "occurred": pa.array(origin + occurred_s.astype("timedelta64[s]"), pa.timestamp("us")),
        "category": pa.array(CATEGORIES, pa.string()).take(rng.integers(0, len(CATEGORIES), n)),
        "amount": pa.array(rng.integers(0, 5000, n), pa.int64()),
        "lat": pa.array(np.round(41.85 + rng.normal(0, 0.08, n), 6), pa.float64(), mask=missing),
        "lon": pa.array(np.round(-87.68 + rng.normal(0, 0.08, n), 6), pa.float64(), mask=missing),
        "updated_at": pa.array(origin + updated_s.astype("timedelta64[s]"), pa.timestamp("us", tz="UTC")),
    }
    return pa.table(columns)


@dataclass(frozen=True)
class _File:
    body: bytes
    headers: dict[str, str]
    modified_at_s: float


class FeedServer:
    """Serves datasets over the real platform protocols on 127.0.0.1; usable as a context manager."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.server_errors: list[str] = []  # tracebacks of bugs in this server (answered as HTTP 500)
        self._datasets: dict[str, Dataset] = {}
        self._files: dict[str, _File] = {}
        self._faults: list[list] = []  # [path_contains, fault, times_left, body_contains]
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.feed = self
        self._thread: threading.Thread | None = None
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FeedServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def add_dataset(self, name: str, table: pa.Table, *, settings: DatasetSettings | None = None) -> None:
        """Serve `table` as Socrata resource, ArcGIS layer and CKAN resource, all named `name`."""
        settings = settings or DatasetSettings()
        if pc.count_distinct(table.column(settings.id_column)).as_py() != table.num_rows:
            raise ValueError(f"{settings.id_column!r} must be unique: Socrata's :id is derived from it")
        self._datasets[name] = Dataset(name, table, settings)

    def add_file(
        self,
        name: str,
        body: bytes,
        *,
        content_type: str = "text/csv; charset=utf-8",
        headers: dict | None = None,
    ) -> str:
        """Serve `body` at /files/<name> with ETag and Last-Modified; a header given as None is left out."""
        now = time.time()
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        merged = {"Content-Type": content_type, "ETag": etag, "Last-Modified": formatdate(now, usegmt=True)}
        merged |= headers or {}
        self._files[name] = _File(body, {k: str(v) for k, v in merged.items() if v is not None}, now)
        return f"{self.base_url}/files/{quote(name)}"

    def add_text_file(
        self, name: str, text: str, encoding: str, *, bom: bytes = b"", charset: str | None = None
    ) -> str:
        """Serve `text` encoded as `encoding`, after `bom` (which may contradict it), with `charset` in its header."""
        content_type = "text/csv" + (f"; charset={charset}" if charset else "")
        return self.add_file(name, bom + text.encode(encoding), content_type=content_type)

    def inject(self, path_contains: str, fault: Fault, *, times: int = 1, body_contains: str = "") -> None:
        """The next `times` requests whose path (query string included) contains the text get `fault`.

        `body_contains` also asks for text in the (URL-decoded) request body, to pick out one POST query.
        """
        with self._lock:
            self._faults.append([path_contains, fault, times, body_contains])

    def socrata_domain(self) -> str:
        return self.base_url

    def arcgis_layer_url(self, name: str) -> str:
        return f"{self.base_url}/arcgis/rest/services/{name}/FeatureServer/0"

    def ckan_site(self) -> str:
        return self.base_url

    def _take_fault(self, raw_path: str, body: bytes = b"") -> Fault | None:
        readable = (raw_path, unquote(raw_path), unquote_plus(raw_path))
        body_text = unquote_plus(body.decode("utf-8", "replace"))
        with self._lock:
            for entry in self._faults:
                if any(entry[0] in text for text in readable) and entry[3] in body_text:
                    entry[2] -= 1
                    if entry[2] <= 0:
                        self._faults.remove(entry)
                    return entry[1]
        return None

    def _record(self, method: str, raw_path: str, headers, body: bytes, fault: Fault | None) -> None:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        recorded = RecordedRequest(
            method, parts.path, query, dict(headers.items()), body, fault and fault.kind
        )
        with self._lock:
            self.requests.append(recorded)

    def _route(self, method: str, raw_path: str, body: bytes, headers) -> Response:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if method == "POST" and body:
            if "json" in headers.get("Content-Type", ""):
                form = orjson.loads(body)
                params |= {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in form.items()}
            else:
                params |= dict(parse_qsl(body.decode(), keep_blank_values=True))
        if match := re.fullmatch(r"/resource/([^/]+)\.(json|csv)", path):
            return protocols.socrata_resource(self._datasets.get(match[1]), match[1], match[2], params)
        if match := re.fullmatch(r"/api/views/([^/]+)\.json", path):
            return protocols.socrata_view(self._datasets.get(match[1]), match[1])
        if match := re.fullmatch(r"/arcgis/rest/services/([^/]+)/FeatureServer/0(/query)?/?", path):
            return protocols.arcgis_layer(self._datasets.get(match[1]), match[1], bool(match[2]), params)
        if path == "/api/3/action/datastore_search":
            return protocols.ckan_search(
                self._datasets.get(params.get("resource_id", "")), params, self.base_url
            )
        if path.startswith("/files/") and path[len("/files/") :] in self._files:
            return _file_response(self._files[path[len("/files/") :]], headers)
        return protocols.json_response({"error": True, "message": f"no route for {path}"}, 404)


def _file_response(file: _File, headers) -> Response:
    """The file, or 304 when the client's ETag or date shows it already has this version."""
    etag = file.headers.get("ETag")
    wanted = [t.strip().removeprefix("W/") for t in headers.get("If-None-Match", "").split(",") if t.strip()]
    if etag and ("*" in wanted or etag in wanted):
        return Response(304, b"", {"ETag": etag})
    since = headers.get("If-Modified-Since")
    if since and not wanted and "Last-Modified" in file.headers:
        try:
            if parsedate_to_datetime(since).timestamp() >= int(file.modified_at_s):
                return Response(304, b"", {k: v for k, v in file.headers.items() if k != "Content-Type"})
        except (TypeError, ValueError):
            pass
    return Response(200, file.body, dict(file.headers))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real portals; every answer carries Content-Length
    server_version = "FeedServer/1.0"
    timeout = 30  # an idle keep-alive connection cannot pin a thread forever

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def log_message(self, format, *args) -> None:  # tests read `requests`, not stderr
        pass

    def _serve(self, method: str) -> None:
        feed: FeedServer = self.server.feed
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = feed._take_fault(self.path, body)
        feed._record(method, self.path, self.headers, body, fault)
        if fault is not None and fault.delay_s:
            time.sleep(fault.delay_s)
        response = fault.response() if fault is not None else None
        if response is None:
            try:
                response = feed._route(method, self.path, body, self.headers)
            except Exception:  # a bug here must fail the test, not pass as an upstream outage
                feed.server_errors.append(traceback.format_exc())
                response = Response(500, feed.server_errors[-1].encode(), {"Content-Type": "text/plain"})
        is_truncated = fault is not None and fault.kind == "truncated"
        try:
            self._send(response, is_head=method == "HEAD", is_truncated=is_truncated)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts in slow-fault tests)
            self.close_connection = True

    def _send(self, response: Response, *, is_head: bool, is_truncated: bool) -> None:
        body = response.body
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            # A truncated answer promises the whole body (or more, if it is tiny) and delivers half.
            self.send_header("Content-Length", str(max(len(body), 16) if is_truncated else len(body)))
        if is_truncated:
            self.send_header("Connection", "close")
        self.end_headers()
        if is_head or response.status == 304:
            return
        if is_truncated:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)
