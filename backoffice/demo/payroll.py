"""The demo's payroll year: 20 employees in the United States (USD, monthly)
and 10 in Indonesia (IDR, monthly) on their own payroll bank account.

Every month, before its books are closed, each pay group's run is opened and
calculated by the payroll clerk, approved by the controller (never the
clerk) and paid: the run's entry and one payment per employee, which
treasury then submits and settles. Along the year: a pay rise decided in
April back-dated to March (the April slip carries the arrears), an off-cycle
bonus run in July (supplemental wages), an Indonesian employee leaving on
15 June (her last month is recalculated for the year), one hired in the
United States on 17 March (pro rata), and the December true-up of PPh 21.
At year end the third quarter's Form 941 and December's SPT Masa PPh 21 are
filed in the report framework.

Runs, employees and payments have deterministic ids and every step is
driven from the state it is in now: a second run writes nothing.
"""

from __future__ import annotations

import calendar
import contextlib
import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from backoffice.demo.filing import Filed, file_once
from domain.kernel.context import Context
from domain.kernel.errors import DomainError
from domain.kernel.money import format_amount
from domain.kernel.unit_of_work import find
from domain.ledger.errors import AccountAlreadyExists
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.payments.statuses import FUNDS_RESERVED, SUBMITTED
from domain.payroll.employee_commands import employee_id_for
from domain.payroll.errors import EmployeeAlreadyHired
from domain.payroll.payouts import payout_id
from domain.payroll.policy import PayrollPolicy
from domain.payroll.run import CALCULATED, OFF_CYCLE, OPENED, PAID, PayrollRun
from domain.payroll.service import Payroll

if TYPE_CHECKING:
    from backoffice.demo.business import DemoBusiness
    from projections.reports.service import ReportService

_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:demo:payroll")
BANK = "Assets:Bank:Payroll"
US_CODES = ("federal_income_tax", "social_security", "medicare", "additional_medicare",
            "social_security_employer", "medicare_employer", "futa")  # fmt: skip
ID_CODES = ("pph21", "bpjs_kesehatan", "jht", "jp", "bpjs_kesehatan_employer", "jht_employer",
            "jp_employer", "jkk_employer", "jkm_employer")  # fmt: skip
FUNDING = {"USD": 2_500_000_00, "IDR": 3_000_000_000_00}
US_STAFF, ID_STAFF = 20, 10
GROUPS = (("us-monthly", "US"), ("id-monthly", "ID"))
LATE_HIRE = ("US-20", "2025-03-17")
RETRO = ("US-05", 4, "2025-03-01")  # (who, month recorded, effective from)
LEAVER = ("ID-07", "2025-06-15")
BONUS_MONTH, BONUS_DAY = 7, 15
FILED_QUARTER, FILED_MONTH = 3, 12
FIRST = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indigo", "Jules")
LAST = ("Thornbury", "Wexley", "Ashdown")
ID_NAMES = ("Dewi Anggraini", "Budi Santoso", "Sari Wulandari", "Agus Pratama", "Rina Kusuma",
            "Hendra Wijaya", "Putri Maharani", "Eko Saputra", "Lestari Handayani", "Yoga Permana")  # fmt: skip


def _money(amount_minor: int) -> str:
    return format_amount(amount_minor, 2)


@dataclass(frozen=True, slots=True)
class PayrollSummary:
    employees: dict[str, tuple[int, int]]  # jurisdiction -> (hired, terminated)
    runs: dict[str, int]  # "regular paid", "off_cycle paid", ...
    payments: dict[str, int]  # status -> count
    gross: dict[str, int]
    net: dict[str, int]
    arrears: dict[str, int]
    bonus_gross_minor: int
    december_pph21_minor: int
    leaver_last_pph21_minor: int
    filed: list[Filed]

    def lines(self) -> list[str]:
        def per(values: dict[str, int]) -> str:
            return ", ".join(f"{_money(v)} {c}" for c, v in sorted(values.items())) or "none"

        staff = ", ".join(
            f"{j} {h} hired, {t} left" for j, (h, t) in sorted(self.employees.items())
        )
        runs = ", ".join(f"{kind} {n}" for kind, n in sorted(self.runs.items()))
        payments = ", ".join(f"{s} {n}" for s, n in sorted(self.payments.items()))
        return [
            f"payroll: {staff}; runs {runs}; net pay payments {payments}",
            f"  gross {per(self.gross)}, net {per(self.net)}; arrears of the rise back-dated"
            f" to {RETRO[2]} {per(self.arrears)}; July bonus (off-cycle, supplemental)"
            f" {_money(self.bonus_gross_minor)} USD",
            f"  PPh 21 December true-up (Pasal 17 less January-November)"
            f" {_money(self.december_pph21_minor)} IDR; the leaver's last month"
            f" {_money(self.leaver_last_pph21_minor)} IDR",
            *(filed.line() for filed in self.filed),
        ]


