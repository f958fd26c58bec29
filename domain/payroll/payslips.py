"""One employee's payslip in a run: earnings, the calculator, deductions.

Pure: the caller gives the employee, the run, the year-to-date figures before
the run and what earlier paid runs paid for each period; nothing is read.

- Regular runs pay the period's regular pay pro rata (``domain.payroll.proration``)
  and, for every earlier paid period whose pay under today's pay history is
  more than was paid for it (regular pay plus arrears paid since), an
  ``arrears`` earning line per pay change that explains it (``source``: the
  change's ref, ``<employee id>@<version>``; ``for_periods``: what it makes
  up). Arrears are back pay: supplemental wages in the US (Pub. 15 section 7,
  the flat rate), and in Indonesia part of the month's gross but not of the
  BPJS base (the calculator's ``bonus`` code does both). A pay cut dated in
  the past is not clawed back here: that is an off-cycle correction.
- Off-cycle runs pay the earnings given when the run was opened (a ``bonus``
  is supplemental in the US).
- Voluntary deductions in force at the period's end (regular runs) are
  post-tax lines after the calculator's, owed to the deduction's liability.

A payslip holds amounts, codes, rates and ids only (never personal data), so
erasing the person leaves it whole.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.kernel.money import format_amount
from domain.payroll.calculator import calculate, parse_calculation_request
from domain.payroll.employee import Employee
from domain.payroll.errors import NegativeNetPay
from domain.payroll.payslip import (
    EARNING,
    EMPLOYEE_DEDUCTION,
    EMPLOYER_CONTRIBUTION,
    WITHHELD_KINDS,
)
from domain.payroll.proration import overlaps, period_pay
from domain.payroll.run import REGULAR, PayrollRun

ROUNDING_UNIT_MINOR = {"US": 1, "ID": 100}  # a cent; a whole rupiah
SCALE = 2  # USD and IDR both have two decimals in ISO 4217
ARREARS = "arrears"
PaidPeriods = dict[str, tuple[str, str, int]]
"""Period key (``start/end``) -> (start, end, amount paid for it so far)."""


def period_key(start: str, end: str) -> str:
    return f"{start}/{end}"


def payslip_for(employee: Employee, run: PayrollRun, ytd_before: dict[str, int],
                paid_periods: PaidPeriods) -> dict[str, Any] | None:
    """The employee's payslip in ``run``, or None when nothing is paid to them."""
    earnings, regular_for, arrears_for = _earnings(employee, run, paid_periods)
    if not any(amount for _code, amount, _extra in earnings):
        return None
    request = parse_calculation_request(_request_body(employee, run, earnings, ytd_before))
    payslip = calculate(request)
    lines = [_line(line.code, line.kind, line.amount_minor, line.taxable_base_minor,
                   line.rate_percent) for line in payslip.lines]
    for index, (_code, _amount, extra) in enumerate(earnings):
        lines[index].update(extra)  # the arrears lines: their code, source, periods
    deductions = _deduction_lines(employee, run)
    net = payslip.net_minor - sum(line["amount_minor"] for line in deductions)
    if net < 0:
        raise NegativeNetPay(
            f"employee {employee.id}: deductions exceed the pay after tax by"
            f" {format_amount(-net, SCALE)} {payslip.asset} in run {run.id}",
            field="deductions")
    lines.extend(deductions)
    return {
        "employee_id": str(employee.id), "subject_id": employee.subject_id,
        "rule_set": payslip.rule_set, "gross_minor": payslip.gross_minor, "net_minor": net,
        "withheld_minor": sum(line["amount_minor"] for line in lines
                              if line["kind"] in WITHHELD_KINDS),
        "employer_minor": sum(line["amount_minor"] for line in lines
                              if line["kind"] == EMPLOYER_CONTRIBUTION),
        "lines": lines, "ytd_before": dict(ytd_before),
        "ytd_after": dict(payslip.year_to_date_after),
        "regular_for": regular_for, "arrears_for": arrears_for,
    }


