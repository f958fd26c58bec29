"""A company with a payroll over a real store: chart, funded bank, the payroll
desk with an in-memory screening port, and builders for hires and runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4, uuid5

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System
from domain.kernel.context import Context
from domain.ledger.commands import PostJournalEntry
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.payroll.employee import Employee
from domain.payroll.policy import PayrollPolicy
from domain.payroll.run import PayrollRun
from domain.payroll.service import Payroll
from domain.sanctions.port import CLEARED, REJECTED, ScreeningResult
from domain.subjects.service import SubjectRegistry

SETUP = Context("setup@example.test", "corr-setup")
PREPARER = Context("payroll-clerk@example.test", "corr-prepare")
APPROVER_1 = Context("controller@example.test", "corr-approve-1")
APPROVER_2 = Context("cfo@example.test", "corr-approve-2")
HR = Context("hr@example.test", "corr-hr")

US_CODES = (
    "federal_income_tax",
    "social_security",
    "medicare",
    "additional_medicare",
    "social_security_employer",
    "medicare_employer",
    "futa",
)
ID_CODES = (
    "pph21",
    "bpjs_kesehatan",
    "jht",
    "jp",
    "bpjs_kesehatan_employer",
    "jht_employer",
    "jp_employer",
    "jkk_employer",
    "jkm_employer",
)
DEDUCTION_CODES = ("union_dues",)
ASSETS = ["IDR", "USD"]
MONTH_DAYS = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
US_PROFILE: dict[str, Any] = {"filing_status": "single", "w4": {"version": 2020}}
ID_PROFILE: dict[str, Any] = {"ptkp_status": "TK/0", "jkk_rate_percent": "0.24"}
RUN_POLICY = PayrollPolicy(dual_approval_above={"USD": "50000.00", "IDR": "1000000000.00"})


@dataclass
class FakeScreening:
    """The screening port in memory: names in ``hits`` are hits, others clear;
    compliance decisions per case."""

    hits: set[str] = field(default_factory=lambda: {"Ivan Sanctioned"})
    cases: dict[tuple[str, str], UUID] = field(default_factory=dict)
    decisions: dict[UUID, str] = field(default_factory=dict)
    screened: list[tuple[str, str, str]] = field(default_factory=list)

    def screen(
        self, context: Context, item_kind: str, item_id: str, party_name: str
    ) -> ScreeningResult:
        self.screened.append((item_kind, item_id, party_name))
        case_id = uuid5(UUID(int=0), f"{item_kind}:{item_id}:{len(self.screened)}")
        self.cases[(item_kind, item_id)] = case_id
        return ScreeningResult("hit" if party_name in self.hits else "clear", case_id)

    def decision(self, item_kind: str, item_id: str) -> str | None:
        case_id = self.cases.get((item_kind, item_id))
        return None if case_id is None else self.decisions.get(case_id)

    def clear(self, context: Context, case_id: UUID, reason: str) -> None:
        self.decisions[case_id] = CLEARED

    def reject(self, context: Context, case_id: UUID, reason: str) -> None:
        self.decisions[case_id] = REJECTED


@dataclass
class Desk:
    system: System
    payroll: Payroll
    payments: Payments
    registry: SubjectRegistry
    screening: FakeScreening

    @property
    def app(self) -> Any:
        return self.system.app


def open_company(system: System, policy: PayrollPolicy = RUN_POLICY) -> Desk:
    app = system.app
    chart = [
        ("Assets:Bank", "asset", ["no_overdraft"]),
        ("Equity:Capital", "equity", []),
        ("Expenses:Payroll:Salaries", "expense", []),
        ("Expenses:Payroll:EmployerTaxes", "expense", []),
        ("Liabilities:Payroll:NetPay", "liability", []),
    ]
    chart += [
        (f"Liabilities:Payroll:{code}", "liability", [])
        for code in (*US_CODES, *ID_CODES, *DEDUCTION_CODES)
    ]
    for code, kind, flags in chart:
        app.open_account(SETUP, code, code, kind, ASSETS, flags)
    for asset, amount in (("USD", "50000000.00"), ("IDR", "500000000000.00")):
        app.post_journal_entry(
            PostJournalEntry(
                context=SETUP,
                idempotency_key=f"funding-{asset}",
                effective_date="2025-01-01",
                postings=[
                    {
                        "account": "Assets:Bank",
                        "direction": "debit",
                        "amount": amount,
                        "asset": asset,
                    },
                    {
                        "account": "Equity:Capital",
                        "direction": "credit",
                        "amount": amount,
                        "asset": asset,
                    },
                ],
            )
        )
    registry = SubjectRegistry(app, SubjectKeyStore(system.database))
    screening = FakeScreening()
    payment_policy = PaymentPolicy(dual_approval_above={"USD": "10000.00", "IDR": "200000000.00"})
    return Desk(
        system,
        Payroll(app, registry, screening, policy, payment_policy),
        Payments(app, registry, screening, payment_policy),
        registry,
        screening,
    )


def hire_us(
    desk: Desk,
    reference: str,
    salary: str,
    *,
    hire_date: str = "2025-01-01",
    group: str = "us-monthly",
    name: str | None = None,
    **profile: Any,
) -> UUID:
    employee_id, _position = desk.payroll.hire(
        HR,
        reference=reference,
        person={
            "name": name or f"Person {reference}",
            "tax_id": f"123-45-{reference[-4:]}",
            "address": "1 Main Street, Springfield",
        },
        bank_account={"country": "US", "bank_code": "021000021", "account_number": "12345678"},
        jurisdiction="US",
        pay_group=group,
        pay_frequency="monthly",
        hire_date=hire_date,
        tax_profile={**US_PROFILE, **profile},
        pay={"basis": "salary", "amount": salary},
    )
    return employee_id


def hire_id(
    desk: Desk,
    reference: str,
    salary: str,
    *,
    hire_date: str = "2025-01-01",
    group: str = "id-monthly",
    ptkp_status: str = "TK/0",
) -> UUID:
    employee_id, _position = desk.payroll.hire(
        HR,
        reference=reference,
        person={
            "name": f"Orang {reference}",
            "tax_id": f"09.254.294.3-407.{reference[-3:]}",
            "address": "Jl. Sudirman 1, Jakarta",
        },
        bank_account={"country": "ID", "bank_code": "BCA", "account_number": "8800123456"},
        jurisdiction="ID",
        pay_group=group,
        pay_frequency="monthly",
        hire_date=hire_date,
        tax_profile={**ID_PROFILE, "ptkp_status": ptkp_status},
        pay={"basis": "salary", "amount": salary},
    )
    return employee_id


def open_month(
    desk: Desk, group: str, jurisdiction: str, year: int, month: int, run_id: UUID | None = None
) -> UUID:
    run_id = run_id or uuid4()
    end = f"{year}-{month:02d}-{MONTH_DAYS[month]:02d}"
    desk.payroll.open_run(
        PREPARER,
        run_id=run_id,
        pay_group=group,
        jurisdiction=jurisdiction,
        pay_frequency="monthly",
        period_start=f"{year}-{month:02d}-01",
        period_end=end,
        period_number=month,
        pay_date=end,
    )
    return run_id


def pay_month(
    desk: Desk,
    group: str,
    jurisdiction: str,
    year: int,
    month: int,
    approvers: tuple[Context, ...] = (APPROVER_1,),
) -> PayrollRun:
    """Open, calculate, approve and pay one monthly run; the paid run."""
    run_id = open_month(desk, group, jurisdiction, year, month)
    desk.payroll.calculate(PREPARER, run_id)
    for approver in approvers:
        if desk.payroll.run(run_id).status != "approved":
            desk.payroll.approve(approver, run_id)
    desk.payroll.pay(PREPARER, run_id)
    return desk.payroll.run(run_id)


def slip_of(run: PayrollRun, employee_id: UUID) -> dict[str, Any]:
    [slip] = [slip for slip in run.payslips if slip["employee_id"] == str(employee_id)]
    return slip


def line_amount(slip: dict[str, Any], code: str) -> int:
    return sum(line["amount_minor"] for line in slip["lines"] if line["code"] == code)


def employee(desk: Desk, employee_id: UUID) -> Employee:
    return desk.payroll.employee(employee_id)


def log_size(desk: Desk) -> int:
    return int(desk.app.recorder.max_notification_id() or 0)


def stored_bytes(desk: Desk) -> bytes:
    """Every stored event's state, concatenated (what is at rest in the log)."""
    states: list[bytes] = []
    start = 1
    while True:
        page = desk.app.recorder.select_notifications(start=start, limit=1000)
        states.extend(bytes(notification.state) for notification in page)
        if len(page) < 1000:
            return b"".join(states)
        start = page[-1].id + 1
