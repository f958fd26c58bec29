"""One tracked-projection mechanism for every read model of the log.

A tracked projection reads the log in pages (``adapters.log_reader``) from
the position it tracks, folds each page with a plain function of
(state, event), and has its storage write the page's rows and the new
position in one transaction. A writer that finds the position moved under
it (another process folded the same pages first) rolls back; the catch-up
reloads and goes on from there, so every event counts exactly once and a
process killed mid-page resumes where the last commit left off. Any other
error stops the catch-up and is raised: nothing is skipped.

``TrackedProjection`` holds that loop once. A projection supplies its
storage (a ``TrackedStore``) and, for the page fold, ``load`` (the state the
page's events need, read inside the page's transaction), ``apply`` (pure) and
``save``. The balances projection keeps a fold of its own (state in memory,
overlapped pipeline, bulk COPY rebuild) by overriding ``_fold`` and
``load_from_scratch``; the loop, the table setup and the rebuild around it
are the same.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar

from adapters.database import Database, schema_setup_lock
from adapters.log_reader import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, LogEvent, LogReader

MOVED_RETRIES_MAX = 8
"""Reloads after another writer moved the projection without the position
advancing, before giving up."""

Progress = Callable[[int, int], None]
"""Called after each committed page with (position, target position)."""


class ProjectionMoved(RuntimeError):
    """Another writer advanced the projection since this one read its position."""


class Finding(NamedTuple):
    """A broken invariant: ``invariant`` name, log ``position`` (None for the end
    state) and a ``detail`` sentence naming the account, entry or row."""

    invariant: str
    position: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class RebuildStats:
    """``events`` folded up to log ``position`` in ``seconds``."""

    projection: str
    events: int
    position: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class TrackedStore(Protocol):
    """What the mechanism needs of a projection's storage: its tables under
    one ``prefix`` (live, rebuild or shadow) and their tracked position."""

    prefix: str

    def tables_exist(self) -> bool: ...
    def create_tables(self) -> None: ...
    def drop_tables(self) -> None: ...
    def rename_tables(self, prefix: str) -> None:
        """Replace the tables of ``prefix`` with these, in one transaction."""

    def tracked_position(self) -> int: ...
    def read_snapshot(self) -> AbstractContextManager[None]: ...
    def table_digests(self) -> dict[str, str]:
        """SHA-256 per table over its rows in key order (inside read_snapshot)."""

    def close(self) -> None: ...


class PageStore(TrackedStore, Protocol):
    """A store that commits a page's rows and its position together."""

    def tracked_write(self, from_position: int, to_position: int) -> AbstractContextManager[None]:
        """The page's transaction: ProjectionMoved unless the position is
        ``from_position``; moves it to ``to_position`` with the rows."""


StoreT = TypeVar("StoreT", bound=TrackedStore)
PageStoreT = TypeVar("PageStoreT", bound=PageStore)
S = TypeVar("S")


