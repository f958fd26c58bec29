"""Receipt commands over the one ``BackOffice`` application (see ``domain.receipts.receipt``).

``record`` saves the receipt (and an inline payer as a new subject) in one
commit; ``screen`` screens the payer and, when clear, posts the entry in the
same commit as ``ReceiptScreened`` and ``ReceiptPosted``; a held receipt is
posted by ``post`` once compliance has cleared its case.

The payer is screened as a data subject (``screen_party``): the screening
case keeps the name sealed under the payer's key, never in the clear. When a
new sanctions list is loaded, held receipts without a compliance decision
(``pending_screening_items``) are screened again and follow their new case
(``follow_rescreening``); a receipt whose new case is clear stays held until
``post`` (which then finds it cleared). Recorded but unscreened receipts are
not among them: their ``screen`` uses the newest list anyway.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import check_asset_code, format_amount, parse_amount
from domain.kernel.unit_of_work import (
    find,
    ids_with_topic,
    save_if_changed,
    save_new,
    save_retrying,
)
from domain.ledger.accounts import Account
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostJournalEntry
from domain.ledger.steps import usable_account
from domain.payments.policy import PaymentPolicy
from domain.receipts.errors import (
    InvalidReceiptTransition,
    ReceiptAlreadyRecorded,
    ReceiptHeldForCompliance,
    UnknownReceipt,
)
from domain.receipts.receipt import (
    HELD,
    RECORDED,
    STATUSES,
    Receipt,
    check_method,
    receipt_entry_key,
)
from domain.sanctions.port import CLEARED, REJECTED, ScreeningPort, screen_party
from domain.subjects.parties import existing_party, resolve_party
from domain.subjects.service import SubjectRegistry

ITEM_KIND = "receipt"


def pending_screening_items(app: BackOffice) -> list[tuple[str, str, UUID]]:
    """(``"receipt"``, receipt id, payer subject id) of every receipt a new list
    version re-screens: held (not posted) without a compliance decision. Read
    from the log by the receipts' creation topic: fine at this scale; a
    projection (status -> ids) takes over when it is not."""
    ids = ids_with_topic(app, Receipt.ReceiptRecorded)
    found = app.current_aggregates(ids)
    return [
        (ITEM_KIND, str(receipt.id), UUID(receipt.payer_subject_id))
        for receipt in (found[receipt_id] for receipt_id in ids)
        if isinstance(receipt, Receipt)
        and receipt.status == HELD
        and receipt.compliance_decision is None
    ]


def follow_rescreening(
    app: BackOffice, context: Context, receipt_id: UUID, result: str, case_id: UUID
) -> int | None:
    """A held receipt screened again (a new list version) records its new case
    (``ReceiptScreened``); it stays held. None (nothing written) when it already
    follows that case or is no longer pending."""

    def attempt() -> list[Aggregate]:
        receipt = find(app, receipt_id, Receipt)
        if (
            receipt is None
            or receipt.status != HELD
            or receipt.compliance_decision is not None
            or receipt.screening_case_id == str(case_id)
        ):
            return []
        receipt.trigger_event(
            Receipt.ReceiptScreened,
            result=result,
            case_id=str(case_id),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return [receipt]

    return save_if_changed(app, attempt)


def follow_decision(
    app: BackOffice, context: Context, receipt_id: UUID, decision: str, case_id: UUID
) -> list[Aggregate]:
    """The receipt held on ``case_id`` follows compliance's ``decision``, staged for
    the decision's own commit: cleared -> released and posted (where it would be
    without the hold; a posting the ledger refuses refuses the decision too);
    rejected -> rejected, terminal. Otherwise nothing moves."""
    receipt = find(app, receipt_id, Receipt)
    if receipt is None or receipt.status != HELD or receipt.screening_case_id != str(case_id):
        return []
    common = {
        "case_id": str(case_id),
        "actor": context.actor,
        "correlation_id": context.correlation_id,
    }
    if decision == CLEARED:
        receipt.trigger_event(Receipt.ReceiptReleased, **common)
        return [*posted_entry(app, context, receipt), receipt]
    assert decision == REJECTED, decision
    receipt.trigger_event(Receipt.ReceiptRejected, **common)
    return [receipt]


def posted_entry(app: BackOffice, context: Context, receipt: Receipt) -> list[Aggregate]:
    """Stage the receipt's journal entry (debit, credit) and ``ReceiptPosted``."""
    scale = app.catalog().scale_of(receipt.asset)
    amount = format_amount(receipt.amount_minor, scale)
    command = PostJournalEntry(
        context=context,
        idempotency_key=receipt_entry_key(receipt.id),
        effective_date=receipt.value_date,
        postings=[
            {
                "account": receipt.debit_account,
                "direction": "debit",
                "amount": amount,
                "asset": receipt.asset,
            },
            {
                "account": receipt.credit_account,
                "direction": "credit",
                "amount": amount,
                "asset": receipt.asset,
            },
        ],
        description=f"Receipt {receipt.id} ({receipt.method})",
        reference=receipt.reference,
        metadata={"receipt_id": str(receipt.id), "cash": str(receipt.cash).lower()},
    )
    batch = LedgerBatch(app)
    batch.preload([command])
    staged = batch.stage_entry(command)
    assert isinstance(staged, UUID), staged
    receipt.trigger_event(
        Receipt.ReceiptPosted,
        entry_id=str(staged),
        cash=receipt.cash,
        payer_subject_id=receipt.payer_subject_id,
        business_date=receipt.business_date,
        amount_minor=receipt.amount_minor,
        asset=receipt.asset,
        actor=context.actor,
        correlation_id=context.correlation_id,
    )
    return batch.aggregates()


