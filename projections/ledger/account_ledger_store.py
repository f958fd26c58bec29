"""Storage of the account ledger projection: one row per posting, keyed for paging.

Tables (prefix ``aled_``; read models, rebuilt freely by replay):

- ``aled_postings``: (``account``, ``asset``, ``effective_date``, ``position``,
  ``line``) is the key and the ledger's order; ``entry_id``, ``recorded_at``,
  ``description``, ``reference``, ``counterparts`` (the entry's other accounts,
  comma-separated), ``direction``, ``amount_minor`` (> 0) and
  ``net_debit_minor`` (+amount for a debit, -amount for a credit: what the
  opening and closing sums add up). ``position`` is where the posting took
  effect: the entry's own event, or the ``PendingEntryPosted`` that posted a
  two-phase entry.
- ``aled_pending``: two-phase entries recorded and not yet posted or voided,
  with what their postings need once posted.
- ``aled_accounts``: each account's type and declared assets (from
  ``AccountOpened``), for the normal side of its balance.
- ``aled_tracking``: the tracked position (``projections.tracking.sql``).

The index ``aled_sums`` covers the sums: an opening or closing balance reads
index entries of one account and asset, never the table.
"""

from __future__ import annotations

from typing import Any

from adapters.database import Database
from projections.tracking.sql import Table, TableStore

PREFIX = "aled_"
PROJECTION_NAME = "account_ledger"

POSTING_COLUMNS = (
    "account",
    "asset",
    "effective_date",
    "position",
    "line",
    "entry_id",
    "recorded_at",
    "description",
    "reference",
    "counterparts",
    "direction",
    "amount_minor",
    "net_debit_minor",
)
PENDING_COLUMNS = (
    "entry_id",
    "effective_date",
    "recorded_at",
    "description",
    "reference",
    "postings",
    "recorded_position",
)
ACCOUNT_COLUMNS = ("account", "account_type", "assets")

POSTINGS = Table(
    "postings",
    POSTING_COLUMNS,
    ("account", "asset", "effective_date", "position", "line"),
    integer=frozenset({"position", "line", "amount_minor", "net_debit_minor"}),
    indexes={
        "sums": ("account", "asset", "effective_date", "position", "net_debit_minor"),
        "entries": ("entry_id",),
        "recorded": ("recorded_at",),
    },
)
PENDING = Table("pending", PENDING_COLUMNS, ("entry_id",), integer=frozenset({"recorded_position"}))
ACCOUNTS = Table("accounts", ACCOUNT_COLUMNS, ("account",))

_KEY = "(effective_date, position, line)"


class AccountLedgerStore(TableStore):
    """The ``aled_`` tables of one database, over one connection."""

    projection_name = PROJECTION_NAME
    schema = (POSTINGS, PENDING, ACCOUNTS)

    def __init__(self, database: Database, prefix: str = PREFIX) -> None:
        super().__init__(database, prefix)

    # --- writes (inside tracked_write) --------------------------------------------

    def pending_rows(self, entry_ids: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("pending", "entry_id", entry_ids)

    def write(
        self,
        postings: list[tuple[Any, ...]],
        pending_added: list[tuple[Any, ...]],
        pending_removed: list[str],
        accounts: list[tuple[Any, ...]],
    ) -> None:
        self.delete_in("pending", "entry_id", pending_removed)
        self.insert("pending", pending_added)
        self.insert("postings", postings)
        self.delete_in("accounts", "account", [row[0] for row in accounts])
        self.insert("accounts", accounts)

    # --- reads ---------------------------------------------------------------------

    def account(self, account: str) -> tuple[Any, ...] | None:
        found = self.rows(
            f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM {self.table('accounts')} WHERE account = ?",
            (account,),
        )
        return found[0] if found else None

    def net_debit_sum(
        self,
        account: str,
        asset: str,
        *,
        date_before: str | None = None,
        date_up_to: str | None = None,
        position_up_to: int | None = None,
    ) -> int:
        """Debits minus credits of the account's postings in ``asset`` dated before
        ``date_before`` / up to ``date_up_to``, recorded up to ``position_up_to``."""
        clauses, params = self._bounds(account, asset, position_up_to)
        if date_before is not None:
            clauses.append("effective_date < ?")
            params.append(date_before)
        if date_up_to is not None:
            clauses.append("effective_date <= ?")
            params.append(date_up_to)
        found = self.rows(
            f"SELECT COALESCE(SUM(net_debit_minor), 0) FROM {self.table('postings')} "
            f"WHERE {' AND '.join(clauses)}",
            tuple(params),
        )
        return int(found[0][0])

    def page(
        self,
        account: str,
        asset: str,
        *,
        date_from: str | None,
        date_to: str | None,
        position_up_to: int | None,
        after: tuple[str, int, int] | None,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        """Up to ``limit`` postings in ledger order (effective date, position, line)."""
        clauses, params = self._bounds(account, asset, position_up_to)
        if date_from is not None:
            clauses.append("effective_date >= ?")
            params.append(date_from)
        if date_to is not None:
            clauses.append("effective_date <= ?")
            params.append(date_to)
        if after is not None:
            clauses.append(f"{_KEY} > (?, ?, ?)")
            params.extend(after)
        return self.rows(
            f"SELECT {', '.join(POSTING_COLUMNS)} FROM {self.table('postings')} "
            f"WHERE {' AND '.join(clauses)} ORDER BY {_KEY.strip('()')} LIMIT ?",
            (*params, limit),
        )

    def daily_net_debits(
        self,
        account: str,
        asset: str,
        *,
        date_from: str | None,
        date_to: str | None,
        position_up_to: int | None,
        days_max: int,
    ) -> list[tuple[str, int]]:
        """(effective date, debits - credits that day) in date order, at most ``days_max``."""
        clauses, params = self._bounds(account, asset, position_up_to)
        for clause, value in (("effective_date >= ?", date_from), ("effective_date <= ?", date_to)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        found = self.rows(
            f"SELECT effective_date, SUM(net_debit_minor) FROM {self.table('postings')} "
            f"WHERE {' AND '.join(clauses)} GROUP BY effective_date ORDER BY effective_date LIMIT ?",
            (*params, days_max),
        )
        return [(str(day), int(net)) for day, net in found]

    def entries_recorded_since(self, recorded_from: str) -> int:
        """Journal entries with postings recorded at or after ``recorded_from`` (UTC text)."""
        found = self.rows(
            f"SELECT COUNT(DISTINCT entry_id) FROM {self.table('postings')} WHERE recorded_at >= ?",
            (recorded_from,),
        )
        return int(found[0][0])

    def _bounds(
        self, account: str, asset: str, position_up_to: int | None
    ) -> tuple[list[str], list[Any]]:
        clauses = ["account = ?", "asset = ?"]
        params: list[Any] = [account, asset]
        if position_up_to is not None:
            clauses.append("position <= ?")
            params.append(position_up_to)
        return clauses, params
