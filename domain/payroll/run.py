"""A payroll run: one pay group, one pay period, one pay date.

Statuses and the steps between them (``TRANSITIONS``)::

    opened --calculate--> calculated --approve (1 or 2 distinct)--> approved --pay--> paid
    calculated | approved --calculate (payslips changed)--> calculated (approvals void)
    opened | calculated | approved --cancel--> cancelled

``PayrollRunCalculated`` carries every payslip as plain amounts (no personal
data: employees are ids), their ``fingerprint`` (SHA-256 of the payslips),
the totals and ``ytd_basis``, the paid runs of the tax year whose payslips
were folded into the year-to-date figures. Recalculating with the same
inputs gives the same fingerprint and writes nothing; other payslips void
every approval given before (an approval records the fingerprint it saw).
A paid run is never changed: corrections are an off-cycle run.
``PayrollRunPaid`` names the journal entry and the payments saved with it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

OPENED = "opened"
CALCULATED = "calculated"
APPROVED = "approved"
PAID = "paid"
CANCELLED = "cancelled"
STATUSES = (OPENED, CALCULATED, APPROVED, PAID, CANCELLED)
REGULAR = "regular"
OFF_CYCLE = "off_cycle"
RUN_KINDS = (REGULAR, OFF_CYCLE)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "calculate": (OPENED, CALCULATED, APPROVED),
    "approve": (CALCULATED,),
    "pay": (APPROVED,),
    "cancel": (OPENED, CALCULATED, APPROVED),
}


class PayrollRun(Aggregate):
    """One run; see the module docstring for its life."""

    class PayrollRunOpened(Aggregate.Created):
        """``kind`` regular|off_cycle; ``period_start``..``period_end`` (inclusive),
        ``period_number`` of the ``pay_frequency``'s year, ``pay_date`` (the
        effective date; its year is the tax year); off-cycle ``earnings``:
        employee id -> [{code, amount_minor}]. ``actor`` is the preparer."""

        class_version = 1

        pay_group: str
        jurisdiction: str
        pay_frequency: str
        kind: str
        period_start: str
        period_end: str
        period_number: int
        pay_date: str
        tax_year: int
        asset: str
        earnings: dict[str, list[dict[str, Any]]]
        actor: str
        correlation_id: str

    class PayrollRunCalculated(Aggregate.Event):
        """``payslips`` (one per employee paid, in employee id order) with their
        ``fingerprint``, ``totals`` (minor units by figure), ``ytd_basis`` (paid
        run ids folded) and ``approvals_required``."""

        class_version = 1

        payslips: list[dict[str, Any]]
        fingerprint: str
        totals: dict[str, int]
        ytd_basis: list[str]
        approvals_required: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payslips = self.payslips
            aggregate.fingerprint = self.fingerprint
            aggregate.totals = self.totals
            aggregate.ytd_basis = self.ytd_basis
            aggregate.approvals_required = self.approvals_required
            aggregate.authors = sorted({*aggregate.authors, self.actor})
            aggregate.calculations += 1
            aggregate.status = CALCULATED

    class PayrollRunApproved(Aggregate.Event):
        """``actor`` approved the payslips with ``fingerprint``."""

        class_version = 1

        fingerprint: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.approvals = [*aggregate.approvals, {
                "approver": self.actor, "fingerprint": self.fingerprint,
                "correlation_id": self.correlation_id,
                "approved_at": self.timestamp.isoformat(),
            }]
            if len(aggregate.current_approvals()) >= aggregate.approvals_required:
                aggregate.status = APPROVED

    class PayrollRunPaid(Aggregate.Event):
        """The run's entry ``entry_id`` is posted and ``payment_ids`` (employee id
        -> payment id) requested, screened, approved and reserved with it."""

        class_version = 1

        entry_id: str
        payment_ids: dict[str, str]
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.entry_id = self.entry_id
            aggregate.payment_ids = self.payment_ids
            aggregate.paid_by = self.actor
            aggregate.status = PAID

    class PayrollRunCancelled(Aggregate.Event):
        class_version = 1

        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = CANCELLED
            aggregate.cancel_reason = self.reason

    def __init__(  # the PayrollRunOpened fields; only assigns
        self, pay_group: str, jurisdiction: str, pay_frequency: str, kind: str,
        period_start: str, period_end: str, period_number: int, pay_date: str, tax_year: int,
        asset: str, earnings: dict[str, list[dict[str, Any]]], actor: str,
        correlation_id: str,
    ) -> None:
        self.pay_group = pay_group
        self.jurisdiction = jurisdiction
        self.pay_frequency = pay_frequency
        self.kind = kind
        self.period_start = period_start
        self.period_end = period_end
        self.period_number = period_number
        self.pay_date = pay_date
        self.tax_year = tax_year
        self.asset = asset
        self.earnings = earnings
        self.preparer = actor
        self.authors = [actor]  # preparer and calculators: none of them approves
        self.status = OPENED
        self.payslips: list[dict[str, Any]] = []
        self.fingerprint = ""
        self.totals: dict[str, int] = {}
        self.ytd_basis: list[str] = []
        self.approvals_required = 1
        self.approvals: list[dict[str, str]] = []
        self.calculations = 0
        self.entry_id: str | None = None
        self.payment_ids: dict[str, str] = {}
        self.paid_by: str | None = None
        self.cancel_reason: str | None = None

    @classmethod
    def opened(
        cls,
        *,
        id: UUID,
        pay_group: str,
        jurisdiction: str,
        pay_frequency: str,
        kind: str,
        period_start: str,
        period_end: str,
        period_number: int,
        pay_date: str,
        tax_year: int,
        asset: str,
        earnings: dict[str, list[dict[str, Any]]],
        actor: str,
        correlation_id: str,
    ) -> PayrollRun:
        """A newly opened payroll run."""
        return cls._create(
            cls.PayrollRunOpened,
            id=id,
            pay_group=pay_group,
            jurisdiction=jurisdiction,
            pay_frequency=pay_frequency,
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            period_number=period_number,
            pay_date=pay_date,
            tax_year=tax_year,
            asset=asset,
            earnings=earnings,
            actor=actor,
            correlation_id=correlation_id,
        )

    def current_approvals(self) -> list[dict[str, str]]:
        """Approvals of the payslips as they are now (a recalculation voids earlier ones)."""
        return [item for item in self.approvals if item["fingerprint"] == self.fingerprint]

    def as_dict(self) -> dict[str, Any]:
        """The run without its payslips (see ``payslips``)."""
        return {
            "id": str(self.id), "status": self.status, "kind": self.kind,
            "pay_group": self.pay_group, "jurisdiction": self.jurisdiction,
            "pay_frequency": self.pay_frequency, "period_start": self.period_start,
            "period_end": self.period_end, "period_number": self.period_number,
            "pay_date": self.pay_date, "tax_year": self.tax_year, "asset": self.asset,
            "preparer": self.preparer, "fingerprint": self.fingerprint,
            "totals": dict(self.totals), "payslip_count": len(self.payslips),
            "approvals_required": self.approvals_required,
            "approved_by": [item["approver"] for item in self.current_approvals()],
            "entry_id": self.entry_id, "paid_by": self.paid_by,
            "cancel_reason": self.cancel_reason, "version": self.version,
        }


pin_topics("domain.payroll.run", PayrollRun)
