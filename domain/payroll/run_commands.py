"""Payroll run commands: open, calculate, approve (four eyes), pay, cancel.

Reads are batched: the employees of a pay group and the runs of the log are
each found by their creation topic and loaded in one version probe
(``current_aggregates``, which keeps unchanged aggregates in memory), and the
subject keys of every payee in one key-store query. Writes are one commit per
command: a calculation is one event however many payslips it holds; paying
saves the run's entry, every payment and reservation and ``PayrollRunPaid``
in one ``save()``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.unit_of_work import find, ids_with_topic, save_if_changed, save_retrying
from domain.payments.policy import PaymentPolicy
from domain.payroll.employee import JURISDICTIONS, Employee
from domain.payroll.employee_commands import ASSET_OF, PAY_GROUP_LENGTH_MAX, check_pay
from domain.payroll.entry import run_totals
from domain.payroll.errors import (
    EmptyPayrollRun,
    InvalidPayrollRunTransition,
    PayrollDuplicateApproval,
    PayrollRunAlreadyOpened,
    PayrollRunChanged,
    PayrollSelfApprovalRefused,
    UnknownPayrollRun,
)
from domain.payroll.history import paid_periods, paid_runs, year_to_date, ytd_basis, zero_ytd
from domain.payroll.payslips import payslip_for
from domain.payroll.policy import PayrollPolicy
from domain.payroll.requests import EARNING_CODES, PAY_PERIODS_PER_YEAR
from domain.payroll.rules import rule_set_for
from domain.payroll.run import OFF_CYCLE, REGULAR, RUN_KINDS, TRANSITIONS, PayrollRun
from domain.sanctions.port import ScreeningPort
from domain.subjects.service import SubjectRegistry

OFF_CYCLE_EMPLOYEES_MAX = 100_000


def payslips_fingerprint(payslips: list[dict[str, Any]], basis: list[str]) -> str:
    body = {"payslips": payslips, "ytd_basis": basis}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_step(run: PayrollRun, step: str) -> None:
    allowed = TRANSITIONS[step]
    if run.status not in allowed:
        raise InvalidPayrollRunTransition(
            f"payroll run {run.id} is {run.status}: it cannot {step}"
            f" (only from {', '.join(allowed)})", field="run_id")


class RunCommands:
    """The run commands (mixed into ``Payroll``)."""

    app: BackOffice
    registry: SubjectRegistry
    screening: ScreeningPort
    policy: PayrollPolicy
    payment_policy: PaymentPolicy

    def run(self, run_id: UUID) -> PayrollRun:
        found = find(self.app, run_id, PayrollRun)
        if found is None:
            raise UnknownPayrollRun(f"payroll run {run_id} does not exist", field="run_id")
        return found

    def runs(self) -> list[PayrollRun]:
        """Every run as it stands now, in the order opened (shared: do not change)."""
        ids = ids_with_topic(self.app, PayrollRun.PayrollRunOpened)
        found = self.app.current_aggregates(ids)
        return [run for run in (found[i] for i in ids) if isinstance(run, PayrollRun)]

    def employees(self, pay_group: str | None = None) -> list[Employee]:
        """Every employee (of ``pay_group``), by id (shared: do not change)."""
        ids = ids_with_topic(self.app, Employee.EmployeeHired)
        found = self.app.current_aggregates(ids)
        employees = [e for e in found.values() if isinstance(e, Employee)
                     and (pay_group is None or e.pay_group == pay_group)]
        return sorted(employees, key=lambda employee: str(employee.id))

    def open_run(self, context: Context, *, run_id: UUID, pay_group: str, jurisdiction: str,
                 pay_frequency: str, period_start: str, period_end: str, period_number: int,
                 pay_date: str, kind: str = REGULAR,
                 earnings: dict[str, list[dict[str, str]]] | None = None) -> int:
        """Open a run (the actor is its preparer). Off-cycle runs name their
        earnings per employee id ({code, amount}); regular runs pay the period."""
        context.checked()
        if jurisdiction not in JURISDICTIONS:
            raise InvalidInput("jurisdiction: 'US' or 'ID'", field="jurisdiction")
        if kind not in RUN_KINDS:
            raise InvalidInput(f"kind: one of {', '.join(RUN_KINDS)}", field="kind")
        periods = PAY_PERIODS_PER_YEAR.get(pay_frequency)
        if periods is None:
            raise InvalidInput("pay_frequency: unknown", field="pay_frequency")
        start = limits.effective_date(period_start, "period_start")
        end = limits.effective_date(period_end, "period_end")
        if end < start:
            raise InvalidInput("period_end: before period_start", field="period_end")
        if (not isinstance(period_number, int) or isinstance(period_number, bool)
                or not 1 <= period_number <= periods):
            raise InvalidInput(f"period_number: 1 to {periods}", field="period_number")
        pay_date = limits.effective_date(pay_date, "pay_date")
        tax_year = date.fromisoformat(pay_date).year
        rules = rule_set_for(jurisdiction, tax_year)
        if jurisdiction == "ID" and start[:7] != end[:7]:
            raise InvalidInput("period_end: an Indonesian run is one calendar month",
                               field="period_end")
        given = self._off_cycle_earnings(jurisdiction, kind, earnings)
        run: PayrollRun = PayrollRun.opened(
            id=run_id,
            pay_group=limits.bounded_text(pay_group, "pay_group", PAY_GROUP_LENGTH_MAX),
            jurisdiction=jurisdiction, pay_frequency=pay_frequency, kind=kind,
            period_start=start, period_end=end, period_number=period_number, pay_date=pay_date,
            tax_year=tax_year, asset=rules.asset, earnings=given, actor=context.actor,
            correlation_id=context.correlation_id)
        with self.app.write_lock:
            if find(self.app, run_id, Aggregate) is not None:
                raise PayrollRunAlreadyOpened(f"payroll run {run_id} exists", field="run_id")
            try:
                recordings = self.app.save(run)
            except IntegrityError:
                raise PayrollRunAlreadyOpened(f"payroll run {run_id} exists",
                                              field="run_id") from None
        return int(recordings[-1].notification.id)

    def _off_cycle_earnings(self, jurisdiction: str, kind: str,
                            earnings: dict[str, list[dict[str, str]]] | None
                            ) -> dict[str, list[dict[str, Any]]]:
        if kind != OFF_CYCLE:
            if earnings:
                raise InvalidInput("earnings: only an off-cycle run names its earnings",
                                   field="earnings")
            return {}
        if not isinstance(earnings, dict) or not 0 < len(earnings) <= OFF_CYCLE_EMPLOYEES_MAX:
            raise InvalidInput("earnings: employee id -> earnings, at least one",
                               field="earnings")
        checked: dict[str, list[dict[str, Any]]] = {}
        for employee_id, items in earnings.items():
            field = f"earnings.{employee_id}"
            if not isinstance(items, list) or not items:
                raise InvalidInput(f"{field}: a non-empty list", field=field)
            checked[str(UUID(str(employee_id)))] = [{
                "code": _earning_code(item, field),
                "amount_minor": check_pay(jurisdiction, {"basis": "salary",
                                                         "amount": item.get("amount")}, field)[
                    "amount_minor"]} for item in items]
        return checked

    def calculate(self, context: Context, run_id: UUID) -> int | None:
        """(Re)calculate the payslips. None, and nothing written, when they are
        the same as the run has; otherwise approvals given before are void."""
        context.checked()

        def attempt() -> list[Aggregate]:
            run = self.run(run_id)
            check_step(run, "calculate")
            slips, basis = self._payslips(run)
            fingerprint = payslips_fingerprint(slips, basis)
            if run.calculations and fingerprint == run.fingerprint:
                return []
            totals = run_totals(slips)
            run.trigger_event(
                PayrollRun.PayrollRunCalculated, payslips=slips, fingerprint=fingerprint,
                totals=totals, ytd_basis=basis,
                approvals_required=self.policy.approvals_required(
                    totals["net"], run.asset, self.app.catalog()),
                actor=context.actor, correlation_id=context.correlation_id)
            return [run]

        return save_if_changed(self.app, attempt)

    def _payslips(self, run: PayrollRun) -> tuple[list[dict[str, Any]], list[str]]:
        employees = self.employees(run.pay_group)
        if run.kind == OFF_CYCLE:
            employees = [e for e in employees if str(e.id) in run.earnings]
            missing = set(run.earnings) - {str(e.id) for e in employees}
            if missing:
                raise InvalidInput(f"earnings: not employees of pay group {run.pay_group}:"
                                   f" {sorted(missing)[:3]}", field="earnings")
        for employee in employees:
            if (employee.jurisdiction, employee.pay_frequency) != (
                    run.jurisdiction, run.pay_frequency):
                raise InvalidInput(
                    f"pay_group: employee {employee.id} is paid {employee.pay_frequency} in"
                    f" {employee.jurisdiction}, the run {run.pay_frequency} in"
                    f" {run.jurisdiction}", field="pay_group")
        paid = paid_runs(self.runs(), run.jurisdiction, exclude=run.id)
        ytd = year_to_date(paid, run.jurisdiction, run.tax_year)
        periods = paid_periods([r for r in paid if r.kind == REGULAR])
        slips = []
        for employee in employees:
            key = str(employee.id)
            slip = payslip_for(employee, run, ytd.get(key) or zero_ytd(run.jurisdiction),
                               periods.get(key, {}))
            if slip is not None:
                slips.append(slip)
        if not slips:
            raise EmptyPayrollRun(f"payroll run {run.id}: nobody of pay group"
                                  f" {run.pay_group} is paid in the period", field="run_id")
        return slips, ytd_basis(paid, run.tax_year)

    def approve(self, context: Context, run_id: UUID,
                expected_fingerprint: str | None = None) -> int:
        """Approve the payslips as they are, by someone who did not prepare or
        calculate the run; the last approval needed makes it approved."""
        context.checked()

        def attempt() -> list[Aggregate]:
            run = self.run(run_id)
            check_step(run, "approve")
            if context.actor in run.authors:
                raise PayrollSelfApprovalRefused(
                    f"payroll run {run_id} was prepared or calculated by {context.actor}:"
                    " someone else approves it", field="run_id")
            if context.actor in [item["approver"] for item in run.current_approvals()]:
                raise PayrollDuplicateApproval(
                    f"{context.actor} has already approved payroll run {run_id}; a second"
                    " approval comes from another approver", field="run_id")
            if expected_fingerprint is not None and expected_fingerprint != run.fingerprint:
                raise PayrollRunChanged(
                    f"payroll run {run_id} changed since you saw it (fingerprint"
                    f" {run.fingerprint}); review it again", field="fingerprint")
            run.trigger_event(PayrollRun.PayrollRunApproved, fingerprint=run.fingerprint,
                              actor=context.actor, correlation_id=context.correlation_id)
            return [run]

        return save_retrying(self.app, attempt)

    def cancel(self, context: Context, run_id: UUID, reason: str) -> int:
        """Cancel a run before payment (a paid run is corrected off-cycle)."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def attempt() -> list[Aggregate]:
            run = self.run(run_id)
            check_step(run, "cancel")
            run.trigger_event(PayrollRun.PayrollRunCancelled, reason=reason,
                              actor=context.actor, correlation_id=context.correlation_id)
            return [run]

        return save_retrying(self.app, attempt)


def _earning_code(item: object, field: str) -> str:
    code = item.get("code") if isinstance(item, dict) else None
    if code not in EARNING_CODES:
        raise InvalidInput(f"{field}.code: one of {', '.join(EARNING_CODES)}",
                           field=f"{field}.code")
    assert isinstance(code, str)
    return code


__all__ = ["ASSET_OF", "RunCommands", "check_step", "payslips_fingerprint"]