class Receipts:
    """The receipt commands over ``app``."""

    def __init__(
        self,
        app: BackOffice,
        registry: SubjectRegistry,
        screening: ScreeningPort,
        policy: PaymentPolicy | None = None,
    ) -> None:
        self.app = app
        self.registry = registry
        self.screening = screening
        self.policy = policy or PaymentPolicy()

    def get(self, receipt_id: UUID) -> Receipt:
        found = find(self.app, receipt_id, Receipt)
        if found is None:
            raise UnknownReceipt(f"receipt {receipt_id} does not exist", field="receipt_id")
        return found

    def list_receipts(self, status: str | None = None) -> list[Receipt]:
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status: one of {', '.join(STATUSES)}", field="status")
        ids = ids_with_topic(self.app, Receipt.ReceiptRecorded)
        found = self.app.current_aggregates(ids)
        receipts = [r for r in (found[i] for i in ids) if isinstance(r, Receipt)]
        return [r for r in receipts if status is None or r.status == status]

    def view(self, receipt: Receipt) -> dict[str, Any]:
        scale = self.app.catalog().scale_of(receipt.asset)
        return {**receipt.as_dict(), "amount": format_amount(receipt.amount_minor, scale)}

    def record(
        self,
        context: Context,
        *,
        receipt_id: UUID,
        method: str,
        amount: str,
        asset: str,
        reference: str,
        value_date: str,
        payer_subject_id: UUID | None = None,
        payer: dict[str, Any] | None = None,
        debit_account: str | None = None,
        credit_account: str | None = None,
    ) -> int:
        """Record a receipt (not yet posted: ``screen`` is the next command)."""
        context.checked()
        method = check_method(method)
        check_asset_code(asset, field="asset")
        amount_minor = parse_amount(amount, self.app.catalog().scale_of(asset), field="amount")
        reference = limits.bounded_text(reference, "reference", limits.REFERENCE_LENGTH_MAX)
        value_date = limits.effective_date(value_date, "value_date")
        debit, credit = self._accounts(method, asset, debit_account, credit_account)
        party = resolve_party(
            self.registry,
            context,
            kind="customer",
            field="payer",
            subject_id=payer_subject_id,
            inline=payer,
            item_kind=ITEM_KIND,
            item_id=receipt_id,
        )
        receipt = Receipt.recorded(
            id=receipt_id,
            payer_subject_id=str(party.subject_id),
            method=method,
            cash=method == "cash",
            amount_minor=amount_minor,
            asset=asset,
            reference=reference,
            value_date=value_date,
            business_date=value_date,
            debit_account=debit.code,
            credit_account=credit.code,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        new = [] if party.new_subject is None else [party.new_subject]
        return save_new(
            self.app,
            receipt,
            *new,
            exists=lambda: ReceiptAlreadyRecorded(
                f"receipt {receipt_id} was already recorded", field="receipt_id"
            ),
        )

    def _accounts(
        self, method: str, asset: str, debit_account: str | None, credit_account: str | None
    ) -> tuple[Account, Account]:
        """The (debit, credit) accounts of a receipt: the policy's unless given."""
        default_debit = self.policy.cash_account if method == "cash" else self.policy.bank_account
        debit = usable_account(self.app, debit_account or default_debit, asset, "debit_account")
        credit = usable_account(
            self.app, credit_account or self.policy.receivables_account, asset, "credit_account"
        )
        if debit.code == credit.code:
            raise InvalidInput(
                "credit_account: must differ from the debit account", field="credit_account"
            )
        return debit, credit

    def screen(self, context: Context, receipt_id: UUID) -> int:
        """Screen the payer; clear: post in the same commit; review or hit: held."""
        context.checked()
        receipt = self.get(receipt_id)
        self._check_status(receipt, RECORDED, "screen")
        party = existing_party(
            self.registry, UUID(receipt.payer_subject_id), field="payer_subject_id"
        )
        outcome = screen_party(
            self.screening,
            context,
            ITEM_KIND,
            str(receipt_id),
            party.name,
            subject_id=party.subject_id,
            subject_key=party.key,
        )

        def attempt() -> list[Aggregate]:
            current = self.get(receipt_id)
            self._check_status(current, RECORDED, "screen")
            current.trigger_event(
                Receipt.ReceiptScreened,
                result=outcome.result,
                case_id=str(outcome.case_id),
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            if outcome.held:
                return [current]
            return [*self._post_entry(context, current), current]

        return save_retrying(self.app, attempt)

    def post(self, context: Context, receipt_id: UUID) -> int:
        """Post a held receipt once compliance has cleared its screening case."""
        context.checked()

        def attempt() -> list[Aggregate]:
            receipt = self.get(receipt_id)
            self._check_status(receipt, HELD, "post")
            decision = self.screening.decision(ITEM_KIND, str(receipt_id))
            if decision != CLEARED:
                state = "rejected" if decision == REJECTED else "not decided yet"
                raise ReceiptHeldForCompliance(
                    f"receipt {receipt_id} is held: screening case {receipt.screening_case_id}"
                    f" is {state}",
                    field="receipt_id",
                )
            receipt.trigger_event(
                Receipt.ReceiptReleased,
                case_id=receipt.screening_case_id or "",
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [*self._post_entry(context, receipt), receipt]

        return save_retrying(self.app, attempt)

    def decide_screening(
        self, context: Context, receipt_id: UUID, *, clear: bool, reason: str
    ) -> int:
        """Compliance clears (then the receipt is posted) or rejects the held receipt."""
        context.checked()
        receipt = self.get(receipt_id)
        self._check_status(receipt, HELD, "decide")
        assert receipt.screening_case_id is not None
        case_id = UUID(receipt.screening_case_id)
        if clear:
            position = self.screening.clear(context, case_id, reason)
            if self.get(receipt_id).status != HELD and isinstance(position, int):
                return position  # the decision posted the receipt in its own commit
            return self.post(context, receipt_id)
        position = self.screening.reject(context, case_id, reason)
        if self.get(receipt_id).status != HELD and isinstance(position, int):
            return position  # the decision rejected the receipt in its own commit

        def attempt() -> list[Aggregate]:
            current = self.get(receipt_id)
            self._check_status(current, HELD, "reject")
            current.trigger_event(
                Receipt.ReceiptRejected,
                case_id=str(case_id),
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [current]

        return save_retrying(self.app, attempt)

    def _post_entry(self, context: Context, receipt: Receipt) -> list[Aggregate]:
        return posted_entry(self.app, context, receipt)

    @staticmethod
    def _check_status(receipt: Receipt, allowed: str, step: str) -> None:
        if receipt.status == allowed:
            return
        raise InvalidReceiptTransition(
            f"receipt {receipt.id} is {receipt.status}: it cannot {step} (only when {allowed})",
            field="receipt_id",
        )
