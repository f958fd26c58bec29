"""Importing bank statements: a file is planned (parsed and checked against
the ledger, nothing written), then committed, every new statement of it in
one commit with the account's reconciliation; statements already imported
with the same content are skipped, with other content refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.banking.counterparties import sealed_lines
from domain.banking.errors import (
    InvalidStatement,
    StatementAlreadyImported,
)
from domain.banking.reads import BankReads
from domain.banking.reconciliation import BankReconciliation
from domain.banking.records import (
    BankStatement,
    bank_statement_id,
    statement_fingerprint,
)
from domain.banking.statements import ParsedStatement, parse_statements
from domain.kernel.context import Context
from domain.kernel.unit_of_work import (
    Decided,
    find,
    position_or_none,
    unit_of_work,
)
from domain.ledger.errors import AssetNotAllowed
from domain.subjects.subject import DataSubject


@dataclass(frozen=True, slots=True)
class PlannedStatement:
    """A statement of a file, its id, and whether it is already in the log."""

    statement: ParsedStatement
    statement_uuid: UUID
    fingerprint: str
    already_imported: bool

    def as_view(self) -> dict[str, Any]:
        statement = self.statement
        return {
            "id": str(self.statement_uuid),
            "bank_account": statement.bank_account,
            "statement_id": statement.statement_id,
            "sequence": statement.sequence,
            "currency": statement.currency,
            "lines": len(statement.lines),
            "balance_check": statement.balance_check.as_view(statement.scale),
        }


@dataclass(frozen=True, slots=True)
class ImportPlan:
    ledger_account: str
    statements: list[PlannedStatement]


class StatementImport(BankReads):
    """Plan and commit statement imports."""

    def plan_import(self, raw: bytes, ledger_account: str, source_format: str) -> ImportPlan:
        """Parse the file and check it against the ledger; writes nothing."""
        account = self._ledger_account(ledger_account)
        statements = parse_statements(raw, source_format)
        planned: list[PlannedStatement] = []
        seen: set[UUID] = set()
        for index, statement in enumerate(statements):
            if statement.currency not in account.assets:
                raise AssetNotAllowed(
                    f"statement[{index}]: in {statement.currency}; ledger account"
                    f" {account.code} holds {', '.join(account.assets)}",
                    field="account",
                )
            uuid = bank_statement_id(
                statement.bank_account, statement.statement_id, statement.sequence
            )
            if uuid in seen:
                raise InvalidStatement(
                    f"statement[{index}]: statement {statement.statement_id!r} appears twice"
                    " in the file",
                    field=f"statement[{index}]",
                )
            seen.add(uuid)
            fingerprint = statement_fingerprint(account.code, statement)
            planned.append(
                PlannedStatement(statement, uuid, fingerprint, self._imported(uuid, fingerprint))
            )
        return ImportPlan(account.code, planned)

    def _imported(self, uuid: UUID, fingerprint: str) -> bool:
        """True if this statement is in the log with this content; refused if with other content."""
        existing = find(self.app, uuid, object)
        if existing is None:
            return False
        if not isinstance(existing, BankStatement) or existing.fingerprint != fingerprint:
            label = getattr(existing, "statement_id", uuid)
            ledger = getattr(existing, "ledger_account", "?")
            raise StatementAlreadyImported(
                f"statement {label!r} (id {uuid}) was imported before, for ledger account"
                f" {ledger}, with different content; a correction comes as a new statement"
                " (another id or sequence number)",
                field="statement_id",
            )
        return True

    def import_statements(
        self, context: Context, raw: bytes, ledger_account: str, source_format: str = "camt053"
    ) -> tuple[ImportPlan, int | None]:
        """Import every statement of a file in one commit; statements already imported
        with the same content are skipped. Returns the plan and the log position
        (None when nothing was new)."""
        plan = self.plan_import(raw, ledger_account, source_format)
        return plan, self.commit_import(context, plan)

    def commit_import(self, context: Context, plan: ImportPlan) -> int | None:
        context.checked()

        def decide() -> Decided[int | None]:
            fresh = [
                item
                for item in plan.statements
                if not self._imported(item.statement_uuid, item.fingerprint)
            ]
            if not fresh:
                return Decided((), position_or_none)
            reconciliation = self._reconciliation(plan.ledger_account, context, create=True)
            assert reconciliation is not None
            changed: list[Aggregate] = []
            for item in fresh:
                statement, counterparties = self._new_statement(context, plan.ledger_account, item)
                changed.extend([*counterparties, statement])
                self._attach(reconciliation, item.statement_uuid, item.statement, context)
            return Decided([*changed, reconciliation], position_or_none)

        return unit_of_work(
            self.app, decide, conflict="the account's reconciliation changed concurrently; retry"
        )

    @staticmethod
    def _attach(
        reconciliation: BankReconciliation,
        statement_uuid: UUID,
        statement: ParsedStatement,
        context: Context,
    ) -> None:
        dates = sorted(line.booking_date for line in statement.lines)
        reconciliation.trigger_event(
            BankReconciliation.StatementAttached,
            statement=str(statement_uuid),
            bank_account=statement.bank_account,
            currency=statement.currency,
            first_date=dates[0] if dates else "",
            last_date=dates[-1] if dates else "",
            closing_date="" if statement.closing is None else statement.closing.date,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    def _new_statement(
        self, context: Context, ledger_account: str, item: PlannedStatement
    ) -> tuple[BankStatement, list[DataSubject]]:
        """The statement as stored, its counterparties sealed under their own subjects
        (``domain.banking.counterparties``), and those new subjects."""
        statement = item.statement
        lines, counterparties = sealed_lines(
            self.registry, context, item.statement_uuid, statement
        )
        return BankStatement.imported(
            id=item.statement_uuid,
            ledger_account=ledger_account,
            bank_account=statement.bank_account,
            statement_id=statement.statement_id,
            sequence=statement.sequence,
            source_format=statement.source_format,
            message_id=statement.message_id,
            currency=statement.currency,
            from_date=statement.from_date,
            to_date=statement.to_date,
            opening=None if statement.opening is None else statement.opening.as_record(),
            closing=None if statement.closing is None else statement.closing.as_record(),
            lines=[line.as_record() for line in lines],
            balance_check=statement.balance_check.as_record(),
            fingerprint=item.fingerprint,
            actor=context.actor,
            correlation_id=context.correlation_id,
        ), counterparties
