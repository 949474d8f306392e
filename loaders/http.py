"""One HTTP client for every platform: timeouts, retries with backoff, Retry-After, redaction."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import requests

from loaders.errors import (
    FeedAuthError,
    FeedConfigError,
    FeedFormatError,
    FeedUnavailableError,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({202, 429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"$$app_token", "app_token", "token", "api_key", "apikey", "key"})
USER_AGENT = "policing-data-dashboard/0.1 (+open-data refresh job)"


# Requests that retrying cannot help: the catalogue's endpoint is wrong or the server loops.
CONFIG_PROBLEMS = {
    requests.exceptions.TooManyRedirects: "the server redirected in a loop (a login page or moved dataset?)",
    requests.exceptions.MissingSchema: "the endpoint is not a URL starting with http:// or https://",
    requests.exceptions.InvalidSchema: "the endpoint is not a URL starting with http:// or https://",
    requests.exceptions.InvalidURL: "the endpoint is not a valid URL",
}


@dataclass(frozen=True)
class Download:
    status: int
    bytes_written: int
    validators: dict
    content_type: str


@dataclass(frozen=True)
class Body:
    """A whole response body with the headers it came with (some protocols put metadata there)."""

    content: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0


def redact_url(url: str) -> str:
    """The URL with any credential-looking query parameter replaced, safe for logs and errors."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, "REDACTED" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="$:*(),'= ")))


class HttpClient:
    """Speaks plain HTTP for one source. Counts bytes received so a refresh can report them."""

    def __init__(
        self,
        source_id: str,
        *,
        token: str | None = None,
        token_header: str = "X-App-Token",
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.source_id = source_id
        self.policy = policy or RetryPolicy()
        self.bytes_received = 0
        self.requests_made = 0
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        if token:
            self._session.headers[token_header] = token

    def close(self) -> None:
        self._session.close()

    def get_bytes(self, url: str, params: dict | None = None, *, method: str = "GET") -> bytes:
        """The whole body, retried as a unit; a truncated body counts as a failed attempt."""
        return self.get_body(url, params, method=method).content

    def get_body(self, url: str, params: dict | None = None, *, method: str = "GET") -> Body:
        """Like get_bytes, with the response headers."""
        # Streamed and read in 1 MiB blocks: requests' own .content reads 10 KiB at a time, which
        # costs a Socrata JSON page (17 MB) some 1,700 trips through Python.
        return self._with_retries(
            url, params, method, lambda resp: Body(_whole_body(resp), resp.headers), stream_body=True
        )

    def get_json(self, url: str, params: dict | None = None, *, method: str = "GET") -> Any:
        body = self.get_bytes(url, params, method=method)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise FeedFormatError(
                self.source_id, "the server's answer is not valid JSON", url=redact_url(url)
            ) from None

    def download(self, url: str, dest, params: dict | None = None, headers: dict | None = None) -> Download:
        """Stream a body to a file without holding it in memory (304 writes nothing)."""

        def stream(resp: requests.Response) -> Download:
            written = 0
            if resp.status_code != 304:
                with open(dest, "wb") as fh:
                    for block in resp.iter_content(1 << 20):
                        fh.write(block)
                        written += len(block)
            return Download(
                resp.status_code, written, _validators(resp), resp.headers.get("Content-Type", "")
            )

        return self._with_retries(url, params, "GET", stream, stream_body=True, headers=headers)

    def _with_retries(self, url, params, method, consume, *, stream_body: bool = False, headers=None):
        policy = self.policy
        shown = redact_url(url)
        last_problem = "no attempt was made"
        for attempt in range(1, policy.max_attempts + 1):
            try:
                resp = self._send(url, params, method, stream_body, headers)
                try:
                    if resp.status_code in RETRY_STATUSES or _is_html(resp):
                        last_problem = _describe(resp)
                        self.pause(attempt, resp.headers.get("Retry-After"))
                        continue
                    _raise_for_client_error(self.source_id, resp, shown)
                    result = consume(resp)
                finally:
                    resp.close()
                self.bytes_received += int(resp.headers.get("Content-Length") or 0) or _size(result)
                return result
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                last_problem = f"{type(exc).__name__} (connection failed, timed out or body cut short)"
                self.pause(attempt, None)
            except requests.exceptions.ContentDecodingError:  # a proxy or server mangled the gzip body
                last_problem = "the body does not decode as its Content-Encoding says (corrupt gzip?)"
                self.pause(attempt, None)
            except tuple(CONFIG_PROBLEMS) as exc:
                # Our own message: requests' would repeat the URL with any token still in it.
                message = next(m for kind, m in CONFIG_PROBLEMS.items() if isinstance(exc, kind))
                raise FeedConfigError(self.source_id, message, url=shown) from None
        raise FeedUnavailableError(
            self.source_id, f"gave up after {policy.max_attempts} attempts: {last_problem}", url=shown
        )

    def _send(self, url, params, method, stream_body, headers) -> requests.Response:
        self.requests_made += 1
        timeout = (self.policy.connect_timeout_s, self.policy.read_timeout_s)
        if method == "POST":
            return self._session.post(url, data=params, timeout=timeout, stream=stream_body, headers=headers)
        return self._session.get(url, params=params, timeout=timeout, stream=stream_body, headers=headers)

    def pause(self, attempt: int, retry_after: str | None = None) -> None:
        """Wait before try `attempt + 1`: Retry-After when the server gave one, else backoff with jitter."""
        if attempt >= self.policy.max_attempts:
            return
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            delay = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2 ** (attempt - 1))
            delay *= 0.5 + random.random() / 2  # jitter, so parallel refreshes do not march in step
        self._sleep(min(delay, self.policy.backoff_max_s))


def _whole_body(resp: requests.Response) -> bytes:
    return b"".join(resp.iter_content(1 << 20))


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date; fall back to our own backoff


def _is_html(resp: requests.Response) -> bool:
    # Portals under maintenance answer 200 with an HTML page; that is an outage, not data.
    return resp.status_code == 200 and "text/html" in resp.headers.get("Content-Type", "")


def _describe(resp: requests.Response) -> str:
    if _is_html(resp):
        return "the server sent an HTML page instead of data (maintenance or login page?)"
    return f"HTTP {resp.status_code}"


def _raise_for_client_error(source_id: str, resp: requests.Response, url: str) -> None:
    if resp.status_code < 400:
        return
    message = _server_message(resp)
    detail = f"HTTP {resp.status_code}" + (f": {message}" if message else "")
    if resp.status_code in (401, 403, 498, 499):
        raise FeedAuthError(source_id, detail, url=url)
    if resp.status_code >= 500:
        raise FeedUnavailableError(source_id, detail, url=url)
    raise FeedConfigError(source_id, detail, url=url)


def _server_message(resp: requests.Response) -> str:
    try:
        body = orjson.loads(resp.content[:65536])
    except (orjson.JSONDecodeError, requests.RequestException):
        return ""
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):  # ArcGIS and CKAN put the message one level down
            return str(inner.get("message") or inner.get("__type") or "")[:300]
        return str(body.get("message") or body.get("errorCode") or "")[:300]
    return ""


def _size(result) -> int:
    if isinstance(result, Download):
        return result.bytes_written
    if isinstance(result, Body):
        return len(result.content)
    return len(result) if isinstance(result, bytes) else 0


def _validators(resp: requests.Response) -> dict:
    return {
        k: resp.headers[h]
        for k, h in (("etag", "ETag"), ("last_modified", "Last-Modified"))
        if h in resp.headers
    }
