"""Employee commands: hire, change pay, change tax profile, deductions, terminate.

Each decides, then triggers events and saves in one commit (``save_retrying``,
retried against other writers by the employee's version). Hiring registers
the person as a data subject (kind ``employee``, under the HR reference) in
the same commit as ``EmployeeHired``: name, tax id and address are sealed in
the subject, the bank account under the subject's key, nothing in the clear.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import ISO_CURRENCY_SCALES, parse_amount
from domain.kernel.unit_of_work import find, save_retrying
from domain.payments.identifiers import check_account_identifier
from domain.payments.service import ACCOUNT_FIELD
from domain.payroll.calculator import parse_calculation_request
from domain.payroll.employee import JURISDICTIONS, Employee
from domain.payroll.errors import (
    EmployeeAlreadyHired,
    EmployeeTerminated,
    InvalidPayrollRequest,
    UnknownDeduction,
    UnknownEmployee,
)
from domain.payroll.proration import HOURLY, PAY_BASES
from domain.payroll.requests import EARNING_CODES, PAY_PERIODS_PER_YEAR
from domain.subjects.parties import resolve_party
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import check_reference

ASSET_OF = {"US": "USD", "ID": "IDR"}
PAY_GROUP_LENGTH_MAX = 64
HOURS_PER_PERIOD_MAX = Decimal(744)  # a 31-day month, every hour
_DEDUCTION_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}\Z")
RESERVED_CODES = frozenset({*EARNING_CODES, "arrears", "federal_income_tax", "social_security",
                            "medicare", "additional_medicare", "pph21", "bpjs_kesehatan", "jht",
                            "jp"})
_EMPLOYEE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:employee")


def employee_id_for(reference: str) -> UUID:
    """The employee id of an HR reference (a second hire of it collides)."""
    return uuid5(_EMPLOYEE_NAMESPACE, reference)


def check_tax_profile(jurisdiction: str, pay_frequency: str, profile: object) -> dict[str, Any]:
    """The calculator's own parser checks the profile (refusals name ``tax_profile.*``)."""
    if not isinstance(profile, dict):
        raise InvalidPayrollRequest("tax_profile: expected an object", field="tax_profile")
    body: dict[str, Any] = {"jurisdiction": jurisdiction, "tax_year": 2025,
                            "earnings": [{"code": "regular", "amount": "0"}]}
    if jurisdiction == "US":
        body.update(pay_frequency=pay_frequency, period_number=1, tax_profile=profile)
    else:
        extra = set(profile) - {"ptkp_status", "jkk_rate_percent"}
        if extra:
            name = f"tax_profile.{sorted(extra)[0]}"
            raise InvalidPayrollRequest(f"{name}: unknown field", field=name)
        body.update(month=1, jkk_rate_percent=profile.get("jkk_rate_percent"),
                    tax_profile={"ptkp_status": profile.get("ptkp_status")})
    parse_calculation_request(body)
    return dict(profile)


def check_pay(jurisdiction: str, pay: object, field: str = "pay") -> dict[str, Any]:
    """A pay change's fields: basis, amount_minor, asset, hours_per_period."""
    if not isinstance(pay, dict):
        raise InvalidInput(f"{field}: expected an object", field=field)
    basis = pay.get("basis")
    if basis not in PAY_BASES:
        raise InvalidInput(f"{field}.basis: one of {', '.join(PAY_BASES)}", field=f"{field}.basis")
    asset = pay.get("asset", ASSET_OF[jurisdiction])
    if asset != ASSET_OF[jurisdiction]:
        raise InvalidInput(f"{field}.asset: {jurisdiction} pay is in {ASSET_OF[jurisdiction]}",
                           field=f"{field}.asset")
    amount = parse_amount(pay.get("amount"), ISO_CURRENCY_SCALES[asset], field=f"{field}.amount")
    if asset == "IDR" and amount % 100:
        raise InvalidInput(f"{field}.amount: whole rupiah", field=f"{field}.amount")
    hours = pay.get("hours_per_period")
    if basis == HOURLY:
        hours = _hours(hours, f"{field}.hours_per_period")
    elif hours is not None:
        raise InvalidInput(f"{field}.hours_per_period: only for hourly pay",
                           field=f"{field}.hours_per_period")
    return {"basis": basis, "amount_minor": amount, "asset": asset, "hours_per_period": hours}


def _hours(value: object, field: str) -> str:
    try:
        hours = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite() or hours.as_tuple().exponent < -2 or not (  # type: ignore[operator]
            0 < hours <= HOURS_PER_PERIOD_MAX):
        raise InvalidInput(f"{field}: hours as a decimal string, at most 2 decimals, above 0 and"
                           f" at most {HOURS_PER_PERIOD_MAX}", field=field)
    return str(value)


