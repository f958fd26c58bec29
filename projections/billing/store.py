"""Storage of the open-items projection: its own table and tracked position.

Tables (prefix ``bill_``, next to the log; read models, rewritten freely):

- ``bill_ledger``: (``account``, ``currency``), ``net_debit_minor``: posted
  debits less credits of every account (the control accounts are checked
  against the open items from it, at the projection's own position).
- ``bill_pending``: ``entry_id``, ``postings`` (JSON): two-phase entries not
  yet posted or voided (they count once posted).
- ``bill_documents``: ``document_id`` (key), ``side`` (receivable | payable),
  ``party_id``, ``currency``, ``number``, ``issue_date``, ``due_date``,
  ``gross_minor``, ``allocated_minor``, ``credited_minor``,
  ``written_off_minor``, ``open_minor``, ``posted``, ``updated_position``;
  indexed by (side, party, currency, due date).
- ``bill_tracking``: (``projection_name``, ``position``), kept by
  ``projections.tracking.sql``.
"""

from __future__ import annotations

from typing import Any

from adapters.database import Database
from projections.tracking.sql import Table, TableStore

PREFIX = "bill_"
PROJECTION_NAME = "billing_open_items"
DOCUMENT_COLUMNS = (
    "document_id",
    "side",
    "party_id",
    "currency",
    "number",
    "issue_date",
    "due_date",
    "gross_minor",
    "allocated_minor",
    "credited_minor",
    "written_off_minor",
    "open_minor",
    "posted",
    "updated_position",
)
_INTEGER = frozenset(
    {
        "gross_minor",
        "allocated_minor",
        "credited_minor",
        "written_off_minor",
        "open_minor",
        "posted",
        "updated_position",
    }
)
LEDGER_COLUMNS = ("account", "currency", "net_debit_minor")
LEDGER = Table("ledger", LEDGER_COLUMNS, ("account", "currency"), frozenset({"net_debit_minor"}))
PENDING_COLUMNS = ("entry_id", "postings")
PENDING = Table("pending", PENDING_COLUMNS, ("entry_id",))
DOCUMENTS = Table(
    "documents",
    DOCUMENT_COLUMNS,
    ("document_id",),
    _INTEGER,
    frozenset(),
    {"open": ("side", "party_id", "currency", "due_date")},
)


class OpenItemsStore(TableStore):
    """The ``bill_`` tables of one database, over one connection."""

    projection_name = PROJECTION_NAME
    schema = (LEDGER, PENDING, DOCUMENTS)

    def __init__(self, database: Database, prefix: str = PREFIX) -> None:
        super().__init__(database, prefix)

    def ledger_rows(self, accounts: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("ledger", "account", accounts)

    def all_ledger_rows(self) -> list[tuple[Any, ...]]:
        return self.rows(
            f"SELECT {', '.join(LEDGER_COLUMNS)} FROM {self.table('ledger')} "
            "ORDER BY account, currency"
        )

    def pending_rows(self, entry_ids: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("pending", "entry_id", entry_ids)

    def replace_ledger(
        self, rows: dict[tuple[str, str], int], pending: dict[str, str | None]
    ) -> None:
        """Inside a write transaction: these balances, and the pending entries
        recorded (postings JSON) or gone (None)."""
        for (account, currency), net in sorted(rows.items()):
            self.execute(
                f"DELETE FROM {self.table('ledger')} WHERE account = ? AND currency = ?",
                (account, currency),
            )
            self.insert("ledger", [(account, currency, net)])
        self.delete_in("pending", "entry_id", sorted(pending))
        self.insert(
            "pending",
            [(entry_id, text) for entry_id, text in sorted(pending.items()) if text is not None],
        )

    def document_rows(self, document_ids: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("documents", "document_id", document_ids)

    def replace(self, document_ids: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Inside a write transaction: the rows of these documents become the given ones."""
        self.delete_in("documents", "document_id", document_ids)
        self.insert("documents", rows)

    def select_open(
        self, side: str | None, party_id: str | None, currency: str | None
    ) -> list[tuple[Any, ...]]:
        clauses, params = ["open_minor <> 0"], []
        for column, value in (("side", side), ("party_id", party_id), ("currency", currency)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return self.rows(
            f"SELECT {', '.join(DOCUMENT_COLUMNS)} FROM {self.table('documents')} "
            f"WHERE {' AND '.join(clauses)} ORDER BY due_date, issue_date, document_id",
            tuple(params),
        )

    def all_rows(self) -> list[tuple[Any, ...]]:
        return self.rows(
            f"SELECT {', '.join(DOCUMENT_COLUMNS)} FROM {self.table('documents')} "
            "ORDER BY document_id"
        )
