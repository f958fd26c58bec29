"""Reading bank reconciliation: statements, their lines and matches, the
ledger account's movements; the base of ``BankReconciler``
(``domain.banking.service``).
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from domain.application import BackOffice
from domain.banking.counterparties import opened_counterparty, opened_record
from domain.banking.errors import (
    UnknownStatement,
)
from domain.banking.matching import (
    LineToMatch,
    Movement,
    ReportLine,
)
from domain.banking.reconciliation import BankReconciliation
from domain.banking.records import (
    BankStatement,
    line_id,
    reconciliation_id,
    split_line_id,
)
from domain.banking.statements import StatementLine
from domain.kernel.context import Context
from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from domain.kernel.unit_of_work import (
    find,
)
from domain.ledger.accounts import Account, account_id, check_account_code
from domain.ledger.errors import AccountClosed, UnknownAccount
from domain.ledger.movements import ledger_movements
from domain.subjects.service import SubjectRegistry


class BalanceSource(Protocol):
    """The balances projection (``projections.runner.ProjectionService``)."""

    def balance(self, account: str, as_of_date: str | None = ...) -> Any: ...


class BankReads:
    """Statements and reconciliations over ``app``."""

    def __init__(
        self,
        app: BackOffice,
        balances: BalanceSource | None = None,
        registry: SubjectRegistry | None = None,
    ) -> None:
        self.app = app
        self.balances = balances
        # Seals statement counterparties and opens them (domain.banking.counterparties).
        self.registry = registry

    def statement(self, statement_uuid: UUID) -> BankStatement:
        found = find(self.app, statement_uuid, BankStatement)
        if found is None:
            raise UnknownStatement(
                f"bank statement {statement_uuid} does not exist", field="statement_id"
            )
        return found

    def statement_view(self, statement_uuid: UUID) -> dict[str, Any]:
        """The statement with each line's match (entry id and how, or None)."""
        statement = self.statement(statement_uuid)
        reconciliation = self._reconciliation(statement.ledger_account)
        matches = reconciliation.matches if reconciliation is not None else {}
        scale = ISO_CURRENCY_SCALES[statement.currency]
        lines = []
        for line in statement.lines:
            identifier = line_id(statement.id, line.index)
            match = matches.get(identifier)
            lines.append(
                {
                    **opened_record(self.registry, line),
                    "line_id": identifier,
                    "amount": format_amount(line.amount_minor, scale),
                    "match": None if match is None else {"entry_id": match[0], "how": match[1]},
                }
            )
        return {
            "id": str(statement.id),
            "ledger_account": statement.ledger_account,
            "bank_account": statement.bank_account,
            "statement_id": statement.statement_id,
            "sequence": statement.sequence,
            "format": statement.source_format,
            "currency": statement.currency,
            "from_date": statement.from_date,
            "to_date": statement.to_date,
            "opening": statement.opening,
            "closing": statement.closing,
            "balance_check": statement.balance_check,
            "imported_by": statement.imported_by,
            "lines": lines,
        }

    def movements(
        self, account: str, from_date: str | None = None, to_date: str | None = None
    ) -> list[Movement]:
        """The posted entries' movements on ``account`` with effective dates in
        [from_date, to_date] (inclusive; open ends when None), in log order."""
        return ledger_movements(self.app, account, from_date, to_date)

    def _period_lines(
        self, reconciliation: BankReconciliation, first: str, last: str
    ) -> list[ReportLine]:
        """Booked lines of the attached statements booked within [first, last]."""
        found: list[ReportLine] = []
        for attached in reconciliation.statements:
            if (
                not attached["first_date"]
                or attached["last_date"] < first
                or attached["first_date"] > last
            ):
                continue
            statement = self.statement(UUID(attached["statement"]))
            for line in statement.lines:
                if line.booked and first <= line.booking_date <= last:
                    found.append(_report_line(self.registry, statement.id, line))
        return found

    def _line(self, text: str) -> tuple[BankStatement, StatementLine]:
        statement_uuid, index = split_line_id(text)
        statement = self.statement(statement_uuid)
        return statement, statement.line(index)

    def _ledger_account(self, code: str, *, allow_closed: bool = False) -> Account:
        code = check_account_code(code, "account")
        found = find(self.app, account_id(code), Account)
        if found is None:
            raise UnknownAccount(f"account {code!r} does not exist", field="account")
        if found.closed and not allow_closed:
            raise AccountClosed(f"account {code} is closed", field="account")
        return found

    def _reconciliation(
        self, account: str, context: Context | None = None, *, create: bool = False
    ) -> BankReconciliation | None:
        found = find(self.app, reconciliation_id(account), BankReconciliation)
        if found is not None:
            return found
        if not create:
            return None
        assert context is not None
        started: BankReconciliation = BankReconciliation.started(
            id=reconciliation_id(account),
            ledger_account=account,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return started


def _report_line(
    registry: SubjectRegistry | None, statement_uuid: UUID, line: StatementLine
) -> ReportLine:
    details = line.details
    return ReportLine(
        LineToMatch(
            line_id(statement_uuid, line.index),
            line.booking_date,
            line.value_date,
            line.direction,
            line.amount_minor,
            line.currency,
            tuple(line.references()),
        ),
        str(statement_uuid),
        counterparty=opened_counterparty(registry, line),
        description=next((d.remittance for d in details if d.remittance), line.additional_info),
    )
