"""What the demo's business year left in the store, one line per area.

Read from the store as it stands (not from what this run did), so a second
run prints the same figures as the first. No personal data: parties appear
by subject id or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from backoffice.demo import data
from domain.banking.matching import ReconciliationReport
from domain.kernel.money import format_amount

if TYPE_CHECKING:
    from backoffice.demo.business import DemoBusiness


@dataclass(frozen=True, slots=True)
class HeldPayment:
    """A payment screening held: the screening result, the payment's status now,
    and compliance's decision (cleared | rejected), by whom and why."""

    payment_id: str
    result: str
    status: str
    decision: str | None
    decided_by: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class BusinessSummary:
    """Payments by status; receipts by method (count, cents); the settlement;
    held payments; the reconciliation report; subjects and the erasure."""

    subjects_registered: int
    subjects_erased: int
    erasure_kept_balances: bool | None  # None: erased by an earlier run
    sanctions_entries: int
    sanctions_version: str
    payments_by_status: dict[str, int]
    dual_approved: int
    held: list[HeldPayment]
    receipts_by_method: dict[str, tuple[int, int]]
    cash_receipts: int
    cash_total_minor: int
    settlement_status: str
    settlement_receivable_minor: int
    settlement_payable_minor: int
    settlement_net_minor: int
    settlement_direction: str
    reconciliation: ReconciliationReport
    areas: tuple[str, ...] = ()
    """The lines of the warehouse, billing and payroll (read from the store)."""

    def lines(self) -> list[str]:
        usd = _usd
        erased = (
            "balances unchanged by the erasure"
            if self.erasure_kept_balances
            else "erased by an earlier run"
            if self.erasure_kept_balances is None
            else "BALANCES CHANGED"
        )
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.payments_by_status.items()))
        methods = ", ".join(
            f"{method} {count} ({usd(total)})"
            for method, (count, total) in sorted(self.receipts_by_method.items())
        )
        held = "; ".join(
            f"{item.result} -> {item.decision or 'undecided'} by {item.decided_by}"
            f" ({item.reason}), now {item.status}"
            for item in self.held
        )
        report = self.reconciliation
        difference = report.difference_minor
        lines = [
            f"subjects: {self.subjects_registered} registered (payees and customers),"
            f" {self.subjects_erased} erased at year end: {erased}",
            f"sanctions list: {self.sanctions_entries} fictional entries,"
            f" version {self.sanctions_version[:12]}",
            f"payments by status: {statuses}; {self.dual_approved} needed two approvers",
            f"held payments: {len(self.held)}: {held}",
            f"receipts by method: {methods}; cash total {usd(self.cash_total_minor)}"
            f" ({self.cash_receipts} flagged cash)",
            f"settlement with {data.SETTLEMENT_COUNTERPARTY}: receivable"
            f" {usd(self.settlement_receivable_minor)}, payable"
            f" {usd(self.settlement_payable_minor)}, net {self.settlement_direction}"
            f" {usd(self.settlement_net_minor)}, {self.settlement_status}",
            f"reconciliation {report.account} {report.period}: matched {len(report.matched)},"
            f" unmatched statement lines {len(report.unmatched_lines)}, unmatched ledger"
            f" entries {len(report.unmatched_movements)}; statement closing"
            f" {_usd_or_none(report.statement_closing_minor)}, ledger"
            f" {usd(report.ledger_balance_minor)}, difference {_usd_or_none(difference)}",
        ]
        for item in report.unmatched_lines:
            line = item.line
            lines.append(
                f"  not in the books: {line.booking_date} {line.direction}"
                f" {usd(line.amount_minor)} {item.description}"
            )
        for movement in report.unmatched_movements:
            lines.append(
                f"  not on the statement: {movement.effective_date} {movement.direction}"
                f" {usd(movement.amount_minor)} {movement.description}"
            )
        return [*lines, *self.areas]


def _usd(amount_minor: int) -> str:
    return f"{format_amount(amount_minor, 2)} USD"


def _usd_or_none(amount_minor: int | None) -> str:
    return "none" if amount_minor is None else _usd(amount_minor)


def summarise(business: DemoBusiness, areas: Sequence[str] = ()) -> BusinessSummary:
    assert business.reconciliation is not None, "close_year() first"
    subjects = [business.registry.get(business.subject_id(slug)) for slug in data.PARTIES]
    listed = business.screening.current_list()
    assert listed is not None
    # The business year's own: from the operating bank and the cash box (billing
    # collects on its own account, payroll pays from its own).
    own = (data.BANK, data.CASH)
    payments = [p for p in business.payments.list_payments() if p.paying_account in own]
    held = []
    for payment in payments:
        result = payment.screening_result
        if result is None or result == "clear":
            continue
        assert payment.screening_case_id is not None
        case = business.screening.case(UUID(payment.screening_case_id))
        held.append(
            HeldPayment(
                str(payment.id),
                result,
                payment.status,
                case.decision,
                case.decided_by,
                case.decision_reason,
            )
        )
    by_method: dict[str, tuple[int, int]] = {}
    posted = [r for r in business.receipts.list_receipts("posted") if r.debit_account in own]
    for receipt in posted:
        count, total = by_method.get(receipt.method, (0, 0))
        by_method[receipt.method] = (count + 1, total + receipt.amount_minor)
    cash = [receipt for receipt in posted if receipt.cash]
    instruction = business.settlements.get_instruction(business.instruction_id())
    return BusinessSummary(
        subjects_registered=len(subjects),
        subjects_erased=sum(1 for subject in subjects if subject.erased),
        erasure_kept_balances=business.erasure,
        sanctions_entries=int(listed["entry_count"]),
        sanctions_version=str(listed["list_version"]),
        payments_by_status=dict(Counter(payment.status for payment in payments)),
        dual_approved=sum(1 for payment in payments if payment.approvals_required == 2),
        held=held,
        receipts_by_method=by_method,
        cash_receipts=len(cash),
        cash_total_minor=sum(receipt.amount_minor for receipt in cash),
        settlement_status=instruction.status,
        settlement_receivable_minor=instruction.gross_receivable_minor,
        settlement_payable_minor=instruction.gross_payable_minor,
        settlement_net_minor=instruction.net_amount_minor,
        settlement_direction=instruction.net_direction,
        reconciliation=business.reconciliation,
        areas=tuple(areas),
    )
