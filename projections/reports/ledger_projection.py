"""The ledger reports' fold, loaded from the balances projection instead of folded
from the log, when the projection has reached the report's position.

The projection's ``history`` table has one row per (event x account x
asset) with the event's position, the entry's effective date and the
deltas it made to the posted and pending counters. So the lines of
``ledger_fold.LedgerFold`` as of position P over a range of dates are:

- debits and credits: the sums of the posted deltas of the rows at
  positions <= P dated in range;
- positions: the rows whose posted deltas are not zero (a posted entry, or
  the ``PendingEntryPosted`` of a two-phase one), plus, for a two-phase
  entry posted at or before P, its ``PendingEntryRecorded`` (the
  ``entries`` table's position; ``resolved_position`` is where it was
  posted). A pending entry voided, or still pending at P, counts nowhere;
  the fold of the log gives the same lines by construction
  (tests/test_reports.py compares the two digests).

Account types and opening positions come from the ``accounts`` table,
scales and registration positions from ``assets`` (each only if at or
before P); the period's events are read from the log by the period's id
(a key lookup) and applied as the fold applies them; the figures "as
reported at close" are the same sums bounded by the first close.
"""

from __future__ import annotations

from array import array
from typing import Any, cast

import orjson

from adapters.database import Database
from projections.ledger.runner import open_store
from projections.ledger.store import BalanceStore
from projections.reports.framework import DatabaseLogSource, LogSource
from projections.reports.ledger_fold import (
    LEDGER_SCOPE,
    PERIOD_CLOSED,
    Key,
    LedgerFold,
    Line,
    fold_ledger,
)
from projections.reports.parameters import DateRange
from projections.reports.scoped_log import aggregate_events

POSTED = "(h.debits_posted_delta <> 0 OR h.credits_posted_delta <> 0)"


def projected_fold(
    database: Database, as_of_position: int, dates: DateRange, period: str | None
) -> LedgerFold | None:
    """The fold as of ``as_of_position``, or None when the projection is not there yet."""
    store = open_store(database)
    try:
        if not store.tables_exist():
            return None
        with store.read_snapshot():
            if store.tracked_position() < as_of_position:
                return None
            fold = LedgerFold(dates, period)
            _load_metadata(store, fold, as_of_position)
            period_id = _period_id(store, period) if period is not None else None
            if period_id is not None:
                for event in aggregate_events(database, period_id, as_of_position):
                    if not LEDGER_SCOPE.admits(event.topic):
                        continue
                    if event.topic != PERIOD_CLOSED:
                        fold.apply(event)
                    else:  # the snapshot comes from the sums below, not from lines in memory
                        fold.period_positions.append(event.position)
                        fold.close_positions.append(event.position)
            _load_lines(store, fold, as_of_position)
            return fold
    finally:
        store.close()


def _rows(store: BalanceStore, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return store._rows(sql, params)  # the store's connection and snapshot


def _load_metadata(store: BalanceStore, fold: LedgerFold, as_of_position: int) -> None:
    for code, account_type, opened in _rows(
        store,
        f"SELECT code, account_type, opened_position FROM {store.table('accounts')} "
        "WHERE opened_position <= ?",
        (as_of_position,),
    ):
        fold.accounts[code] = (account_type, int(opened))
    for code, scale, position in _rows(
        store,
        f"SELECT code, scale, position FROM {store.table('assets')} WHERE position <= ?",
        (as_of_position,),
    ):
        fold.assets[code] = (int(scale), int(position))


def _period_id(store: BalanceStore, period: str) -> str | None:
    found = _rows(
        store, f"SELECT period_id FROM {store.table('periods')} WHERE period = ?", (period,)
    )
    return str(found[0][0]) if found else None


def _date_filter(dates: DateRange) -> tuple[str, tuple[str, ...]]:
    sql, params = "", cast(tuple[str, ...], ())
    if dates.date_from is not None:
        sql, params = " AND h.effective_date >= ?", (dates.date_from,)
    if dates.date_to is not None:
        sql, params = sql + " AND h.effective_date <= ?", (*params, dates.date_to)
    return sql, params


def _load_lines(store: BalanceStore, fold: LedgerFold, as_of_position: int) -> None:
    dated, dated_params = _date_filter(fold.dates)
    closed_at = fold.closed_at
    keys: dict[int, Key] = {
        int(balance_id): (account, asset)
        for balance_id, account, asset in _rows(
            store, f"SELECT balance_id, account, asset FROM {store.table('balances')}"
        )
    }
    sqlite = store.database.backend == "sqlite"
    positions = "group_concat(h.position)" if sqlite else "array_agg(h.position)"
    sums = _rows(
        store,
        "SELECT h.balance_id, SUM(h.debits_posted_delta), SUM(h.credits_posted_delta), "
        "SUM(CASE WHEN h.position <= ? THEN h.debits_posted_delta ELSE 0 END), "
        f"SUM(CASE WHEN h.position <= ? THEN h.credits_posted_delta ELSE 0 END), {positions} "
        f"FROM {store.table('history')} h WHERE h.position <= ? AND {POSTED}{dated} "
        "GROUP BY h.balance_id",
        (closed_at or 0, closed_at or 0, as_of_position, *dated_params),
    )
    at_close: dict[Key, tuple[int, int]] = {}
    for balance_id, debits, credits, debits_at_close, credits_at_close, found in sums:
        key = keys[int(balance_id)]
        found_positions = array("q", map(int, found.split(",")) if sqlite else found)
        fold.lines[key] = Line(int(debits), int(credits), found_positions)
        # A key missing from the snapshot reads as (0, 0): the same figures.
        at_close[key] = (int(debits_at_close), int(credits_at_close))
    if closed_at is not None:
        fold.at_close = at_close
    _add_pending_recorded(store, fold, as_of_position)


def _add_pending_recorded(store: BalanceStore, fold: LedgerFold, as_of_position: int) -> None:
    """The ``PendingEntryRecorded`` positions of two-phase entries posted by ``as_of_position``:
    on the lines of the accounts and assets of their postings, as the fold puts them."""
    for position, effective_date, postings in _rows(
        store,
        "SELECT position, effective_date, pending_postings "
        f"FROM {store.table('entries')} WHERE pending_postings IS NOT NULL "
        "AND status = 'posted' AND resolved_position <= ?",
        (as_of_position,),
    ):
        if not fold.dates.contains(effective_date):
            continue
        for key in {
            (account, asset) for account, _direction, _amount, asset in orjson.loads(postings)
        }:
            fold.lines[key].positions.append(int(position))


def ledger_fold_of(
    source: LogSource, as_of_position: int, dates: DateRange, period: str | None
) -> LedgerFold:
    """From the balances projection when the source allows it and the projection is
    there, else folded from the log: the same fold either way."""
    if isinstance(source, DatabaseLogSource) and source.fast_paths:
        found = projected_fold(source.database, as_of_position, dates, period)
        if found is not None:
            return found
    return fold_ledger(source, as_of_position, dates, period)
