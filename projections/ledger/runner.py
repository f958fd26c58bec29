"""Keeps the balances projection current and answers queries from it.

``catch_up`` reads the log from the tracked position in pages, folds each
page and writes its rows with the new position in one transaction. The
fold's state is kept in memory between calls and reloaded from the tables
whenever the tracked position is not the one it was left at (another
process moved it, or a write failed), so a fresh process resumes exactly
where the last commit left off. The library's ProjectionRunner handles one
event per call; a batched fold is several times faster on a long log.

In-process use (the default): every query calls ``catch_up`` first, so
answers include everything committed to the log. With a separate worker
process (``run_forever`` polls), a service built with
``catch_up_on_query=False`` answers from what the worker has written. A
tracked projection stops on error: nothing is ever skipped.
"""

from __future__ import annotations

import threading
from itertools import chain
from typing import Any
from uuid import UUID

from adapters.database import Database, schema_setup_lock
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogReader, gc_paused
from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.ledger.errors import UnknownAccount
from projections.ledger.balances import AccountInfo, BalanceState
from projections.ledger.schema import PREFIX_LIVE
from projections.ledger.store import BalanceStore, ProjectionMoved
from projections.ledger.views import (
    AccountBalance,
    TrialBalance,
    asset_totals,
    balance_line,
)
from projections.tracking.pipeline import fold_pages, overlap_pays

MOVED_RETRIES_MAX = 8
"""Reloads after another writer moved the projection, before giving up."""


def open_store(database: Database, prefix: str = PREFIX_LIVE) -> BalanceStore:
    """The balances store of ``database``'s backend, with table prefix ``prefix``."""
    if database.backend == "sqlite":
        from projections.ledger.store_sqlite import SQLiteBalanceStore

        return SQLiteBalanceStore(database, prefix)
    from projections.ledger.store_postgres import PostgresBalanceStore

    return PostgresBalanceStore(database, prefix)


