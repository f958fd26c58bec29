"""The payroll as the payroll reports read it: employees (reference and subject
id only) and runs with their payslips, folded from the log up to a position.

A payroll tax report counts the payslips of **paid** runs, dated by the run's
pay date (wages are reported when paid: IRS Form 941 and W-2 by the date
paid; PPh 21 is owed when the income is paid). A run that is calculated but
not paid, or cancelled, counts in no tax figure; the register shows any run
that was calculated, with its status.

Every row names the log positions it came from: the runs' opened, last
calculated and paid events, and the hire of each employee in it (the
employee reference comes from there). Nothing personal is read: the
employee events hold a subject id, and the person stays sealed in the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.utils import get_topic

from domain.kernel.errors import InvalidInput
from domain.payroll.employee import Employee
from domain.payroll.run import PAID, PayrollRun
from projections.reports.framework import LogSource, ParameterSpec, ReportScope

EMPLOYEE_HIRED = get_topic(Employee.EmployeeHired)
TAX_PROFILE_CHANGED = get_topic(Employee.EmployeeTaxProfileChanged)
RUN_OPENED = get_topic(PayrollRun.PayrollRunOpened)
RUN_CALCULATED = get_topic(PayrollRun.PayrollRunCalculated)
RUN_PAID = get_topic(PayrollRun.PayrollRunPaid)
RUN_CANCELLED = get_topic(PayrollRun.PayrollRunCancelled)

PAYROLL_SCOPE = ReportScope(
    frozenset({EMPLOYEE_HIRED, TAX_PROFILE_CHANGED, RUN_OPENED, RUN_CALCULATED, RUN_PAID,
               RUN_CANCELLED}),
    "employees hired (reference, subject id) and their tax profile changes; payroll runs "
    "opened, calculated, paid and cancelled",
)
SCALE = 2  # USD and IDR: two decimals (ISO 4217)

YEAR = ParameterSpec("year", "text", "a tax year, YYYY", required=True)
QUARTER = ParameterSpec("quarter", "text", "a calendar quarter, YYYY-Qn (n = 1..4)",
                        required=True)
MONTH = ParameterSpec("period", "period", "the month of the pay dates, YYYY-MM", required=True)
RUN_ID = ParameterSpec("run_id", "text", "a payroll run id", required=True)


def check_year(parameters: dict[str, str]) -> int:
    text = parameters.get("year", "")
    if len(text) != 4 or not text.isdigit() or not 1900 <= int(text) <= 2999:
        raise InvalidInput("year: a tax year, YYYY", field="year")
    return int(text)


def check_quarter(parameters: dict[str, str]) -> tuple[int, int]:
    text = parameters.get("quarter", "")
    year, _, quarter = text.partition("-Q")
    if len(year) != 4 or not year.isdigit() or quarter not in ("1", "2", "3", "4"):
        raise InvalidInput("quarter: YYYY-Qn, n from 1 to 4", field="quarter")
    return int(year), int(quarter)


def quarter_months(quarter: int) -> tuple[int, int, int]:
    first = 3 * (quarter - 1) + 1
    return first, first + 1, first + 2


@dataclass(slots=True)
class EmployeeRecord:
    employee_id: str
    reference: str
    subject_id: str
    jurisdiction: str
    position: int
    tax_profiles: list[tuple[str, int, dict[str, Any], int]] = field(default_factory=list)
    """(effective date, version, profile, position)"""

    def profile_on(self, day: str) -> tuple[dict[str, Any], int]:
        """The profile in force on ``day`` and the position that recorded it."""
        in_force = [item for item in self.tax_profiles if item[0] <= day]
        chosen = max(in_force or self.tax_profiles[:1], key=lambda item: (item[0], item[1]))
        return chosen[2], chosen[3]


@dataclass(slots=True)
class RunRecord:
    run_id: str
    opened: dict[str, Any]
    opened_position: int
    status: str = "opened"
    payslips: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    calculated_position: int | None = None
    paid_position: int | None = None
    cancelled_position: int | None = None

    @property
    def jurisdiction(self) -> str:
        return str(self.opened["jurisdiction"])

    @property
    def pay_date(self) -> str:
        return str(self.opened["pay_date"])

    @property
    def asset(self) -> str:
        return str(self.opened["asset"])

    def positions(self) -> list[int]:
        found = [self.opened_position, self.calculated_position, self.paid_position,
                 self.cancelled_position]
        return sorted(position for position in found if position is not None)


@dataclass(slots=True)
class PayrollFold:
    employees: dict[str, EmployeeRecord] = field(default_factory=dict)
    runs: dict[str, RunRecord] = field(default_factory=dict)

    def apply(self, position: int, originator_id: str, topic: str, state: dict[str, Any]
              ) -> None:
        if topic == EMPLOYEE_HIRED:
            record = EmployeeRecord(originator_id, str(state["reference"]),
                                    str(state["subject_id"]), str(state["jurisdiction"]),
                                    position)
            record.tax_profiles.append((str(state["hire_date"]), 1, state["tax_profile"],
                                        position))
            self.employees[originator_id] = record
        elif topic == TAX_PROFILE_CHANGED:
            employee = self.employees.get(originator_id)
            if employee is not None:
                employee.tax_profiles.append((str(state["effective_date"]),
                                              len(employee.tax_profiles) + 1,
                                              state["tax_profile"], position))
        elif topic == RUN_OPENED:
            self.runs[originator_id] = RunRecord(originator_id, state, position)
        else:
            run = self.runs.get(originator_id)
            if run is None:
                return
            if topic == RUN_CALCULATED:
                run.payslips = list(state["payslips"])
                run.totals = dict(state["totals"])
                run.calculated_position = position
                run.status = "calculated"
            elif topic == RUN_PAID:
                run.paid_position = position
                run.status = PAID
            elif topic == RUN_CANCELLED:
                run.cancelled_position = position
                run.status = "cancelled"

    def paid_runs(self, jurisdiction: str, months: Iterable[str]) -> list[RunRecord]:
        """Paid runs of ``jurisdiction`` whose pay date falls in ``months``
        (``YYYY-MM`` prefixes), by pay date then id."""
        wanted = tuple(months)
        found = [run for run in self.runs.values()
                 if run.status == PAID and run.jurisdiction == jurisdiction
                 and run.pay_date[:7] in wanted]
        return sorted(found, key=lambda run: (run.pay_date, run.run_id))


def fold_payroll(source: LogSource, as_of_position: int) -> PayrollFold:
    fold = PayrollFold()
    for event in source.events(as_of_position, PAYROLL_SCOPE):
        fold.apply(event.position, event.originator_id, event.topic, event.state)
    return fold


def year_months(year: int) -> list[str]:
    return [f"{year}-{month:02d}" for month in range(1, 13)]


def line_sum(slip: dict[str, Any], *codes: str) -> int:
    return sum(int(line["amount_minor"]) for line in slip["lines"] if line["code"] in codes)


def base_sum(slip: dict[str, Any], *codes: str) -> int:
    return sum(int(line["base_minor"]) for line in slip["lines"] if line["code"] in codes)


def ytd_added(slip: dict[str, Any], key: str) -> int:
    """What this payslip added to a year-to-date figure."""
    return int(slip["ytd_after"].get(key, 0)) - int(slip["ytd_before"].get(key, 0))


@dataclass(slots=True)
class EmployeeSlips:
    """One employee's payslips over a report's runs, with the positions behind them."""

    employee: EmployeeRecord | None
    employee_id: str
    slips: list[tuple[RunRecord, dict[str, Any]]] = field(default_factory=list)

    def positions(self) -> list[int]:
        found = {position for run, _slip in self.slips for position in run.positions()}
        if self.employee is not None:
            found.add(self.employee.position)
        return sorted(found)


def by_employee(fold: PayrollFold, runs: list[RunRecord]) -> Iterator[EmployeeSlips]:
    """Employees with a payslip in ``runs``, by employee reference then id."""
    grouped: dict[str, EmployeeSlips] = {}
    for run in runs:
        for slip in run.payslips:
            employee_id = str(slip["employee_id"])
            entry = grouped.get(employee_id)
            if entry is None:
                entry = grouped[employee_id] = EmployeeSlips(
                    fold.employees.get(employee_id), employee_id)
            entry.slips.append((run, slip))
    yield from sorted(grouped.values(), key=lambda item: (
        item.employee.reference if item.employee else "", item.employee_id))


def run_positions(runs: Iterable[RunRecord]) -> list[int]:
    return sorted({position for run in runs for position in run.positions()})
