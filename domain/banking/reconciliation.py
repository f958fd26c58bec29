"""A ledger bank account's reconciliation: its attached statements and the
matches of their lines to journal entries. Every write of reconciliation goes
through it, so its version serialises concurrent writers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics


class BankReconciliation(Aggregate):
    """The matches of one ledger bank account: line id <-> journal entry id."""

    class ReconciliationStarted(Aggregate.Created):
        ledger_account: str
        actor: str
        correlation_id: str

    class StatementAttached(Aggregate.Event):
        """Statement ``statement`` (a BankStatement id) belongs to this account; its
        lines are booked from ``first_date`` to ``last_date`` ("" without lines),
        its closing balance is dated ``closing_date`` ("" without one)."""

        statement: str
        bank_account: str
        currency: str
        first_date: str
        last_date: str
        closing_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.statements.append(
                {
                    "statement": self.statement,
                    "bank_account": self.bank_account,
                    "currency": self.currency,
                    "first_date": self.first_date,
                    "last_date": self.last_date,
                    "closing_date": self.closing_date,
                }
            )

    class LineMatched(Aggregate.Event):
        """Statement line ``line_id`` is explained by journal entry ``entry_id``;
        ``how``: reference | amount_date | manual."""

        line_id: str
        entry_id: str
        how: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.matches[self.line_id] = (self.entry_id, self.how)
            aggregate.entry_lines[self.entry_id] = self.line_id

    class LineUnmatched(Aggregate.Event):
        line_id: str
        entry_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.matches.pop(self.line_id, None)
            aggregate.entry_lines.pop(self.entry_id, None)

    def __init__(self, ledger_account: str, actor: str, correlation_id: str) -> None:
        self.ledger_account = ledger_account
        self.statements: list[dict[str, str]] = []
        self.matches: dict[str, tuple[str, str]] = {}
        self.entry_lines: dict[str, str] = {}

    @classmethod
    def started(
        cls,
        *,
        id: UUID,
        ledger_account: str,
        actor: str,
        correlation_id: str,
    ) -> BankReconciliation:
        """The ledger account's reconciliation record, started."""
        return cls._create(
            cls.ReconciliationStarted,
            id=id,
            ledger_account=ledger_account,
            actor=actor,
            correlation_id=correlation_id,
        )


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.bank_records", BankReconciliation)