def _line(code: str, kind: str, amount_minor: int, base_minor: int,
          rate_percent: str | None) -> dict[str, Any]:
    return {"code": code, "kind": kind, "amount_minor": amount_minor, "base_minor": base_minor,
            "rate_percent": rate_percent}


Earnings = list[tuple[str, int, dict[str, Any]]]


def _earnings(employee: Employee, run: PayrollRun, paid_periods: PaidPeriods
              ) -> tuple[Earnings, dict[str, Any] | None, list[dict[str, Any]]]:
    """(calculator code, amount, what the stored line adds), the regular pay's
    period record, and the arrears records."""
    if run.kind != REGULAR:
        given = run.earnings.get(str(employee.id), [])
        return [(item["code"], int(item["amount_minor"]), {}) for item in given], None, []
    unit = ROUNDING_UNIT_MINOR[run.jurisdiction]
    if not overlaps(run.period_start, run.period_end, employee.hire_date,
                    employee.termination_date):
        return [], None, []
    pay = period_pay(employee.pay_changes, run.period_start, run.period_end,
                     employee.hire_date, employee.termination_date, unit)
    regular_for = {"period": period_key(run.period_start, run.period_end),
                   "amount_minor": pay.amount_minor, "days_employed": pay.days_employed,
                   "days_in_period": pay.days_in_period, "sources": list(pay.source_refs)}
    earnings: Earnings = [("regular", pay.amount_minor, {"sources": list(pay.source_refs)})]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for key, (start, end, paid) in sorted(paid_periods.items()):
        if key == regular_for["period"]:
            continue
        due = period_pay(employee.pay_changes, start, end, employee.hire_date,
                         employee.termination_date, unit)
        if due.amount_minor > paid and due.segments:
            by_source.setdefault(due.segments[-1][0], []).append(
                {"period": key, "amount_minor": due.amount_minor - paid})
    arrears_for: list[dict[str, Any]] = []
    for source, periods in sorted(by_source.items()):
        amount = sum(item["amount_minor"] for item in periods)
        earnings.append(("bonus", amount, {"code": ARREARS, "source": source,
                                           "for_periods": periods}))
        arrears_for.extend(periods)
    return earnings, regular_for, arrears_for


def _request_body(employee: Employee, run: PayrollRun, earnings: Earnings,
                  ytd_before: dict[str, int]) -> dict[str, Any]:
    profile = employee.tax_profile_on(run.period_end)
    body: dict[str, Any] = {
        "jurisdiction": run.jurisdiction, "tax_year": run.tax_year,
        "earnings": [{"code": code, "amount": format_amount(amount, SCALE)}
                     for code, amount, _extra in earnings],
        "year_to_date": {name: format_amount(value, SCALE) for name, value in ytd_before.items()},
    }
    if run.jurisdiction == "US":
        body.update(pay_frequency=run.pay_frequency, period_number=run.period_number,
                    tax_profile=profile)
        return body
    month = date.fromisoformat(run.period_end).month
    leaving = (employee.termination_date is not None
               and employee.termination_date <= run.period_end)
    body.update(month=month, jkk_rate_percent=profile["jkk_rate_percent"],
                tax_profile={"ptkp_status": profile["ptkp_status"]},
                last_month_of_employment=leaving)
    return body


def _deduction_lines(employee: Employee, run: PayrollRun) -> list[dict[str, Any]]:
    if run.kind != REGULAR:
        return []
    return [{**_line(item["code"], EMPLOYEE_DEDUCTION, int(item["amount_minor"]), 0, None),
             "source": item["ref"]}
            for item in employee.deductions_in(run.period_start, run.period_end)]


def earning_total(payslip: dict[str, Any]) -> int:
    """Gross as the sum of the earning lines (equals ``gross_minor``)."""
    return sum(line["amount_minor"] for line in payslip["lines"] if line["kind"] == EARNING)
