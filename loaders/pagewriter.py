"""Write normalized pages to Parquet on a second thread, so encoding overlaps parsing and normalizing.

Parquet encoding and compression release the GIL, so while one page is written the next is parsed
and normalized. At most two pages wait in between, which keeps memory bounded.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_DONE = object()


class PageWriter:
    """A Parquet file written page by page on a background thread; errors surface on the next call."""

    def __init__(self, path: Path, schema: pa.Schema, **options):
        self._writer = pq.ParquetWriter(path, schema, **options)
        self._pages: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="parquet-writer", daemon=True)
        self._thread.start()

    def write_table(self, table: pa.Table) -> None:
        self._raise_if_failed()
        self._pages.put(table)

    def close(self) -> None:
        self._pages.put(_DONE)
        self._thread.join()
        self._writer.close()
        self._raise_if_failed()

    def __enter__(self) -> PageWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> None:
        while (page := self._pages.get()) is not _DONE:
            if self._error is None:
                try:
                    self._writer.write_table(page)
                except BaseException as exc:  # handed to the producing thread, which reports it
                    self._error = exc

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