class TrackedProjection(ABC, Generic[StoreT]):
    """A read model folded from the log, with its storage under ``prefix``.

    In-process use (the default): every query catches up first. A service
    built with ``catch_up_on_query=False`` answers from what a worker wrote.
    """

    name: ClassVar[str]
    """The registry's name (``backoffice rebuild NAME``)."""
    label: ClassVar[str]
    """How the worker and the CLI name it in a sentence."""
    live_prefix: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    rebuild_page_size: ClassVar[int] = PAGE_SIZE_DEFAULT

    def __init__(
        self,
        database: Database,
        *,
        prefix: str | None = None,
        page_size: int = PAGE_SIZE_DEFAULT,
        catch_up_on_query: bool = True,
    ) -> None:
        assert 0 < page_size <= PAGE_SIZE_MAX
        self.database = database
        self.page_size = page_size
        self.catch_up_on_query = catch_up_on_query
        self.store: StoreT = self.open_store(prefix or self.live_prefix)
        self._reader = LogReader(database)
        self._tables_ready = False
        self.events_read = 0
        """Events read by this instance's catch-ups (a rebuild's count)."""
        # One store connection, shared by request threads.
        self._lock = threading.RLock()

    def read_log_from(self, database: Database) -> None:
        """Read the log from ``database`` (a hot standby: ``adapters.replicas``); the
        rows and the tracking position are still written to ``self.database``."""
        with self._lock:
            self._reader.close()
            self._reader = LogReader(database)

    @abstractmethod
    def open_store(self, prefix: str) -> StoreT:
        """The storage adapter of this database's backend, for tables of ``prefix``."""

    def close(self) -> None:
        with self._lock:
            self.store.close()
            self._reader.close()

    # --- tables -------------------------------------------------------------

    def ensure_tables(self) -> None:
        """Create the tables if missing (two processes starting together must
        not race the DDL: PostgreSQL's catalog refuses the second)."""
        if self._tables_ready:
            return
        if not self.store.tables_exist():
            with schema_setup_lock(self.database):
                if not self.store.tables_exist():
                    self.store.create_tables()
        self._tables_ready = True

    _ensure_tables = ensure_tables  # the name migrate and the API used

    # --- folding ------------------------------------------------------------

    def catch_up(self, up_to: int | None = None, progress: Progress | None = None) -> int:
        """Fold the log up to ``up_to`` (default: its head); return the tracked position."""
        with self._lock:
            self.ensure_tables()
            moves, last_seen = 0, -1
            while True:
                try:
                    return self._fold(up_to, progress)
                except ProjectionMoved:
                    # Another process folded the same events first: take its
                    # committed state and go on from there. While the position
                    # keeps advancing someone is making progress (two workers
                    # in step: the one behind loses page after page until the
                    # head); stuck at one position, something else is wrong.
                    self._forget()
                    seen = self.store.tracked_position()
                    moves = moves + 1 if seen <= last_seen else 0
                    last_seen = max(seen, last_seen)
                    if moves >= MOVED_RETRIES_MAX:
                        raise ProjectionMoved(
                            f"{self.label} kept moving under this process; retry"
                        ) from None

    def _forget(self) -> None:
        """Drop what is held in memory between pages (it may be stale)."""

    def _fold(self, up_to: int | None, progress: Progress | None) -> int:
        position = self.store.tracked_position()
        if up_to is not None and up_to <= position:
            return position
        # The head only matters to a progress bar: a query's catch-up skips the read.
        target = up_to if up_to is not None or progress is None else self._reader.head_position()
        for page in self._reader.pages(position, self.page_size, up_to):
            self.events_read += len(page)
            to_position = page[-1].position
            self.write_page([event for event in page if self.wanted(event)], position, to_position)
            position = to_position
            if progress is not None:
                progress(position, max(target or 0, position))
        return position

    def wanted(self, event: LogEvent) -> bool:
        """Whether this projection folds ``event`` (others only move the position)."""
        return True

    def write_page(self, events: list[LogEvent], from_position: int, to_position: int) -> None:
        """Fold ``events`` and commit their rows with the position ``to_position``."""
        raise NotImplementedError(f"{type(self).__name__} folds pages its own way")

    def tracked_position(self) -> int:
        """Where the projection stands, without folding (health, metrics)."""
        with self._lock:
            self.ensure_tables()
            return self.store.tracked_position()

    def position(self) -> int:
        """The log position the projection reflects (after catching up, by default)."""
        with self._lock:
            self._fresh()
            return self.store.tracked_position()

    def _fresh(self) -> None:
        if self.catch_up_on_query:
            self.catch_up()
        else:
            self.ensure_tables()

    def run_forever(
        self, poll_interval_s: float = 1.0, stop_event: threading.Event | None = None
    ) -> None:
        """Catch up, wait, repeat until ``stop_event`` is set; an error stops the loop."""
        stop = stop_event or threading.Event()
        while not stop.is_set():
            self.catch_up()
            stop.wait(poll_interval_s)

    # --- replay -------------------------------------------------------------

    @classmethod
    def rebuild_prefix(cls) -> str:
        return f"{cls.live_prefix}rebuild_"

    @classmethod
    def shadow_prefix(cls) -> str:
        return f"{cls.live_prefix}shadow_"

    def sibling(self, prefix: str, page_size: int | None = None) -> TrackedProjection[StoreT]:
        """The same projection of the same database, on the tables of ``prefix``."""
        return type(self)(
            self.database,
            prefix=prefix,
            page_size=page_size or self.page_size,
            catch_up_on_query=False,
        )

    def replay(
        self, progress: Progress | None = None, *, page_size: int | None = None
    ) -> RebuildStats:
        """Fold the whole log into fresh tables beside the live ones, then swap
        them in, in one transaction: queries keep answering from the old tables
        meanwhile, and a failed rebuild leaves them as they were. Events
        appended meanwhile are folded by the next catch-up."""
        fresh = self.sibling(self.rebuild_prefix(), page_size or self.rebuild_page_size)
        try:
            stats, _state = fresh.load_from_scratch(progress=progress)
            fresh.store.rename_tables(self.live_prefix)
        finally:
            fresh.close()
        with self._lock:
            self._forget()
        return stats

    def rebuild(self) -> int:
        """``replay``; the position the swapped-in tables reached."""
        return self.replay().position

    def load_from_scratch(
        self, *, up_to: int | None = None, progress: Progress | None = None
    ) -> tuple[RebuildStats, Any]:
        """Drop and recreate this projection's tables, fold positions 1..``up_to``
        (default: the head now) into them; return the stats and the fold's end
        state for the invariant checks (None for a page fold: they read rows)."""
        with self._lock:
            started = time.perf_counter()
            self.store.drop_tables()
            self._tables_ready = False
            self._forget()
            target = self._reader.head_position() if up_to is None else up_to
            read_before = self.events_read
            position = self.catch_up(target, progress)
            seconds = time.perf_counter() - started
        events = self.events_read - read_before
        return RebuildStats(self.name, events, position, seconds), None


class PageFold(TrackedProjection[PageStoreT], Generic[PageStoreT, S]):
    """A projection folded a page at a time: ``load`` what the page's events
    need inside the page's transaction, ``apply`` each event (pure), ``save``."""

    def write_page(self, events: list[LogEvent], from_position: int, to_position: int) -> None:
        inputs = self.page_inputs(events)
        with self.store.tracked_write(from_position, to_position):
            state = self.load(events, inputs)
            for event in events:
                state = self.apply(state, event)
            self.save(state)

    def page_inputs(self, events: list[LogEvent]) -> Any:
        """What the fold needs from outside the projection's tables, read
        before the transaction (say, the subjects' keys)."""
        return None

    @abstractmethod
    def load(self, events: list[LogEvent], inputs: Any) -> S: ...

    @abstractmethod
    def apply(self, state: S, event: LogEvent) -> S:
        """The state after ``event``: plain Python, no database."""

    @abstractmethod
    def save(self, state: S) -> None: ...
