"""A minimal Streamlit client: the browser's websocket protocol (protobuf BackMsg/ForwardMsg), no browser.

A page view sends `rerun_script` for a page and a query string, as the browser does on load and when
a visitor follows a link with other filters, then reads ForwardMsgs until the script has finished.
Exceptions shown on the page count as errors, so a broken page cannot pass as a fast one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

STREAM_PATH = "/_stcore/stream"


@dataclass
class ViewResult:
    seconds: float
    texts: list[str] = field(default_factory=list)  # markdown shown on the page
    errors: list[str] = field(default_factory=list)  # exceptions the page displayed


class Session:
    """One open browser tab on the app (one Streamlit session)."""

    def __init__(self, port: int, timeout_s: float = 120.0, cookie: str | None = None):
        self.url = f"ws://127.0.0.1:{port}{STREAM_PATH}"
        self.timeout_s = timeout_s
        self.cookie = cookie  # a proxy's sticky-session cookie, as a browser would send it
        self.ws = None
        self.views = 0
        self.page_hashes: dict[str, str] = {}
        self._page = ""

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(
            self.url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout_s,
            additional_headers={"Cookie": self.cookie} if self.cookie else None,
        )
        return self

    @property
    def upstream(self) -> str:
        """The replica a proxy says it chose (its X-Upstream response header), if it says."""
        return self.ws.response.headers.get("X-Upstream", "")

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def view(self, page: str, query_string: str) -> ViewResult:
        """Run the page's script for the query string; returns when the script has finished.

        After the first view of a session the rerun is sent as a history navigation, which makes
        the server take every URL-bound widget's value from the query string: the same rerun a
        browser sends when the visitor goes back or forward between filter choices.
        """
        message = BackMsg()
        message.rerun_script.query_string = query_string
        # The browser names the page by its URL path on load, then by the hash the server gave it.
        if self.page_hashes.get(page):
            message.rerun_script.page_script_hash = self.page_hashes[page]
        else:
            message.rerun_script.page_name = page
        message.rerun_script.is_history_navigation = self.views > 0
        self.views += 1
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        self._page = page
        result = ViewResult(0.0)
        await asyncio.wait_for(self._until_finished(result), self.timeout_s)
        result.seconds = time.perf_counter() - started
        return result

    async def _until_finished(self, result: ViewResult) -> None:
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self.ws.recv())
            kind = forward.WhichOneof("type")
            if kind == "delta":
                _collect(forward, result)
            elif kind == "navigation":
                self.page_hashes[self._page] = forward.navigation.page_script_hash
            elif kind == "script_finished":
                if forward.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # a rerun the page asked for itself follows
                if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    result.errors.append("the script did not compile")
                return


def _collect(forward: ForwardMsg, result: ViewResult) -> None:
    element = forward.delta.new_element
    which = element.WhichOneof("type")
    if which == "markdown":
        result.texts.append(element.markdown.body)
    elif which == "exception":
        result.errors.append(f"{element.exception.type}: {element.exception.message}")


async def one_view(port: int, page: str, query_string: str, timeout_s: float = 120.0) -> ViewResult:
    """A visitor opening one link: connect, run the page once, disconnect."""
    async with Session(port, timeout_s) as session:
        return await session.view(page, query_string)
