"""The payroll register of a run, and the payroll liabilities with their check.

- ``payroll-register`` (``run_id``): one row per payslip line of the run's
  last calculation (any status but opened: the register is also what an
  approver reviews), in the payslips' order (employee id) and the lines'
  order on each payslip. The context holds the run (status, period, pay
  date) and its totals.
- ``payroll-liabilities`` (no parameters): per payroll liability account
  (net pay payable and one per tax, contribution and deduction line code,
  as ``PayrollPolicy`` names them) and asset: ``accrued`` (the lines of
  every paid run), ``remitted`` (settled payments clearing the account, less
  those returned: the net pay payments and the remittances to the
  authorities), ``owed`` = accrued - remitted, the account's posted
  ``ledger_balance`` (credits - debits) and ``difference`` = ledger - owed.

``liability_findings`` is the check: a finding for each account whose
ledger balance is not what the payslips say is owed (withheld or accrued
minus remitted). The projection registry's checks are attached to a
projection's shadow rebuild; payroll has no tracked projection yet, so the
check is a function over the log (see ``tests/payroll/test_payroll_reports.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.utils import get_topic

from domain.kernel.money import format_amount
from domain.payments.payment import Payment
from domain.payroll.errors import UnknownPayrollRun
from domain.payroll.payslip import EMPLOYER_CONTRIBUTION, WITHHELD_KINDS
from domain.payroll.policy import PayrollPolicy
from projections.reports.framework import (
    LogSource,
    ReportRow,
    ReportRun,
    ReportScope,
    ranges_text,
)
from projections.reports.ledger_fold import LEDGER_SCOPE, LedgerFold
from projections.reports.parameters import DateRange
from projections.reports.payroll_fold import (
    PAYROLL_SCOPE,
    RUN_ID,
    SCALE,
    fold_payroll,
)
from projections.tracking.base import Finding

NET_PAY = "net_pay"
PAYROLL_TOPICS: frozenset[str] = PAYROLL_SCOPE.topics or frozenset()
LEDGER_TOPICS: frozenset[str] = LEDGER_SCOPE.topics or frozenset()
FUNDS_RESERVED = get_topic(Payment.PaymentFundsReserved)
SETTLED = get_topic(Payment.PaymentSettled)
RETURNED = get_topic(Payment.PaymentReturned)
LIABILITIES_SCOPE = ReportScope(
    frozenset({*PAYROLL_TOPICS, *LEDGER_TOPICS, FUNDS_RESERVED,
               SETTLED, RETURNED}),
    "payroll runs and employees, journal entries (posted), and payments reserved, "
    "settled and returned",
)


def _money(minor: int | None) -> str | None:
    return None if minor is None else format_amount(minor, SCALE)


class PayrollRegisterReport:
    name = "payroll-register"
    title = "Payroll register: every payslip line of a run"
    parameters = (RUN_ID,)
    scope = PAYROLL_SCOPE
    columns = ("key", "employee_id", "employee_reference", "subject_id", "line_number",
               "code", "kind", "amount", "taxable_base", "rate_percent", "source", "asset",
               "positions")

    def validate(self, parameters: dict[str, str]) -> None:
        return None

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        run_id = parameters["run_id"].lower()
        fold = fold_payroll(source, as_of_position)
        run = fold.runs.get(run_id)
        if run is None:
            raise UnknownPayrollRun(
                f"payroll run {run_id[:64]} does not exist at position {as_of_position}",
                field="run_id")
        opened = run.opened
        context = {
            "run_id": run.run_id, "status": run.status, "kind": opened["kind"],
            "pay_group": opened["pay_group"], "jurisdiction": opened["jurisdiction"],
            "period_start": opened["period_start"], "period_end": opened["period_end"],
            "pay_date": opened["pay_date"], "asset": run.asset,
            "payslip_count": len(run.payslips),
            "totals": {name: format_amount(int(value), SCALE)
                       for name, value in sorted(run.totals.items())},
        }

        def rows() -> Iterator[ReportRow]:
            for slip in run.payslips:
                employee_id = str(slip["employee_id"])
                employee = fold.employees.get(employee_id)
                positions = sorted({*run.positions(),
                                    *([employee.position] if employee else [])})
                for number, line in enumerate(slip["lines"], start=1):
                    source_ref = line.get("source")
                    yield ReportRow(f"{employee_id}/{number:03d}", {
                        "employee_id": employee_id,
                        "employee_reference": employee.reference if employee else None,
                        "subject_id": str(slip["subject_id"]), "line_number": number,
                        "code": str(line["code"]), "kind": str(line["kind"]),
                        "amount": _money(int(line["amount_minor"])),
                        "taxable_base": _money(int(line.get("base_minor", 0))),
                        "rate_percent": line.get("rate_percent"),
                        "source": None if source_ref is None else str(source_ref),
                        "asset": run.asset, "positions": ranges_text(positions),
                    }, positions)

        return ReportRun(context, rows(), run.positions())


@dataclass(slots=True)
class Liability:
    code: str
    accrued: int = 0
    remitted: int = 0
    positions: set[int] = field(default_factory=set)


def payroll_liabilities(source: LogSource, as_of_position: int,
                        policy: PayrollPolicy | None = None
                        ) -> tuple[dict[tuple[str, str], Liability], LedgerFold]:
    """(account, asset) -> what the paid payslips accrued and the settled payments
    cleared; and the ledger as posted, both as of ``as_of_position``."""
    policy = policy or PayrollPolicy()
    fold = fold_payroll(source, as_of_position)
    found: dict[tuple[str, str], Liability] = {}

    def liability(code: str, asset: str) -> Liability:
        account = (policy.net_pay_payable_account if code == NET_PAY
                   else policy.liability_account(code))
        item = found.get((account, asset))
        if item is None:
            item = found[(account, asset)] = Liability(code)
        return item

    for run in fold.runs.values():
        if run.paid_position is None:
            continue
        for slip in run.payslips:
            net = liability(NET_PAY, run.asset)
            net.accrued += int(slip["net_minor"])
            net.positions.update(run.positions())
            for line in slip["lines"]:
                if line["kind"] in WITHHELD_KINDS or line["kind"] == EMPLOYER_CONTRIBUTION:
                    item = liability(str(line["code"]), run.asset)
                    item.accrued += int(line["amount_minor"])
                    item.positions.update(run.positions())
    ledger = LedgerFold(DateRange(None, None))
    reserved: dict[str, tuple[str, str, int, int]] = {}  # payment -> account, asset, amount
    settled: dict[str, tuple[str, str, int, int]] = {}
    accounts = {account for account, _asset in found}
    for event in source.events(as_of_position, LIABILITIES_SCOPE):
        topic, state = event.topic, event.state
        if topic == FUNDS_RESERVED:
            reserved[event.originator_id] = (str(state["clearing_account"]), str(state["asset"]),
                                             int(state["amount_minor"]), event.position)
        elif topic == SETTLED:
            hold = reserved.get(event.originator_id)
            if hold is not None and hold[0] in accounts:
                settled[event.originator_id] = hold
                cleared = found.get((hold[0], hold[1]))
                if cleared is not None:
                    cleared.remitted += hold[2]
                    cleared.positions.update((hold[3], event.position))
        elif topic == RETURNED:
            hold = settled.pop(event.originator_id, None)
            if hold is not None:
                item = found[(hold[0], hold[1])]
                item.remitted -= hold[2]
                item.positions.add(event.position)
        elif topic in LEDGER_TOPICS:
            ledger.apply(event)
    return found, ledger


class PayrollLiabilitiesReport:
    name = "payroll-liabilities"
    title = "Payroll liabilities: accrued by the paid runs, remitted, owed, and the ledger"
    parameters = ()
    scope = LIABILITIES_SCOPE
    columns = ("key", "account", "line_code", "accrued", "remitted", "owed",
               "ledger_balance", "difference", "asset", "positions")

    def validate(self, parameters: dict[str, str]) -> None:
        return None

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        found, ledger = payroll_liabilities(source, as_of_position)
        return ReportRun({"policy": "default"}, liability_rows(found, ledger))


def liability_rows(found: dict[tuple[str, str], Liability], ledger: LedgerFold
                   ) -> Iterator[ReportRow]:
    for account, asset in sorted(found):
        item = found[(account, asset)]
        line = ledger.lines.get((account, asset))
        balance = 0 if line is None else line.credits - line.debits
        positions = sorted({*item.positions, *(line.positions if line is not None else ())})
        owed = item.accrued - item.remitted
        values: dict[str, Any] = {
            "account": account, "line_code": item.code, "accrued": _money(item.accrued),
            "remitted": _money(item.remitted), "owed": _money(owed),
            "ledger_balance": _money(balance), "difference": _money(balance - owed),
            "asset": asset, "positions": ranges_text(positions),
        }
        yield ReportRow(f"{account}/{asset}", values, positions)


def liability_findings(source: LogSource, as_of_position: int | None = None,
                       policy: PayrollPolicy | None = None) -> list[Finding]:
    """A finding per payroll liability account whose posted balance differs from
    what the payslips say is owed (accrued minus remitted)."""
    position = source.head_position() if as_of_position is None else as_of_position
    found, ledger = payroll_liabilities(source, position, policy)
    findings = []
    for row in liability_rows(found, ledger):
        if row.values["difference"] != _money(0):
            findings.append(Finding(
                "payroll_liabilities_equal_reports", None,
                f"{row.values['account']} ({row.values['asset']}): ledger balance"
                f" {row.values['ledger_balance']}, owed by the payslips {row.values['owed']}"
                f" (accrued {row.values['accrued']}, remitted {row.values['remitted']})"))
    return findings


REPORTS = (PayrollRegisterReport(), PayrollLiabilitiesReport())
