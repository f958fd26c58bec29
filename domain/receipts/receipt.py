"""Incoming receipts: customer payments by cash, wire, card, ACH or cheque.

Statuses::

    recorded --screen--> posted (clear: the entry is posted in the same commit)
             \\--------> held (review|hit) --compliance clears, post--> posted
                                         \\--compliance rejects--> rejected

The payer is a data subject (``domain.subjects.parties``): the log keeps the subject
id, never the name. Posting debits the bank account (the cash account for
``method: cash``) and credits receivables (both configurable per receipt),
in one commit with ``ReceiptPosted``. Cash receipts carry ``cash: true``, the
payer subject and the business date on ``ReceiptRecorded`` and
``ReceiptPosted``, for the large-cash-transaction reports.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.errors import InvalidInput
from domain.kernel.topics import pin_topics

RECORDED = "recorded"
HELD = "held"
POSTED = "posted"
REJECTED = "rejected"
STATUSES = (RECORDED, HELD, POSTED, REJECTED)
METHODS = ("cash", "wire", "card", "ach", "cheque")
_RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:receipt")


def receipt_id_for(actor: str, request_key: str) -> UUID:
    return uuid5(_RECEIPT_NAMESPACE, f"{actor}\x00{request_key}")


def receipt_entry_key(receipt_id: UUID) -> str:
    return f"receipt:{receipt_id}:entry"


def check_method(method: object) -> str:
    if method not in METHODS:
        raise InvalidInput(f"method: one of {', '.join(METHODS)}", field="method")
    assert isinstance(method, str)
    return method


class Receipt(Aggregate):
    """One incoming customer payment."""

    class ReceiptRecorded(Aggregate.Created):
        """``payer_subject_id``, ``method``, ``cash``, ``amount_minor``, ``asset``,
        ``reference``, ``value_date`` (= ``business_date``), and the accounts the
        entry will debit and credit."""

        payer_subject_id: str
        method: str
        cash: bool
        amount_minor: int
        asset: str
        reference: str
        value_date: str
        business_date: str
        debit_account: str
        credit_account: str
        actor: str
        correlation_id: str

    class ReceiptScreened(Aggregate.Event):
        result: str
        case_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.screening_result = self.result
            aggregate.screening_case_id = self.case_id
            if self.result != "clear":
                aggregate.status = HELD

    class ReceiptReleased(Aggregate.Event):
        case_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.compliance_decision = "cleared"

    class ReceiptRejected(Aggregate.Event):
        case_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = REJECTED
            aggregate.compliance_decision = "rejected"

    class ReceiptPosted(Aggregate.Event):
        """The entry ``entry_id`` was posted; ``cash``, ``payer_subject_id``,
        ``business_date``, ``amount_minor`` and ``asset`` for the cash reports."""

        entry_id: str
        cash: bool
        payer_subject_id: str
        business_date: str
        amount_minor: int
        asset: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = POSTED
            aggregate.entry_id = self.entry_id

    def __init__(  # the ReceiptRecorded fields; only assigns
        self,
        payer_subject_id: str,
        method: str,
        cash: bool,
        amount_minor: int,
        asset: str,
        reference: str,
        value_date: str,
        business_date: str,
        debit_account: str,
        credit_account: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.payer_subject_id = payer_subject_id
        self.method = method
        self.cash = cash
        self.amount_minor = amount_minor
        self.asset = asset
        self.reference = reference
        self.value_date = value_date
        self.business_date = business_date
        self.debit_account = debit_account
        self.credit_account = credit_account
        self.recorded_by = actor
        self.status = RECORDED
        self.screening_result: str | None = None
        self.screening_case_id: str | None = None
        self.compliance_decision: str | None = None
        self.entry_id: str | None = None

    @classmethod
    def recorded(
        cls,
        *,
        id: UUID,
        payer_subject_id: str,
        method: str,
        cash: bool,
        amount_minor: int,
        asset: str,
        reference: str,
        value_date: str,
        business_date: str,
        debit_account: str,
        credit_account: str,
        actor: str,
        correlation_id: str,
    ) -> Receipt:
        """A newly recorded receipt."""
        return cls._create(
            cls.ReceiptRecorded,
            id=id,
            payer_subject_id=payer_subject_id,
            method=method,
            cash=cash,
            amount_minor=amount_minor,
            asset=asset,
            reference=reference,
            value_date=value_date,
            business_date=business_date,
            debit_account=debit_account,
            credit_account=credit_account,
            actor=actor,
            correlation_id=correlation_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status,
            "payer_subject_id": self.payer_subject_id,
            "method": self.method,
            "cash": self.cash,
            "amount_minor": self.amount_minor,
            "asset": self.asset,
            "reference": self.reference,
            "value_date": self.value_date,
            "business_date": self.business_date,
            "debit_account": self.debit_account,
            "credit_account": self.credit_account,
            "recorded_by": self.recorded_by,
            "screening_result": self.screening_result,
            "screening_case_id": self.screening_case_id,
            "compliance_decision": self.compliance_decision,
            "entry_id": self.entry_id,
            "created_at": self.created_on.isoformat(),
            "updated_at": self.modified_on.isoformat(),
            "version": self.version,
        }

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.receipts", Receipt)
