"""Fold pages of the log and write their rows, overlapping database work with the fold.

Reading a page and writing a batch mostly wait on the database. With
``overlap``, a reader thread fetches the next pages and a writer thread
commits the previous batches while the fold runs (psycopg and sqlite3
release the GIL while the database works), so the server's CPU runs beside
the fold's. Each batch is still one transaction with its tracking position,
committed in log order by the one writer thread; a failure anywhere stops
the pipeline and is raised to the caller, and nothing after the failed
batch is committed.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from adapters.database import Database
from adapters.log_reader import LogEvent
from projections.ledger.balances import BalanceState, Changes, apply_all


def overlap_pays(database: Database) -> bool:
    """Whether reading and writing beside the fold pays off on this backend.

    PostgreSQL works in its own process, usually on its own machine: a serial
    rebuild of a million entries waits on it about 5 s of 14 s, which the
    threads hide when the server has cores of its own (on a 2-core box
    shared with the server and other jobs the two were on par, 71k against
    74k events/s). SQLite works inside this process, where the threads only
    contend for the GIL: serial was 15% faster.
    """
    return database.backend == "postgres"


QUEUE_DEPTH = 2
"""Pages read ahead and batches waiting to be written: bounds memory to a few pages."""
_POLL_S = 0.1
_END = object()


def fold_pages(
    state: BalanceState,
    pages: Iterator[list[LogEvent]],
    write: Callable[[Changes], None],
    *,
    overlap: bool = False,
) -> int:
    """Fold each page into ``state`` and ``write`` its changes; return the new position."""
    if not overlap:
        for page in pages:
            apply_all(state, page)
            write(state.take_changes())
        return state.position
    with _Reader(pages) as reader, _Writer(write) as writer:
        for page in reader:
            apply_all(state, page)
            writer.put_batch(state.take_changes())
    return state.position


class _Stopped(Exception):
    """The other side of a queue has gone away."""


class _Thread:
    """A daemon thread with a bounded queue; its error is re-raised in the caller."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._guarded, daemon=True, name="projection")

    def _guarded(self) -> None:
        try:
            self.run()
        except _Stopped:
            pass
        except BaseException as error:
            self.error = error  # re-raised in the calling thread

    def run(self) -> None:
        raise NotImplementedError

    def put(self, item: Any, alive: Callable[[], bool]) -> None:
        """Put, waiting while ``alive()``; raise _Stopped when the partner went away."""
        while True:
            try:
                self.queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                if not alive():
                    raise _Stopped from None

    def get(self, alive: Callable[[], bool]) -> Any:
        while True:
            try:
                return self.queue.get(timeout=_POLL_S)
            except queue.Empty:
                if not alive():
                    raise _Stopped from None

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


class _Reader(_Thread):
    """Reads pages ahead of the fold."""

    def __init__(self, pages: Iterator[list[LogEvent]]) -> None:
        super().__init__()
        self.pages = pages

    def run(self) -> None:
        running = lambda: not self.stop.is_set()  # noqa: E731
        try:
            for page in self.pages:
                self.put(page, running)
        except _Stopped:
            raise
        except BaseException as error:
            self.error = error  # set before _END is put, so the fold sees it
        self.put(_END, running)

    def __enter__(self) -> _Reader:
        self.thread.start()
        return self

    def __iter__(self) -> Iterator[list[LogEvent]]:
        while True:
            try:
                item = self.get(lambda: self.thread.is_alive() or not self.queue.empty())
            except _Stopped:
                item = _END
            if item is _END:
                self.raise_error()
                return
            yield item

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


class _Writer(_Thread):
    """Writes batches in order, one transaction each, behind the fold."""

    def __init__(self, write: Callable[[Changes], None]) -> None:
        super().__init__()
        self.write = write

    def run(self) -> None:
        while True:
            item = self.get(lambda: not self.stop.is_set())
            if item is _END or self.stop.is_set():
                return
            self.write(item)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put_batch(self, changes: Changes) -> None:
        self.raise_error()
        try:
            self.put(changes, self.thread.is_alive)
        except _Stopped:
            self.raise_error()
            raise RuntimeError("the projection writer stopped") from None

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            with contextlib.suppress(_Stopped):
                self.put(_END, self.thread.is_alive)
        else:
            self.stop.set()  # batches still queued are dropped: the caller reloads
        self.thread.join()
        if kind is None:
            self.raise_error()
