"""Pages flow through steps on their own threads: while one page is written, the next is normalized
and a third is parsed. pyarrow releases the GIL in its kernels and in Parquet encoding, so on two
cores the steps overlap. At most two pages wait before each step, which keeps memory bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

_DONE = object()
Step = Callable[[object], object]


class PagePipeline:
    """put() pages in; each step's result feeds the next; errors surface on the next put() or close()."""

    def __init__(self, *steps: Step, depth: int = 2):
        self._queues = [queue.Queue(maxsize=depth) for _ in steps]
        self._error: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._run, args=(i, step), name=f"page-step-{i}", daemon=True)
            for i, step in enumerate(steps)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, page: object) -> None:
        self._raise_if_failed()
        self._queues[0].put(page)

    def close(self) -> None:
        """Wait until every page has passed every step; re-raise the first error any step met."""
        self._queues[0].put(_DONE)
        for thread in self._threads:
            thread.join()
        self._raise_if_failed()

    def _run(self, index: int, step: Step) -> None:
        inbox = self._queues[index]
        outbox = self._queues[index + 1] if index + 1 < len(self._queues) else None
        while (page := inbox.get()) is not _DONE:
            if self._error is not None:
                continue  # drain, so the producer never blocks on a full queue
            try:
                result = step(page)
            except BaseException as exc:  # handed to the producing thread, which reports it
                self._error = exc
                continue
            if outbox is not None:
                outbox.put(result)
        if outbox is not None:
            outbox.put(_DONE)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