class EmployeeCommands:
    """The employee commands (mixed into ``Payroll``)."""

    app: BackOffice
    registry: SubjectRegistry

    def employee(self, employee_id: UUID) -> Employee:
        found = find(self.app, employee_id, Employee)
        if found is None:
            raise UnknownEmployee(f"employee {employee_id} does not exist", field="employee_id")
        return found

    def hire(self, context: Context, *, reference: str, person: dict[str, Any],
             bank_account: dict[str, Any], jurisdiction: str, pay_group: str,
             pay_frequency: str, hire_date: str, tax_profile: dict[str, Any],
             pay: dict[str, Any]) -> tuple[UUID, int]:
        """Hire: the person as a data subject, the employee and the first pay, one commit."""
        context.checked()
        reference = check_reference(reference)
        if jurisdiction not in JURISDICTIONS:
            raise InvalidInput("jurisdiction: 'US' or 'ID'", field="jurisdiction")
        if pay_frequency not in PAY_PERIODS_PER_YEAR or (
                jurisdiction == "ID" and pay_frequency != "monthly"):
            raise InvalidInput("pay_frequency: one of the calculator's; monthly in Indonesia",
                               field="pay_frequency")
        pay_group = limits.bounded_text(pay_group, "pay_group", PAY_GROUP_LENGTH_MAX)
        hire_date = limits.effective_date(hire_date, "hire_date")
        profile = check_tax_profile(jurisdiction, pay_frequency, tax_profile)
        first_pay = check_pay(jurisdiction, pay)
        canonical = check_account_identifier(bank_account, "bank_account")
        employee_id = employee_id_for(reference)
        with self.app.write_lock:
            if find(self.app, employee_id, Employee) is not None:
                raise EmployeeAlreadyHired(f"reference: employee {employee_id} is already hired",
                                           field="reference")
            party = resolve_party(
                self.registry, context, kind="employee", field="person", subject_id=None,
                inline={**person, "reference": reference}, item_kind="employee",
                item_id=employee_id)
            employee: Employee = Employee.hired(
                id=employee_id, reference=reference,
                subject_id=str(party.subject_id),
                bank_account=party.seal_value(ACCOUNT_FIELD, canonical.canonical()),
                account_scheme=canonical.scheme, account_country=canonical.country,
                jurisdiction=jurisdiction, pay_group=pay_group, pay_frequency=pay_frequency,
                hire_date=hire_date, tax_profile=profile, actor=context.actor,
                correlation_id=context.correlation_id)
            employee.trigger_event(Employee.EmployeePayChanged, effective_date=hire_date,
                                   actor=context.actor, correlation_id=context.correlation_id,
                                   **first_pay)
            new = [] if party.new_subject is None else [party.new_subject]
            try:
                recordings = self.app.save(*new, employee)
            except IntegrityError:
                raise EmployeeAlreadyHired(f"reference: employee {employee_id} is already hired",
                                           field="reference") from None
        return employee_id, int(recordings[-1].notification.id)

    def change_pay(self, context: Context, employee_id: UUID, pay: dict[str, Any],
                   effective_date: str) -> int:
        """A new pay from ``effective_date`` (a past date is paid as arrears)."""
        context.checked()
        effective_date = limits.effective_date(effective_date)
        return self._record(context, employee_id, lambda employee: (
            Employee.EmployeePayChanged,
            {**check_pay(employee.jurisdiction, pay), "effective_date": effective_date}))

    def change_tax_profile(self, context: Context, employee_id: UUID,
                           tax_profile: dict[str, Any], effective_date: str) -> int:
        context.checked()
        effective_date = limits.effective_date(effective_date)
        return self._record(context, employee_id, lambda employee: (
            Employee.EmployeeTaxProfileChanged,
            {"tax_profile": check_tax_profile(employee.jurisdiction, employee.pay_frequency,
                                              tax_profile),
             "effective_date": effective_date}))

    def enroll_deduction(self, context: Context, employee_id: UUID, code: str, amount: str,
                         effective_date: str) -> int:
        """A post-tax deduction of ``amount`` each regular period from ``effective_date``."""
        context.checked()
        if not isinstance(code, str) or not _DEDUCTION_CODE.match(code) or code in RESERVED_CODES:
            raise InvalidInput("code: lower-case letters, digits and '_' (2-32), not a tax line"
                               " code", field="code")
        effective_date = limits.effective_date(effective_date)

        def decide(employee: Employee) -> tuple[type[Aggregate.Event], dict[str, Any]]:
            asset = ASSET_OF[employee.jurisdiction]
            return Employee.DeductionEnrolled, {
                "code": code, "asset": asset, "effective_date": effective_date,
                "amount_minor": check_pay(employee.jurisdiction, {
                    "basis": "salary", "amount": amount, "asset": asset}, "deduction")[
                    "amount_minor"]}

        return self._record(context, employee_id, decide)

    def end_deduction(self, context: Context, employee_id: UUID, code: str,
                      end_date: str) -> int:
        """The deduction ``code`` is last taken in the period holding ``end_date``."""
        context.checked()
        end_date = limits.effective_date(end_date, "end_date")

        def decide(employee: Employee) -> tuple[type[Aggregate.Event], dict[str, Any]]:
            active = [item for item in employee.deductions
                      if item["code"] == code and item["end_date"] is None]
            if not active:
                raise UnknownDeduction(f"code: no active deduction {code!r}", field="code")
            return Employee.DeductionEnded, {"code": code, "enrolment_ref": active[-1]["ref"],
                                             "end_date": end_date}

        return self._record(context, employee_id, decide)

    def terminate(self, context: Context, employee_id: UUID, termination_date: str,
                  reason: str) -> int:
        """``termination_date`` is the last day employed (paid pro rata up to it)."""
        context.checked()
        termination_date = limits.effective_date(termination_date, "termination_date")
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def decide(employee: Employee) -> tuple[type[Aggregate.Event], dict[str, Any]]:
            if termination_date < employee.hire_date:
                raise InvalidInput("termination_date: before the hire date",
                                   field="termination_date")
            return Employee.EmployeeTerminated, {"termination_date": termination_date,
                                                 "reason": reason}

        return self._record(context, employee_id, decide)

    def _record(self, context: Context, employee_id: UUID, decide: Any) -> int:
        def attempt() -> list[Aggregate]:
            employee = self.employee(employee_id)
            if employee.termination_date is not None:
                raise EmployeeTerminated(
                    f"employee {employee_id} left on {employee.termination_date}",
                    field="employee_id")
            event_class, fields = decide(employee)
            employee.trigger_event(event_class, actor=context.actor,
                                   correlation_id=context.correlation_id, **fields)
            return [employee]

        return save_retrying(self.app, attempt)
