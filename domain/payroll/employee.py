"""An employee: hired, paid at rates that change by effective date, taxed by a
profile, with voluntary deductions, and terminated.

Personal data never enters these events: the person is a data subject
(``domain.subjects``) holding the name, tax id and address sealed under the
subject's key, and the bank account is an envelope sealed under the same key
(field ``payee_account``, the field a payment seals it as, so the payments
reuse the envelope). Erasing the subject leaves the employee, every run and
every payslip readable: they hold amounts and ids only.

Pay changes, tax profiles and deductions are kept as histories by effective
date, never overwritten, so a run computes what was in force on each day
and a change dated in the past is found by the next run (arrears). Each
history item carries ``ref`` (``<employee id>@<version>``), the event that
recorded it, which payslip lines cite.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

JURISDICTIONS = ("US", "ID")


def change_ref(employee_id: object, version: int) -> str:
    """How a payslip line cites the employee event at ``version``."""
    return f"{employee_id}@{version}"


class Employee(Aggregate):
    """One employee of the back office's company; see the module docstring."""

    class EmployeeHired(Aggregate.Created):
        """``reference`` (the HR number, not personal data) and ``subject_id``;
        ``bank_account``: the sealed payee account with its ``account_scheme``
        and ``account_country``; ``jurisdiction`` (US|ID), ``pay_group``,
        ``pay_frequency``, ``hire_date`` (the effective date), ``tax_profile``."""

        class_version = 1

        reference: str
        subject_id: str
        bank_account: dict[str, Any]
        account_scheme: str
        account_country: str
        jurisdiction: str
        pay_group: str
        pay_frequency: str
        hire_date: str
        tax_profile: dict[str, Any]
        actor: str
        correlation_id: str

    class EmployeePayChanged(Aggregate.Event):
        """From ``effective_date`` (may lie in the past): ``basis`` salary (an
        amount per pay period) or hourly (a rate, with ``hours_per_period``)."""

        class_version = 1

        basis: str
        amount_minor: int
        asset: str
        hours_per_period: str | None
        effective_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.pay_changes = [*aggregate.pay_changes, {
                "ref": change_ref(self.originator_id, self.originator_version),
                "version": self.originator_version, "effective_date": self.effective_date,
                "basis": self.basis, "amount_minor": self.amount_minor, "asset": self.asset,
                "hours_per_period": self.hours_per_period,
            }]

    class EmployeeTaxProfileChanged(Aggregate.Event):
        class_version = 1

        tax_profile: dict[str, Any]
        effective_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.tax_profiles = [*aggregate.tax_profiles, {
                "ref": change_ref(self.originator_id, self.originator_version),
                "version": self.originator_version, "effective_date": self.effective_date,
                "profile": self.tax_profile,
            }]

    class DeductionEnrolled(Aggregate.Event):
        """A voluntary post-tax deduction of ``amount_minor`` each regular period
        from ``effective_date``, owed to the liability account of ``code``."""

        class_version = 1

        code: str
        amount_minor: int
        asset: str
        effective_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.deductions = [*aggregate.deductions, {
                "ref": change_ref(self.originator_id, self.originator_version),
                "code": self.code, "amount_minor": self.amount_minor, "asset": self.asset,
                "effective_date": self.effective_date, "end_date": None,
            }]

    class DeductionEnded(Aggregate.Event):
        """The enrolment ``enrolment_ref`` of ``code`` ends after ``end_date``."""

        class_version = 1

        code: str
        enrolment_ref: str
        end_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.deductions = [
                {**item, "end_date": self.end_date} if item["ref"] == self.enrolment_ref
                else item for item in aggregate.deductions
            ]

    class EmployeeTerminated(Aggregate.Event):
        """``termination_date``: the last day employed."""

        class_version = 1

        termination_date: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.termination_date = self.termination_date
            aggregate.termination_reason = self.reason

    def __init__(  # the EmployeeHired fields; only assigns
        self, reference: str, subject_id: str, bank_account: dict[str, Any],
        account_scheme: str, account_country: str, jurisdiction: str, pay_group: str,
        pay_frequency: str, hire_date: str, tax_profile: dict[str, Any], actor: str,
        correlation_id: str,
    ) -> None:
        self.reference = reference
        self.subject_id = subject_id
        self.bank_account = bank_account
        self.account_scheme = account_scheme
        self.account_country = account_country
        self.jurisdiction = jurisdiction
        self.pay_group = pay_group
        self.pay_frequency = pay_frequency
        self.hire_date = hire_date
        self.hired_by = actor
        self.tax_profiles: list[dict[str, Any]] = [{
            "ref": change_ref(self.id, 1), "version": 1, "effective_date": hire_date,
            "profile": tax_profile,
        }]
        self.pay_changes: list[dict[str, Any]] = []
        self.deductions: list[dict[str, Any]] = []
        self.termination_date: str | None = None
        self.termination_reason: str | None = None

    @classmethod
    def hired(
        cls,
        *,
        id: UUID,
        reference: str,
        subject_id: str,
        bank_account: dict[str, Any],
        account_scheme: str,
        account_country: str,
        jurisdiction: str,
        pay_group: str,
        pay_frequency: str,
        hire_date: str,
        tax_profile: dict[str, Any],
        actor: str,
        correlation_id: str,
    ) -> Employee:
        """A newly hired employee."""
        return cls._create(
            cls.EmployeeHired,
            id=id,
            reference=reference,
            subject_id=subject_id,
            bank_account=bank_account,
            account_scheme=account_scheme,
            account_country=account_country,
            jurisdiction=jurisdiction,
            pay_group=pay_group,
            pay_frequency=pay_frequency,
            hire_date=hire_date,
            tax_profile=tax_profile,
            actor=actor,
            correlation_id=correlation_id,
        )

    def tax_profile_on(self, day: str) -> dict[str, Any]:
        """The tax profile in force on ``day`` (the hire profile before any change)."""
        in_force = [item for item in self.tax_profiles if item["effective_date"] <= day]
        chosen = max(in_force or self.tax_profiles[:1],
                     key=lambda item: (item["effective_date"], item["version"]))
        profile: dict[str, Any] = chosen["profile"]
        return profile

    def deductions_in(self, period_start: str, period_end: str) -> list[dict[str, Any]]:
        """Enrolments in force on the period's last employed day, in enrolment order."""
        return [item for item in self.deductions
                if item["effective_date"] <= period_end
                and (item["end_date"] is None or item["end_date"] >= period_end)]

    def as_dict(self) -> dict[str, Any]:
        """The employee without personal data (the person is ``subject_id``)."""
        return {
            "id": str(self.id), "reference": self.reference, "subject_id": self.subject_id,
            "jurisdiction": self.jurisdiction, "pay_group": self.pay_group,
            "pay_frequency": self.pay_frequency, "hire_date": self.hire_date,
            "account_scheme": self.account_scheme, "account_country": self.account_country,
            "tax_profiles": [dict(item) for item in self.tax_profiles],
            "pay_changes": [dict(item) for item in self.pay_changes],
            "deductions": [dict(item) for item in self.deductions],
            "termination_date": self.termination_date,
            "termination_reason": self.termination_reason, "version": self.version,
        }


pin_topics("domain.payroll.employee", Employee)