class ProjectionService:
    """The balances projection of one database: folds the log, answers queries."""

    def __init__(
        self,
        database: Database,
        *,
        prefix: str = PREFIX_LIVE,
        page_size: int = PAGE_SIZE_DEFAULT,
        catch_up_on_query: bool = True,
    ) -> None:
        self.database = database
        self.page_size = page_size
        self.catch_up_on_query = catch_up_on_query
        self.store = open_store(database, prefix)
        self._reader = LogReader(database)
        self._state: BalanceState | None = None
        self._tables_ready = False
        # One store connection, shared by request threads and the probe.
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.store.close()
            self._reader.close()

    # --- folding ----------------------------------------------------------

    def catch_up(self, up_to: int | None = None) -> int:
        """Fold the log up to ``up_to`` (default: its head); return the tracked position."""
        with self._lock:
            self._ensure_tables()
            for _attempt in range(MOVED_RETRIES_MAX):
                try:
                    return self._fold(up_to)
                except ProjectionMoved:
                    # Another process folded the same events first: take its
                    # committed state and go on from there.
                    self._state = None
            raise ProjectionMoved("the projection kept moving under this process; retry")

    def _fold(self, up_to: int | None) -> int:
        state = self._current_state()
        if up_to is not None and up_to <= state.position:
            return state.position
        try:
            with gc_paused():
                pages = self._reader.pages(state.position, self.page_size, up_to)
                first = next(pages, None)
                if first is None:
                    return state.position
                # A full first page means a long way behind (a new worker, a
                # restart): worth the threads where they pay.
                overlap = len(first) == self.page_size and overlap_pays(self.database)
                fold_pages(state, chain([first], pages), self.store.write_batch, overlap=overlap)
        except BaseException:
            # The batch rolled back but the fold moved on in memory: forget
            # the memory; the next call reloads what was committed.
            self._state = None
            raise
        return state.position

    def _current_state(self) -> BalanceState:
        tracked = self.store.tracked_position()
        if self._state is None or self._state.position != tracked:
            self._state = self.store.load_state()
        return self._state

    def _ensure_tables(self) -> None:
        if not self._tables_ready:
            if not self.store.tables_exist():
                # Two processes starting together must not race the DDL
                # (PostgreSQL: "duplicate key value violates ... pg_type").
                with schema_setup_lock(self.database):
                    if not self.store.tables_exist():
                        self.store.create_tables()
            self._tables_ready = True

    def run_forever(
        self, poll_interval_s: float = 1.0, stop_event: threading.Event | None = None
    ) -> None:
        """Catch up, wait, repeat until ``stop_event`` is set; an error stops the loop."""
        stop = stop_event or threading.Event()
        while not stop.is_set():
            self.catch_up()
            stop.wait(poll_interval_s)

    # --- queries ----------------------------------------------------------

    def position(self) -> int:
        """The log position the projection reflects (after catching up, by default)."""
        with self._lock:
            self._fresh()
            return self.store.tracked_position()

    def balance(
        self, account: str, as_of_date: str | None = None, at_position: int | None = None
    ) -> AccountBalance:
        """Balances of ``account`` per asset, as of an effective date and/or a log position."""
        as_of_date, at_position = _checked_bounds(as_of_date, at_position)
        with self._lock:
            self._fresh()
            with self.store.read_snapshot():
                info = self.store.account_row(account)
                if info is None:
                    raise UnknownAccount(f"account {account!r} does not exist", field="account")
                rows = self.store.counters(account, as_of_date, at_position)
                scales = self.store.asset_scales()
                tracked = self.store.tracked_position()
        lines = [balance_line(row, info.account_type, scales) for row in rows]
        return AccountBalance(
            account, info.account_type, _answer_position(tracked, at_position), as_of_date, lines
        )

    def trial_balance(
        self, as_of_date: str | None = None, at_position: int | None = None
    ) -> TrialBalance:
        """Every account per asset, with totals per asset (net to zero when sound)."""
        as_of_date, at_position = _checked_bounds(as_of_date, at_position)
        with self._lock:
            self._fresh()
            with self.store.read_snapshot():
                types = {info.code: info.account_type for info in self.store.account_rows()}
                rows = self.store.counters(None, as_of_date, at_position)
                scales = self.store.asset_scales()
                tracked = self.store.tracked_position()
        lines = [balance_line(row, types.get(row.account, "unknown"), scales) for row in rows]
        return TrialBalance(
            _answer_position(tracked, at_position), as_of_date, lines, asset_totals(lines)
        )

    def entry_position(self, entry_id: UUID | str) -> int | None:
        """The log position at which the entry was recorded, or None if unknown."""
        try:
            canonical = str(UUID(str(entry_id)))
        except ValueError:
            raise InvalidInput(f"entry_id: {str(entry_id)[:64]!r} is not a UUID", field="entry_id") from None
        with self._lock:
            self._fresh()
            return self.store.entry_position(canonical)

    def accounts(self) -> list[AccountInfo]:
        with self._lock:
            self._fresh()
            return self.store.account_rows()

    def has_nonzero_balance(self, account: str) -> bool:
        """True when the account holds a posted balance or a reservation in any asset.

        Used as the application's ``balance_probe``: it always catches up
        first, so an entry committed just before the close is seen.
        """
        with self._lock:
            self.catch_up()
            rows = self.store.counters(account, None, None)
        return any(
            row.debits_posted != row.credits_posted or row.debits_pending or row.credits_pending
            for row in rows
        )

    def _fresh(self) -> None:
        if self.catch_up_on_query:
            self.catch_up()
        else:
            self._ensure_tables()


def _checked_bounds(as_of_date: Any, at_position: Any) -> tuple[str | None, int | None]:
    if as_of_date is not None:
        as_of_date = limits.effective_date(as_of_date, "as_of_date")
    if at_position is not None and (
        not isinstance(at_position, int) or isinstance(at_position, bool) or at_position < 0
    ):
        raise InvalidInput("at_position: a log position, an integer >= 0", field="at_position")
    return as_of_date, at_position


def _answer_position(tracked: int, at_position: int | None) -> int:
    return tracked if at_position is None else min(tracked, at_position)