class DemoPayroll:
    """The payroll year of ``business`` (its registry, screening, company keys)."""

    def __init__(self, business: DemoBusiness, reports: ReportService | None) -> None:
        self.business = business
        self.company = business.company
        self.app = business.app
        self.year = business.year
        self.reports = reports
        correlation = f"demo-{self.company.seed}"
        self.hr = Context("demo:hr", correlation)
        self.clerk = Context("demo:payroll", correlation)
        self.controller = Context("demo:controller", correlation)
        self.treasury = business.treasury
        payment_policy = PaymentPolicy(
            dual_approval_above={"USD": "10000.00", "IDR": "200000000.00"}
        )
        policy = PayrollPolicy(paying_account=BANK)
        port = business.payments.screening
        self.payroll = Payroll(self.app, business.registry, port, policy, payment_policy)
        self.payments = Payments(self.app, business.registry, port, payment_policy)
        self.random = random.Random(f"{self.company.seed}-payroll")
        self.staff = self._staff()
        self.filed: list[Filed] = []

    # --- ids and people -------------------------------------------------------------

    def reference(self, short: str) -> str:
        return f"DEMO-{self.company.seed}-{short}"

    def employee_id(self, short: str) -> UUID:
        return employee_id_for(self.reference(short))

    def run_id(self, group: str, kind: str, month: int) -> UUID:
        return uuid5(_NAMESPACE, self.company.key("payroll-run", group, kind, month))

    def _staff(self) -> list[dict[str, Any]]:
        rnd = self.random
        staff = []
        for n in range(1, US_STAFF + 1):
            name = f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]}-{n:02d}"
            salary = f"{rnd.randint(38, 110) * 100}.00"  # a month: well under the approval limit
            staff.append({"short": f"US-{n:02d}", "jurisdiction": "US", "name": name,
                          "salary": salary, "status": ("single", "married_filing_jointly",
                                                       "head_of_household")[n % 3]})  # fmt: skip
        for n in range(1, ID_STAFF + 1):
            salary = f"{rnd.randint(60, 280) * 100_000}.00"
            staff.append({"short": f"ID-{n:02d}", "jurisdiction": "ID", "name": ID_NAMES[n - 1],
                          "salary": salary, "ptkp": ("TK/0", "K/0", "K/1", "K/2", "TK/1")[n % 5]})  # fmt: skip
        return staff

    def attempt(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return action(*args, **kwargs)
        except DomainError as refusal:
            refusals = self.company.refusals
            refusals[refusal.code] = refusals.get(refusal.code, 0) + 1
            return None

    # --- the year ------------------------------------------------------------------------

    def open_year(self) -> None:
        chart = [(BANK, "asset", ["no_overdraft"]), ("Expenses:Payroll:Salaries", "expense", []),
                 ("Expenses:Payroll:EmployerTaxes", "expense", []),
                 ("Liabilities:Payroll:NetPay", "liability", [])]  # fmt: skip
        chart += [
            (f"Liabilities:Payroll:{code}", "liability", []) for code in (*US_CODES, *ID_CODES)
        ]
        for code, kind, flags in chart:
            with contextlib.suppress(AccountAlreadyExists):
                self.app.open_account(self.hr, code, code, kind, ["IDR", "USD"], flags)
        with contextlib.suppress(AccountAlreadyExists):
            self.app.open_account(self.hr, "Equity:Capital:Payroll", "Capital for payroll",
                                  "equity", ["IDR", "USD"], [])  # fmt: skip
        # Straight to the ledger: the company's entry counts are the ledger year's.
        self.app.post_entries([
            self.company._entry(
                f"payroll-funding-{asset}", date(self.year, 1, 1), "Payroll account funded",
                [{"account": BANK, "direction": "debit", "amount": _money(amount), "asset": asset},
                 {"account": "Equity:Capital:Payroll", "direction": "credit",
                  "amount": _money(amount), "asset": asset}],
            )
            for asset, amount in sorted(FUNDING.items())
        ])  # fmt: skip
        for person in self.staff:
            short = person["short"]
            hire_date = LATE_HIRE[1] if short == LATE_HIRE[0] else f"{self.year}-01-01"
            if person["jurisdiction"] == "US":
                profile: dict[str, Any] = {
                    "filing_status": person["status"],
                    "w4": {"version": 2020},
                }
                number = f"77{self.company.seed}{short[-2:]}"
                bank = {"country": "US", "bank_code": "021000021", "account_number": number}
                group = "us-monthly"
            else:
                profile = {"ptkp_status": person["ptkp"], "jkk_rate_percent": "0.24"}
                number = f"88{self.company.seed}{short[-2:]}"
                bank = {"country": "ID", "bank_code": "BCA", "account_number": number}
                group = "id-monthly"
            with contextlib.suppress(EmployeeAlreadyHired):
                self.payroll.hire(
                    self.hr, reference=self.reference(short),
                    person={"name": person["name"], "tax_id": f"DEMO-{short}",
                            "address": "Demo Street 1"},
                    bank_account=bank, jurisdiction=person["jurisdiction"], pay_group=group,
                    pay_frequency="monthly", hire_date=hire_date, tax_profile=profile,
                    pay={"basis": "salary", "amount": person["salary"]},
                )  # fmt: skip

    def run_month(self, month: int) -> None:
        who, recorded, effective = RETRO
        if month == recorded:
            employee = self.payroll.employee(self.employee_id(who))
            if not any(change["effective_date"] == effective for change in employee.pay_changes):
                [person] = [p for p in self.staff if p["short"] == who]
                raised = f"{int(person['salary'].split('.')[0]) + 650}.00"
                self.attempt(self.payroll.change_pay, self.hr, self.employee_id(who),
                             {"basis": "salary", "amount": raised}, effective)  # fmt: skip
        leaver, leaving = LEAVER
        if month == int(leaving[5:7]):
            employee = self.payroll.employee(self.employee_id(leaver))
            if not employee.termination_date:
                self.attempt(self.payroll.terminate, self.hr, self.employee_id(leaver), leaving,
                             "resigned")  # fmt: skip
        for group, jurisdiction in GROUPS:
            self._run(group, jurisdiction, month, "regular")
        if month == BONUS_MONTH:
            self._run("us-monthly", "US", month, OFF_CYCLE)

    def _run(self, group: str, jurisdiction: str, month: int, kind: str) -> None:
        run_id = self.run_id(group, kind, month)
        last = calendar.monthrange(self.year, month)[1]
        if find(self.app, run_id, PayrollRun) is None:
            start, end = f"{self.year}-{month:02d}-01", f"{self.year}-{month:02d}-{last:02d}"
            extra: dict[str, Any] = {}
            pay_date = end
            if kind == OFF_CYCLE:
                pay_date = f"{self.year}-{month:02d}-{BONUS_DAY:02d}"
                extra = {"kind": OFF_CYCLE, "earnings": {
                    str(self.employee_id(p["short"])): [
                        {"code": "bonus", "amount": f"{self.random.randint(5, 40) * 100}.00"}]
                    for p in self.staff if p["jurisdiction"] == "US" and p["short"] != LATE_HIRE[0]
                }}  # fmt: skip
            self.payroll.open_run(
                self.clerk, run_id=run_id, pay_group=group, jurisdiction=jurisdiction,
                pay_frequency="monthly", period_start=start, period_end=end,
                period_number=month, pay_date=pay_date, **extra,
            )  # fmt: skip
        run = self.payroll.run(run_id)
        if run.status == OPENED:
            self.attempt(self.payroll.calculate, self.clerk, run_id)
            run = self.payroll.run(run_id)
        if run.status == CALCULATED:
            self.attempt(self.payroll.approve, self.controller, run_id)
            run = self.payroll.run(run_id)
        if run.status != PAID and run.status != CALCULATED and run.status != OPENED:
            self.attempt(self.payroll.pay, self.clerk, run_id)
            run = self.payroll.run(run_id)
        if run.status == PAID:
            self._settle(run)

    def _settle(self, run: PayrollRun) -> None:
        ids = [
            payout_id(run.id, slip["employee_id"]) for slip in run.payslips if slip["net_minor"] > 0
        ]
        found = self.app.current_aggregates(ids)
        for payment_id in ids:
            payment = found.get(payment_id)
            if payment is None:
                continue
            if payment.status == FUNDS_RESERVED:
                self.attempt(self.payments.submit, self.treasury, payment_id,
                             f"PAY-{payment_id.hex[:12]}")  # fmt: skip
                status = SUBMITTED
            else:
                status = payment.status
            if status == SUBMITTED:
                self.attempt(self.payments.settle, self.treasury, payment_id)

    def close_year(self) -> None:
        for name, parameters in (
            ("payroll-941", {"quarter": f"{self.year}-Q{FILED_QUARTER}"}),
            ("payroll-pph21-monthly", {"period": f"{self.year}-{FILED_MONTH:02d}"}),
        ):
            filing_id = uuid5(_NAMESPACE, self.company.key("filing", name))
            filed = file_once(self.reports, self.clerk, filing_id, name, parameters)
            if filed is not None:
                self.filed.append(filed)

    # --- what it left -------------------------------------------------------------------

    def summary(self) -> PayrollSummary:
        ours = {str(self.employee_id(p["short"])) for p in self.staff}
        employees: dict[str, tuple[int, int]] = {}
        for person in self.staff:
            employee = self.payroll.employee(self.employee_id(person["short"]))
            hired, left = employees.get(employee.jurisdiction, (0, 0))
            employees[employee.jurisdiction] = (hired + 1, left + bool(employee.termination_date))
        runs: dict[str, int] = {}
        gross: dict[str, int] = {}
        net: dict[str, int] = {}
        arrears: dict[str, int] = {}
        bonus = december = leaver_last = 0
        payment_ids = []
        leaver = str(self.employee_id(LEAVER[0]))
        for group, _jurisdiction in GROUPS:
            for kind in ("regular", OFF_CYCLE):
                for month in range(1, 13):
                    run = find(self.app, self.run_id(group, kind, month), PayrollRun)
                    if run is None:
                        continue
                    label = f"{kind} {run.status}"
                    runs[label] = runs.get(label, 0) + 1
                    for slip in run.payslips:
                        if slip["employee_id"] not in ours:
                            continue
                        payment_ids.append(payout_id(run.id, slip["employee_id"]))
                        gross[run.asset] = gross.get(run.asset, 0) + slip["gross_minor"]
                        net[run.asset] = net.get(run.asset, 0) + slip["net_minor"]
                        for line in slip["lines"]:
                            if line["code"] == "arrears":
                                arrears[run.asset] = (
                                    arrears.get(run.asset, 0) + line["amount_minor"]
                                )
                            if line["code"] == "pph21" and month == 12:
                                december += line["amount_minor"]
                            last = slip["employee_id"] == leaver and month == int(LEAVER[1][5:7])
                            if line["code"] == "pph21" and last:
                                leaver_last += line["amount_minor"]
                        if kind == OFF_CYCLE:
                            bonus += slip["gross_minor"]
        found = self.app.current_aggregates(payment_ids)
        payments: dict[str, int] = {}
        for payment in found.values():
            if payment is not None:
                payments[payment.status] = payments.get(payment.status, 0) + 1
        return PayrollSummary(employees, runs, payments, gross, net, arrears, bonus, december,
                              leaver_last, list(self.filed))  # fmt: skip


__all__ = ["DemoPayroll", "PayrollSummary"]
