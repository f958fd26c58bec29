"""Supplier bills: received, approved (four eyes above the policy amount),
posted to payables on the last approval, then paid through the payments area.

Statuses::

    received --approve (1 or 2 distinct approvers, never the receiver)--> posted
    posted --allocations of settled payments--> partially_paid --> paid

The bill id is derived from the supplier and the supplier's own bill number
(``bill_id_for``), so the same bill received twice collides on the id: a
duplicate is refused even when two clerks enter it at the same moment.

Posting (with the last ``BillApproved``, in one commit) debits each line's
account (an expense, or goods received not invoiced for a line that
references a goods receipt) and the input tax account of each tax code, and
credits payables. A line may reference a goods receipt (its id, the quantity
and unit price received) for the three-way match that arrives with inventory.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

RECEIVED = "received"
POSTED = "posted"
PARTIALLY_PAID = "partially_paid"
PAID = "paid"
STATUSES = (RECEIVED, POSTED, PARTIALLY_PAID, PAID)
_BILL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:supplier-bill")


def normalised_supplier_number(number: str) -> str:
    """Supplier numbers compare without case and whitespace ("inv 7" = "INV7")."""
    return "".join(number.split()).casefold()


def bill_id_for(party_id: UUID, supplier_number: str) -> UUID:
    return uuid5(_BILL_NAMESPACE, f"{party_id}\x00{normalised_supplier_number(supplier_number)}")


class SupplierBill(Aggregate):
    """One bill from a supplier; see the module docstring for its life."""

    class BillReceived(Aggregate.Created):
        """From ``party_id`` (``subject_id``): ``supplier_number``, ``bill_date``,
        ``due_date``, ``currency``, ``lines`` (description, quantity, unit_price,
        tax_code, account, goods_receipt_id, goods_receipt_quantity,
        goods_receipt_unit_price; the last three empty without a receipt), the
        totals in minor units, ``tax_totals`` and ``approvals_required``."""

        class_version = 1
        party_id: str
        subject_id: str
        supplier_number: str
        bill_date: str
        due_date: str
        currency: str
        lines: list[dict[str, str]]
        net_total_minor: int
        tax_total_minor: int
        gross_total_minor: int
        tax_totals: list[dict[str, Any]]
        approvals_required: int
        actor: str
        correlation_id: str

    class BillApproved(Aggregate.Event):
        class_version = 1
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.approvers = [*aggregate.approvers, self.actor]

    class BillPosted(Aggregate.Event):
        """The entry ``entry_id`` credited ``payables_account`` with the gross total."""

        class_version = 1
        entry_id: str
        payables_account: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.posted = True
            aggregate.entry_id = self.entry_id
            aggregate.payables_account = self.payables_account

    class PaymentAllocated(Aggregate.Event):
        """``amount_minor`` of remittance ``remittance_id`` paid this bill."""

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

    def __init__(  # the BillReceived fields; only assigns
        self,
        party_id: str,
        subject_id: str,
        supplier_number: str,
        bill_date: str,
        due_date: str,
        currency: str,
        lines: list[dict[str, str]],
        net_total_minor: int,
        tax_total_minor: int,
        gross_total_minor: int,
        tax_totals: list[dict[str, Any]],
        approvals_required: int,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.party_id = party_id
        self.subject_id = subject_id
        self.supplier_number = supplier_number
        self.bill_date = bill_date
        self.due_date = due_date
        self.currency = currency
        self.lines = lines
        self.net_total_minor = net_total_minor
        self.tax_total_minor = tax_total_minor
        self.gross_total_minor = gross_total_minor
        self.tax_totals = tax_totals
        self.approvals_required = approvals_required
        self.received_by = actor
        self.approvers: list[str] = []
        self.posted = False
        self.entry_id = ""
        self.payables_account = ""
        self.allocations: dict[str, int] = {}

    @classmethod
    def received(
        cls,
        *,
        id: UUID,
        party_id: str,
        subject_id: str,
        supplier_number: str,
        bill_date: str,
        due_date: str,
        currency: str,
        lines: list[dict[str, str]],
        net_total_minor: int,
        tax_total_minor: int,
        gross_total_minor: int,
        tax_totals: list[dict[str, Any]],
        approvals_required: int,
        actor: str,
        correlation_id: str,
    ) -> SupplierBill:
        """A newly received supplier bill."""
        return cls._create(
            cls.BillReceived,
            id=id,
            party_id=party_id,
            subject_id=subject_id,
            supplier_number=supplier_number,
            bill_date=bill_date,
            due_date=due_date,
            currency=currency,
            lines=lines,
            net_total_minor=net_total_minor,
            tax_total_minor=tax_total_minor,
            gross_total_minor=gross_total_minor,
            tax_totals=tax_totals,
            approvals_required=approvals_required,
            actor=actor,
            correlation_id=correlation_id,
        )

    @property
    def allocated_minor(self) -> int:
        return sum(self.allocations.values())

    @property
    def open_amount_minor(self) -> int:
        """What we still owe on it: nothing before it is posted to payables."""
        return self.gross_total_minor - self.allocated_minor if self.posted else 0

    @property
    def status(self) -> str:
        if not self.posted:
            return RECEIVED
        if self.open_amount_minor == self.gross_total_minor:
            return POSTED
        return PARTIALLY_PAID if self.open_amount_minor > 0 else PAID

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status,
            "party_id": self.party_id,
            "supplier_number": self.supplier_number,
            "bill_date": self.bill_date,
            "due_date": self.due_date,
            "currency": self.currency,
            "lines": [dict(line) for line in self.lines],
            "net_total_minor": self.net_total_minor,
            "tax_total_minor": self.tax_total_minor,
            "gross_total_minor": self.gross_total_minor,
            "tax_totals": [dict(row) for row in self.tax_totals],
            "approvals_required": self.approvals_required,
            "approvers": list(self.approvers),
            "received_by": self.received_by,
            "entry_id": self.entry_id or None,
            "allocated_minor": self.allocated_minor,
            "open_amount_minor": self.open_amount_minor,
            "version": self.version,
        }


pin_topics("domain.billing.bill", SupplierBill)
