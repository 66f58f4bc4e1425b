"""Reading the next batch while this one is routed.

A drain job takes its next batch before it routes the current one, and a
thread of the worker reads that batch ahead (parses and classifies it, see
`workers.routing.read_ahead`) while the job waits: for SQLite's write lock,
which the other worker holds, and for the webhooks' answers. Those waits
were a third of a worker's time, and reading ahead a fifth.

While the job holds the write lock the thread stops between small chunks of
messages: both want the same interpreter lock, and every millisecond the
transaction loses to it the other worker waits too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class ReadAhead:
    """One background thread, and the gate that holds it while the job writes."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        self._open = threading.Event()
        self._open.set()

    def submit(self, read: Callable[..., T], *args) -> Future[T]:
        """Run `read(*args, checkpoint=self.checkpoint)` on the thread; it calls the checkpoint between chunks."""
        return self._thread.submit(read, *args, checkpoint=self.checkpoint)

    def checkpoint(self) -> None:
        """Called by the reading thread between chunks: waits while the job writes."""
        self._open.wait()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The job holds the store's write lock: the reading thread stops at its next checkpoint."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def close(self) -> None:
        """Let the thread finish what it was given and end."""
        self._thread.shutdown(wait=True)
