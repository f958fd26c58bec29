"""Storage of the balances projection: the part both backends share.

The tables are described in ``projections.ledger.schema``. Tracking is a table of
our own rather than the library's tracking recorder: the library's SQLite
recorder writes a fixed ``tracking`` table keyed by the upstream application
name alone, so the live projection, a rebuild, verify's shadow copy and
later projections of the same log in the same database would share one row;
and both recorders commit through their own connection pool, while a batch
here is written through one connection (COPY on PostgreSQL) that must commit
the rows and the position together. The semantics are the library's: the
position moves only with the rows, in one transaction, and a writer that
finds the position moved under it rolls back.

Subclasses supply the connection, bulk insert/upsert/update and DDL types.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import orjson

from adapters.database import Database
from adapters.log_reader import APPLICATION_NAME
from projections.ledger.schema import (
    COLUMNS,
    COUNTERS,
    DEFERRABLE_KEYS,
    DELTAS,
    INTEGER_COLUMNS,
    KEYS,
    OPEN_ENTRIES,
    PREFIX_LIVE,
    PREFIX_PATTERN,
    CounterRow,
    account_from_row,
    account_row,
    create_table_sql,
    key_clause,
    open_entries_index_sql,
)
from projections.ledger.state import AccountInfo, BalanceState, Changes, PendingEntry
from projections.tracking.base import ProjectionMoved


class BalanceStore(ABC):
    """The tables of one balances projection (live, rebuild or shadow) in ``database``."""

    projection_name = "balances"
    integer_type = "INTEGER"
    text_type = "TEXT"
    supports_deferred_keys = False

    def __init__(self, database: Database, prefix: str = PREFIX_LIVE) -> None:
        assert PREFIX_PATTERN.match(prefix), f"prefix {prefix!r}: lower-case, ends in _"
        self.database = database
        self.prefix = prefix
        self._held: _Held | None = None

    # --- backend hooks ----------------------------------------------------

    @abstractmethod
    def qualified(self, table_name: str) -> str:
        """``table_name`` as SQL names it (with the schema on PostgreSQL)."""

    @abstractmethod
    def tables_exist(self) -> bool: ...

    @abstractmethod
    def read_snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state of the tables."""

    @abstractmethod
    def write_transaction(self) -> AbstractContextManager[None]:
        """One transaction; rows and the tracked position commit together."""

    @abstractmethod
    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a query written with ``?`` placeholders; return all rows."""

    @abstractmethod
    def _iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """Stream the rows of a large query (digests)."""

    @abstractmethod
    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None: ...

    @abstractmethod
    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...

    @abstractmethod
    def _insert_rows(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        """Append rows (all columns of table ``name``, in COLUMNS order)."""

    @abstractmethod
    def _upsert_rows(self, name: str, rows: list[tuple[Any, ...]], *, add: bool) -> None:
        """Insert rows; on a key clash add the other columns (``add``) or replace them."""

    @abstractmethod
    def _lock_tracking(self) -> int | None:
        """Inside a write transaction: lock and return the tracked position."""

    @abstractmethod
    def close(self) -> None: ...

    def table_suffix(self, name: str) -> str:
        """Storage options after CREATE TABLE (...)."""
        return ""

    def _serialise_ddl(self) -> None:  # noqa: B027 - SQLite's BEGIN IMMEDIATE serialises already
        """Inside a write transaction: wait for other processes creating these tables."""

    def column_type(self, column: str) -> str:
        return self.integer_type if column in INTEGER_COLUMNS else self.text_type

    def table(self, name: str) -> str:
        """The SQL name of this projection's table ``name`` (``history``, ...)."""
        return self.qualified(f"{self.prefix}{name}")

    def _update_rows(self, name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Set ``columns`` of the rows whose single-column key is the last value of each row."""
        assignments = ", ".join(f"{column} = ?" for column in columns)
        self._execute_many(
            f"UPDATE {self.table(name)} SET {assignments} WHERE {KEYS[name][0]} = ?", rows
        )

    # --- tables -----------------------------------------------------------

    def create_tables(self, *, bulk: bool = False) -> None:
        """Create the tables. ``bulk`` is for a load from scratch into tables
        nobody reads yet: keys of the big tables (where the backend can add
        them later), current balances and entry updates wait for
        ``finish_bulk``, which also sums the history rows per day in SQL
        (the fold's own daily sums are then not needed: see ``track_daily``)."""
        self._held = _Held() if bulk else None
        defer = bulk and self.supports_deferred_keys
        with self.write_transaction():
            self._serialise_ddl()
            for name in COLUMNS:
                self._execute(
                    create_table_sql(
                        self.table(name),
                        name,
                        integer_type=self.integer_type,
                        text_type=self.text_type,
                        suffix=self.table_suffix(name),
                        keyed=not (defer and name in DEFERRABLE_KEYS),
                    )
                )
            self._execute(open_entries_index_sql(self.prefix, self.table("entries")))
            self._execute(
                f"INSERT INTO {self.table('tracking')} VALUES (?, ?, 0) ON CONFLICT DO NOTHING",
                (self.projection_name, APPLICATION_NAME),
            )

    def finish_bulk(self) -> None:
        """Add the deferred keys, then write what was held back."""
        held, self._held = self._held, None
        if held is None:
            return
        with self.write_transaction():
            if self.supports_deferred_keys:
                for name in DEFERRABLE_KEYS:
                    self._execute(f"ALTER TABLE {self.table(name)} ADD {key_clause(name)}")
            self._execute(
                f"INSERT INTO {self.table('daily')} ({', '.join(COLUMNS['daily'])}) "
                f"SELECT balance_id, effective_date, {_sums('h', DELTAS)} "
                f"FROM {self.table('history')} h GROUP BY balance_id, effective_date"
            )
            self._upsert_rows("balances", list(held.balances.values()), add=False)
            self._write_entry_updates(held.resolutions, held.reversals)
            self._analyze()

    def _analyze(self) -> None:  # noqa: B027 - SQLite plans these queries well without statistics
        """Refresh the planner's statistics after a bulk load."""

    def drop_tables(self) -> None:
        with self.write_transaction():
            for name in COLUMNS:
                self._execute(f"DROP TABLE IF EXISTS {self.table(name)}")

    def rename_tables(self, prefix: str) -> None:
        """Replace the tables of ``prefix`` with these, in one transaction (rebuild's swap)."""
        assert PREFIX_PATTERN.match(prefix)
        with self.write_transaction():
            for name in COLUMNS:
                self._execute(f"DROP TABLE IF EXISTS {self.qualified(prefix + name)}")
                self._execute(f"ALTER TABLE {self.table(name)} RENAME TO {prefix}{name}")
            # Index names are per schema: the index follows its table's prefix.
            self._execute(f"DROP INDEX IF EXISTS {self.qualified(self.prefix + 'entries_open')}")
            self._execute(open_entries_index_sql(prefix, self.qualified(f"{prefix}entries")))
        self.prefix = prefix

    # --- writing a batch --------------------------------------------------

    def write_batch(self, changes: Changes) -> None:
        """Write the rows of one batch and move the tracked position from
        ``changes.from_position`` to ``changes.to_position``, in one transaction."""
        assert changes.to_position >= changes.from_position
        with self.write_transaction():
            tracked = self._lock_tracking()
            if tracked != changes.from_position:
                raise ProjectionMoved(
                    f"{self.prefix}tracking is at {tracked}, "
                    f"this batch starts at {changes.from_position}"
                )
            self._write_rows(changes)
            self._execute(
                f"UPDATE {self.table('tracking')} SET position = ? "
                "WHERE projection_name = ? AND application_name = ?",
                (changes.to_position, self.projection_name, APPLICATION_NAME),
            )

    def _write_rows(self, changes: Changes) -> None:
        self._insert_rows("accounts", [account_row(info) for info in changes.accounts])
        self._execute_many(
            f"UPDATE {self.table('accounts')} SET closed_position = ? WHERE code = ?",
            [(position, code) for code, position in changes.account_closes],
        )
        periods = sorted(changes.periods.items())
        self._upsert_rows(
            "periods",
            [(period, pid, int(closed), position) for period, (pid, closed, position) in periods],
            add=False,
        )
        self._insert_rows("assets", changes.assets)
        self._insert_rows("history", changes.history)
        self._insert_rows("entries", changes.entries)
        resolutions = [(s, p, entry_id) for entry_id, s, p in changes.entry_resolutions]
        reversals = [(r, p, entry_id) for entry_id, r, p in changes.entry_reversals]
        if self._held is not None:
            self._held.add(changes, resolutions, reversals)
            return
        self._upsert_rows("daily", [(*key, *sums) for key, sums in changes.daily.items()], add=True)
        self._upsert_rows("balances", changes.balance_rows, add=False)
        self._write_entry_updates(resolutions, reversals)

    def _write_entry_updates(
        self, resolutions: list[tuple[Any, ...]], reversals: list[tuple[Any, ...]]
    ) -> None:
        """Rows are (new value, position, entry id); an entry is resolved and reversed once."""
        self._update_rows("entries", ("status", "resolved_position"), resolutions)
        self._update_rows("entries", ("reversed_by", "reversed_position"), reversals)

    # --- reading ----------------------------------------------------------

    def tracked_position(self) -> int:
        rows = self._rows(
            f"SELECT position FROM {self.table('tracking')} "
            "WHERE projection_name = ? AND application_name = ?",
            (self.projection_name, APPLICATION_NAME),
        )
        return int(rows[0][0]) if rows else 0

    def load_state(self) -> BalanceState:
        """The fold's state as of the tracked position (findings are not stored)."""
        with self.read_snapshot():
            state = BalanceState(position=self.tracked_position())
            for row in self._rows(f"SELECT * FROM {self.table('accounts')}"):
                state.add_account(account_from_row(row))
            for balance_id, account, asset, *counters, _position in self._rows(
                f"SELECT * FROM {self.table('balances')} ORDER BY balance_id"
            ):
                state.counters[(account, asset)] = [int(value) for value in counters]
                state.balance_ids[(account, asset)] = int(balance_id)
            self._load_entries(state)
            for period, period_id, closed, _position in self._rows(
                f"SELECT * FROM {self.table('periods')}"
            ):
                state.period_names[period_id] = period
                if closed:
                    state.closed_periods.add(period)
            state.asset_scales.update(self.asset_scales())
        return state

    def _load_entries(self, state: BalanceState) -> None:
        # Only two-phase and reversed entries matter to the fold; posted ones
        # never change the counters again.
        rows = self._rows(
            "SELECT entry_id, position, status, effective_date, pending_postings, reversed_by "
            f"FROM {self.table('entries')} WHERE {OPEN_ENTRIES}"
        )
        for entry_id, position, status, effective_date, postings, reversed_by in rows:
            if reversed_by is not None:
                state.reversed_entries.add(entry_id)
            if postings is None:
                continue
            if status == "pending":
                state.pending[entry_id] = PendingEntry(
                    orjson.loads(postings), effective_date, int(position)
                )
            else:
                state.resolved[entry_id] = status

    def account_row(self, code: str) -> AccountInfo | None:
        rows = self._rows(f"SELECT * FROM {self.table('accounts')} WHERE code = ?", (code,))
        return account_from_row(rows[0]) if rows else None

    def account_rows(self) -> list[AccountInfo]:
        rows = self._rows(f"SELECT * FROM {self.table('accounts')} ORDER BY code")
        return [account_from_row(row) for row in rows]

    def asset_scales(self) -> dict[str, int]:
        rows = self._rows(f"SELECT code, scale FROM {self.table('assets')}")
        return {code: int(scale) for code, scale in rows}

    def entry_position(self, entry_id: str) -> int | None:
        rows = self._rows(
            f"SELECT position FROM {self.table('entries')} WHERE entry_id = ?", (entry_id,)
        )
        return int(rows[0][0]) if rows else None

    def counters(
        self, account: str | None, as_of_date: str | None, at_position: int | None
    ) -> list[CounterRow]:
        """Counters per (account, asset) as of a date and/or a position (bounds inclusive)."""
        balances = self.table("balances")
        params: list[Any] = []
        if as_of_date is None and at_position is None:
            sql = f"SELECT b.account, b.asset, {_columns('b', COUNTERS)} FROM {balances} b"
        elif as_of_date is None:
            # The running totals of the last history row at or before the position.
            history = self.table("history")
            sql = (
                f"SELECT b.account, b.asset, {_columns('h', COUNTERS)} FROM {balances} b "
                f"JOIN {history} h ON h.balance_id = b.balance_id AND h.position = ("
                f"SELECT MAX(m.position) FROM {history} m "
                "WHERE m.balance_id = b.balance_id AND m.position <= ?)"
            )
            params.append(at_position)
        else:
            source = self.table("daily" if at_position is None else "history")
            sql = (
                f"SELECT b.account, b.asset, {_sums('d', DELTAS)} FROM {balances} b "
                f"JOIN {source} d ON d.balance_id = b.balance_id AND d.effective_date <= ?"
            )
            params.append(as_of_date)
            if at_position is not None:
                sql += " AND d.position <= ?"
                params.append(at_position)
        if account is not None:
            sql += " WHERE b.account = ?"
            params.append(account)
        if as_of_date is not None:
            sql += " GROUP BY b.account, b.asset"
        sql += " ORDER BY b.account, b.asset"
        return [
            CounterRow(row[0], row[1], *(int(value) for value in row[2:]))
            for row in self._rows(sql, tuple(params))
        ]

    # --- digests ----------------------------------------------------------

    def table_digests(self) -> dict[str, str]:
        """SHA-256 per table over all rows in key order (call inside read_snapshot)."""
        digests = {}
        for name, columns in COLUMNS.items():
            sha = hashlib.sha256()
            order = ", ".join(KEYS[name])
            sql = f"SELECT {', '.join(columns)} FROM {self.table(name)} ORDER BY {order}"
            for row in self._iter_rows(sql):
                sha.update(orjson.dumps(row, default=str))
                sha.update(b"\n")
            digests[name] = sha.hexdigest()
        return digests


class _Held:
    """Rows a bulk load writes once at the end instead of rewriting per batch:
    the current balances, and the entry updates (an UPDATE by entry id would
    scan the entries table while its key is deferred)."""

    def __init__(self) -> None:
        self.balances: dict[int, tuple[Any, ...]] = {}
        self.resolutions: list[tuple[Any, ...]] = []
        self.reversals: list[tuple[Any, ...]] = []

    def add(
        self, changes: Changes, resolutions: list[tuple[Any, ...]], reversals: list[tuple[Any, ...]]
    ) -> None:
        for row in changes.balance_rows:
            self.balances[row[0]] = row
        self.resolutions.extend(resolutions)
        self.reversals.extend(reversals)


def _columns(alias: str, names: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{name}" for name in names)


def _sums(alias: str, names: tuple[str, ...]) -> str:
    return ", ".join(f"SUM({alias}.{name})" for name in names)
