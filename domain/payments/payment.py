"""Outgoing payments: requested, screened, approved (four eyes), funds reserved,
submitted, then settled, failed or returned; or cancelled before submission.

Statuses and the steps between them (``domain.payments.statuses``)::

    requested --screen--> held (review|hit) --compliance clears--> awaiting_approval
              \\--------> awaiting_approval (clear)     \\--rejects--> rejected
    awaiting_approval --approve (1 or 2 distinct approvers)--> funds_reserved
    funds_reserved --submit--> submitted --settle--> settled --return--> returned
                                        \\--fail--> failed
    requested | held | awaiting_approval | funds_reserved --cancel--> cancelled

The payee's name and account identifier never enter the log in the clear: the
payee is a data subject (``domain.subjects.subject``), and the account identifier is
an envelope sealed under that subject's key (field ``payee_account``), so
erasing the payee erases it here too. ``content_fingerprint`` is SHA-256 of
the payment's content with the account identifier blinded under the same key;
an approval records the fingerprint it approved, and an amendment (a new
fingerprint) voids every approval given before it.

Money moves only through journal entries saved in the same commit as the
event that explains them: ``PaymentFundsReserved`` with a pending entry
(debit the clearing account, credit the paying account), ``PaymentSettled``
with that entry posted, ``PaymentFailed`` or ``PaymentCancelled`` with it
voided, ``PaymentReturned`` with its reversal. Cash payments carry
``cash: true``, the payee subject and the business date for the compliance
reports on large cash transactions.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics
from domain.payments.statuses import (
    AWAITING_APPROVAL,
    CANCELLED,
    FAILED,
    FUNDS_RESERVED,
    HELD,
    REJECTED,
    REQUESTED,
    RETURNED,
    SETTLED,
    SUBMITTED,
)


class Payment(Aggregate):
    """One outgoing payment; see the module docstring for its life."""

    class PaymentRequested(Aggregate.Created):
        """``payee_subject_id``; ``payee_account`` (sealed envelope, None for cash) with
        its ``account_scheme`` (iban|bank_code|"") and ``account_country``;
        ``amount_minor``, ``asset``, ``value_date`` (also the ``business_date``),
        ``purpose``, ``method`` (transfer|cash) and ``cash``; ``paying_account`` and
        ``clearing_account``; ``content_fingerprint``; ``approvals_required``."""

        payee_subject_id: str
        payee_account: dict[str, Any] | None
        account_scheme: str
        account_country: str
        amount_minor: int
        asset: str
        value_date: str
        business_date: str
        purpose: str
        method: str
        cash: bool
        paying_account: str
        clearing_account: str
        content_fingerprint: str
        approvals_required: int
        actor: str
        correlation_id: str

    class PaymentScreened(Aggregate.Event):
        """Screened against the sanctions list: ``result`` clear|review|hit; not
        clear holds the payment for compliance."""

        result: str
        case_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.screening_result = self.result
            aggregate.screening_case_id = self.case_id
            aggregate.status = AWAITING_APPROVAL if self.result == "clear" else HELD

    class PaymentReleased(Aggregate.Event):
        """Compliance cleared the screening case: the payment may be approved."""

        case_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = AWAITING_APPROVAL
            aggregate.compliance_decision = "cleared"

    class PaymentRejected(Aggregate.Event):
        """Compliance confirmed the match: the payment never leaves."""

        case_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = REJECTED
            aggregate.compliance_decision = "rejected"

    class PaymentAmended(Aggregate.Event):
        """New content: every approval given before this is void."""

        payee_account: dict[str, Any] | None
        account_scheme: str
        account_country: str
        amount_minor: int
        value_date: str
        business_date: str
        purpose: str
        content_fingerprint: str
        approvals_required: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payee_account = self.payee_account
            aggregate.account_scheme = self.account_scheme
            aggregate.account_country = self.account_country
            aggregate.amount_minor = self.amount_minor
            aggregate.value_date = self.value_date
            aggregate.business_date = self.business_date
            aggregate.purpose = self.purpose
            aggregate.content_fingerprint = self.content_fingerprint
            aggregate.approvals_required = self.approvals_required
            aggregate.approvals = []
            aggregate.authors = sorted({*aggregate.authors, self.actor})
            aggregate.amendments += 1

    class PaymentApproved(Aggregate.Event):
        """``actor`` approved the content with ``content_fingerprint``."""

        content_fingerprint: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.approvals = [
                *aggregate.approvals,
                {
                    "approver": self.actor,
                    "content_fingerprint": self.content_fingerprint,
                    "approved_at": self.timestamp.isoformat(),
                },
            ]

    class PaymentFundsReserved(Aggregate.Event):
        """The pending entry ``entry_id`` reserves the amount on the paying account."""

        entry_id: str
        amount_minor: int
        asset: str
        paying_account: str
        clearing_account: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = FUNDS_RESERVED
            aggregate.entry_id = self.entry_id

    class PaymentSubmitted(Aggregate.Event):
        bank_reference: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = SUBMITTED
            aggregate.bank_reference = self.bank_reference

    class PaymentSettled(Aggregate.Event):
        """The bank paid: the reservation entry ``entry_id`` is posted. ``cash``,
        ``payee_subject_id`` and ``business_date`` feed the cash reports."""

        entry_id: str
        amount_minor: int
        asset: str
        cash: bool
        payee_subject_id: str
        business_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = SETTLED

    class PaymentFailed(Aggregate.Event):
        """The bank did not pay: the reservation entry ``entry_id`` is voided."""

        entry_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = FAILED
            aggregate.closing_reason = self.reason

    class PaymentReturned(Aggregate.Event):
        """The money came back after settlement: ``reversal_entry_id`` reverses it."""

        reversal_entry_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RETURNED
            aggregate.reversal_entry_id = self.reversal_entry_id
            aggregate.closing_reason = self.reason

    class PaymentCancelled(Aggregate.Event):
        """Cancelled before submission; ``voided_entry_id``: the reservation released ("" if none)."""

        voided_entry_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = CANCELLED
            aggregate.closing_reason = self.reason

    def __init__(  # the PaymentRequested fields; only assigns
        self,
        payee_subject_id: str,
        payee_account: dict[str, Any] | None,
        account_scheme: str,
        account_country: str,
        amount_minor: int,
        asset: str,
        value_date: str,
        business_date: str,
        purpose: str,
        method: str,
        cash: bool,
        paying_account: str,
        clearing_account: str,
        content_fingerprint: str,
        approvals_required: int,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.payee_subject_id = payee_subject_id
        self.payee_account = payee_account
        self.account_scheme = account_scheme
        self.account_country = account_country
        self.amount_minor = amount_minor
        self.asset = asset
        self.value_date = value_date
        self.business_date = business_date
        self.purpose = purpose
        self.method = method
        self.cash = cash
        self.paying_account = paying_account
        self.clearing_account = clearing_account
        self.content_fingerprint = content_fingerprint
        self.approvals_required = approvals_required
        self.requested_by = actor
        self.authors = [actor]  # requester and amenders: none of them approves
        self.approvals: list[dict[str, str]] = []
        self.amendments = 0
        self.status = REQUESTED
        self.screening_result: str | None = None
        self.screening_case_id: str | None = None
        self.compliance_decision: str | None = None
        self.entry_id: str | None = None
        self.bank_reference: str | None = None
        self.reversal_entry_id: str | None = None
        self.closing_reason: str | None = None

    @classmethod
    def requested(
        cls,
        *,
        id: UUID,
        payee_subject_id: str,
        payee_account: dict[str, Any] | None,
        account_scheme: str,
        account_country: str,
        amount_minor: int,
        asset: str,
        value_date: str,
        business_date: str,
        purpose: str,
        method: str,
        cash: bool,
        paying_account: str,
        clearing_account: str,
        content_fingerprint: str,
        approvals_required: int,
        actor: str,
        correlation_id: str,
    ) -> Payment:
        """A newly requested payment."""
        return cls._create(
            cls.PaymentRequested,
            id=id,
            payee_subject_id=payee_subject_id,
            payee_account=payee_account,
            account_scheme=account_scheme,
            account_country=account_country,
            amount_minor=amount_minor,
            asset=asset,
            value_date=value_date,
            business_date=business_date,
            purpose=purpose,
            method=method,
            cash=cash,
            paying_account=paying_account,
            clearing_account=clearing_account,
            content_fingerprint=content_fingerprint,
            approvals_required=approvals_required,
            actor=actor,
            correlation_id=correlation_id,
        )

    def current_approvers(self) -> list[str]:
        """Approvers of the content as it is now (an amendment voids earlier ones)."""
        return [
            approval["approver"]
            for approval in self.approvals
            if approval["content_fingerprint"] == self.content_fingerprint
        ]

    def as_dict(self) -> dict[str, Any]:
        """The payment without personal data (the payee is a subject id; the
        account identifier stays sealed)."""
        return {
            "id": str(self.id),
            "status": self.status,
            "payee_subject_id": self.payee_subject_id,
            "account_scheme": self.account_scheme or None,
            "account_country": self.account_country or None,
            "amount_minor": self.amount_minor,
            "asset": self.asset,
            "value_date": self.value_date,
            "business_date": self.business_date,
            "purpose": self.purpose,
            "method": self.method,
            "cash": self.cash,
            "paying_account": self.paying_account,
            "clearing_account": self.clearing_account,
            "content_fingerprint": self.content_fingerprint,
            "approvals_required": self.approvals_required,
            "approvals": [dict(approval) for approval in self.approvals],
            "approved_by": self.current_approvers(),
            "requested_by": self.requested_by,
            "amendments": self.amendments,
            "screening_result": self.screening_result,
            "screening_case_id": self.screening_case_id,
            "compliance_decision": self.compliance_decision,
            "entry_id": self.entry_id,
            "bank_reference": self.bank_reference,
            "reversal_entry_id": self.reversal_entry_id,
            "closing_reason": self.closing_reason,
            "created_at": self.created_on.isoformat(),
            "updated_at": self.modified_on.isoformat(),
            "version": self.version,
        }


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.payments", Payment)
