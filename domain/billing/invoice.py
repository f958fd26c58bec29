"""Customer invoices: drafted, then issued with a number and an entry, then
paid (through allocations), credited, or written off.

Statuses (``status`` is derived from the amounts)::

    draft --issue--> issued --allocations--> partially_paid --> paid
                       |  \\--credit notes--> (partially) credited
                       \\--write off (the open amount)--> written_off

Issuing assigns the next number of the series (``domain.billing.number_series``)
and posts the entry (debit receivables, credit income per account and output
tax per tax account) in the same commit as ``InvoiceIssued``. After issue the
invoice's content is never changed: what changes is how much of it is still
open, by events that name their cause (an allocation, a credit note, a
write-off); an allocation undone is an event too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

DRAFT = "draft"
ISSUED = "issued"
PARTIALLY_PAID = "partially_paid"
PAID = "paid"
CREDITED = "credited"
WRITTEN_OFF = "written_off"
STATUSES = (DRAFT, ISSUED, PARTIALLY_PAID, PAID, CREDITED, WRITTEN_OFF)


class Invoice(Aggregate):
    """One customer invoice; see the module docstring for its life."""

    class InvoiceDrafted(Aggregate.Created):
        """``party_id`` and its ``subject_id``, ``currency``, ``reference`` (the
        customer's order number, or empty) and ``lines`` as entered
        (description, quantity, unit_price, tax_code, income_account)."""

        class_version = 1
        party_id: str
        subject_id: str
        currency: str
        reference: str
        lines: list[dict[str, str]]
        actor: str
        correlation_id: str

    class InvoiceDraftRevised(Aggregate.Event):
        class_version = 1
        reference: str
        lines: list[dict[str, str]]
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reference = self.reference
            aggregate.lines = self.lines

    class InvoiceIssued(Aggregate.Event):
        """Numbered ``number`` on ``issue_date``, due on ``due_date``; totals in minor
        units, ``tax_totals`` rows {tax_code, net_minor, taxable_base_minor,
        tax_minor, account}; the entry ``entry_id`` debits ``receivables_account``."""

        class_version = 1
        number: str
        series: str
        year: int
        sequence: int
        issue_date: str
        due_date: str
        net_total_minor: int
        tax_total_minor: int
        gross_total_minor: int
        tax_totals: list[dict[str, Any]]
        entry_id: str
        receivables_account: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.issued = True
            aggregate.number = self.number
            aggregate.series = self.series
            aggregate.year = self.year
            aggregate.sequence = self.sequence
            aggregate.issue_date = self.issue_date
            aggregate.due_date = self.due_date
            aggregate.net_total_minor = self.net_total_minor
            aggregate.tax_total_minor = self.tax_total_minor
            aggregate.gross_total_minor = self.gross_total_minor
            aggregate.tax_totals = self.tax_totals
            aggregate.entry_id = self.entry_id
            aggregate.receivables_account = self.receivables_account

    class PaymentAllocated(Aggregate.Event):
        """``amount_minor`` of remittance ``remittance_id`` went to this invoice."""

        class_version = 1
        allocation_id: str
        remittance_id: str
        amount_minor: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.allocations = {**aggregate.allocations, self.allocation_id: self.amount_minor}

    class PaymentAllocationUndone(Aggregate.Event):
        class_version = 1
        allocation_id: str
        remittance_id: str
        amount_minor: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.allocations = {
                key: value
                for key, value in aggregate.allocations.items()
                if key != self.allocation_id
            }

    class InvoiceCredited(Aggregate.Event):
        """Credit note ``credit_note_id`` (``number``) credited ``amount_minor``."""

        class_version = 1
        credit_note_id: str
        number: str
        amount_minor: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.credited_minor += self.amount_minor
            aggregate.credit_notes = [*aggregate.credit_notes, self.credit_note_id]

    class InvoiceWrittenOff(Aggregate.Event):
        """The open ``amount_minor`` written off as bad debt by entry ``entry_id``."""

        class_version = 1
        amount_minor: int
        entry_id: str
        effective_date: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.written_off_minor += self.amount_minor
            aggregate.write_off_entry_id = self.entry_id

    def __init__(  # the InvoiceDrafted fields; only assigns
        self,
        party_id: str,
        subject_id: str,
        currency: str,
        reference: str,
        lines: list[dict[str, str]],
        actor: str,
        correlation_id: str,
    ) -> None:
        self.party_id = party_id
        self.subject_id = subject_id
        self.currency = currency
        self.reference = reference
        self.lines = lines
        self.drafted_by = actor
        self.issued = False
        self.number = ""
        self.series = ""
        self.year = 0
        self.sequence = 0
        self.issue_date = ""
        self.due_date = ""
        self.net_total_minor = 0
        self.tax_total_minor = 0
        self.gross_total_minor = 0
        self.tax_totals: list[dict[str, Any]] = []
        self.entry_id = ""
        self.receivables_account = ""
        self.allocations: dict[str, int] = {}
        self.credited_minor = 0
        self.credit_notes: list[str] = []
        self.written_off_minor = 0
        self.write_off_entry_id = ""

    @classmethod
    def drafted(
        cls,
        *,
        id: UUID,
        party_id: str,
        subject_id: str,
        currency: str,
        reference: str,
        lines: list[dict[str, str]],
        actor: str,
        correlation_id: str,
    ) -> Invoice:
        """A new draft invoice."""
        return cls._create(
            cls.InvoiceDrafted,
            id=id,
            party_id=party_id,
            subject_id=subject_id,
            currency=currency,
            reference=reference,
            lines=lines,
            actor=actor,
            correlation_id=correlation_id,
        )

    @property
    def allocated_minor(self) -> int:
        return sum(self.allocations.values())

    @property
    def open_amount_minor(self) -> int:
        """What the customer still owes on it (0 for a draft)."""
        if not self.issued:
            return 0
        return (
            self.gross_total_minor
            - self.allocated_minor
            - self.credited_minor
            - self.written_off_minor
        )

    @property
    def status(self) -> str:
        if not self.issued:
            return DRAFT
        if self.open_amount_minor == self.gross_total_minor:
            return ISSUED
        if self.open_amount_minor > 0:
            return PARTIALLY_PAID if self.allocated_minor else CREDITED
        if self.written_off_minor:
            return WRITTEN_OFF
        return PAID if self.allocated_minor else CREDITED

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status,
            "party_id": self.party_id,
            "currency": self.currency,
            "reference": self.reference,
            "lines": [dict(line) for line in self.lines],
            "number": self.number or None,
            "issue_date": self.issue_date or None,
            "due_date": self.due_date or None,
            "net_total_minor": self.net_total_minor,
            "tax_total_minor": self.tax_total_minor,
            "gross_total_minor": self.gross_total_minor,
            "tax_totals": [dict(row) for row in self.tax_totals],
            "allocated_minor": self.allocated_minor,
            "credited_minor": self.credited_minor,
            "written_off_minor": self.written_off_minor,
            "open_amount_minor": self.open_amount_minor,
            "entry_id": self.entry_id or None,
            "credit_notes": list(self.credit_notes),
            "write_off_entry_id": self.write_off_entry_id or None,
            "version": self.version,
        }


pin_topics("domain.billing.invoice", Invoice)
