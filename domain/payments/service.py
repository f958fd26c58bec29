"""Payment commands over the one ``BackOffice`` application (see ``domain.payments.payment``).

``Payments(app, registry, screening, policy)``: ``registry`` seals the payee's
personal data (``SubjectRegistry``), ``screening`` is the sanctions port
(``domain.sanctions.port``), ``policy`` says when two approvers are needed.

Every command decides under the application's write lock and writes one
commit, retried against other processes by the aggregates' versions; a
refusal writes nothing. An API request's idempotency record rides along with
the first commit (``BackOffice.riding``); screening writes its case in its
own commit, so requesting and screening are two commands (``request`` then
``screen``), and a payment whose screening could not run stays ``requested``
until ``screen`` is called again.

Accounts and the clearing flow: the payment is paid from ``paying_account``
(a bank account) through a clearing account (``clearing_account``, default
the policy's ``Assets:Payments:InFlight``; it must exist, or the request is
refused naming it). The last approval reserves the amount (a pending entry:
debit clearing, credit paying), settlement posts it, failure or cancellation
voids it, a return reverses it. A settled payment's amount stays on the
clearing account until the books clear it to what was paid for (an entry
debiting the payable or expense account and crediting the clearing account,
for instance when the bank statement line is reconciled), so the clearing
account's balance is the settled payments not yet cleared.

The payee's bank account is ``payee_account`` when given; otherwise a
transfer takes the payee subject's ``bank_account`` on file (an IBAN), and
refuses clearly when there is none or it is not an IBAN. Either way it is
sealed under the payee's key.

The payee is screened as a data subject (``screen_party``): the screening
case keeps the name sealed under the payee's key, never in the clear.
When a new sanctions list is loaded, the payments still waiting on screening
(``pending_screening_items``: held, or awaiting approval, without a
compliance decision) are screened again, and each follows its new case
(``follow_rescreening``): a hit or review holds it, clear lets it await
approval.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import check_asset_code, parse_amount
from domain.kernel.unit_of_work import (
    find,
    ids_with_topic,
    save_if_changed,
    save_new,
    save_retrying,
)
from domain.ledger.accounts import Account
from domain.ledger.errors import UnknownAccount
from domain.ledger.steps import check_available, usable_account
from domain.payments.approval import PaymentApproval
from domain.payments.closing import PaymentClosing
from domain.payments.errors import PaymentAlreadyRequested, PaymentHeldForCompliance
from domain.payments.payment import Payment
from domain.payments.reads import ACCOUNT_FIELD, ITEM_KIND
from domain.payments.statuses import AWAITING_APPROVAL, HELD
from domain.payments.terms import PURPOSE_LENGTH_MAX, check_method, content_fingerprint
from domain.sanctions.port import CLEARED, REJECTED, screen_party
from domain.subjects.parties import Party, existing_party, resolve_party

__all__ = [
    "ACCOUNT_FIELD",
    "ITEM_KIND",
    "Payments",
    "follow_decision",
    "follow_rescreening",
    "pending_screening_items",
]

RESCREENED_STATUSES = (HELD, AWAITING_APPROVAL)
"""Where a payment still waits on screening's word: not yet approved, not decided."""


def pending_screening_items(app: BackOffice) -> list[tuple[str, str, UUID]]:
    """(``"payment"``, payment id, payee subject id) of every payment a new list
    version re-screens: held or awaiting approval (not all approvals given, so no
    funds reserved), and without a compliance decision. Read from the log by the
    payments' creation topic, in log order: fine at this scale; a projection
    (status -> ids) takes over when it is not."""
    ids = ids_with_topic(app, Payment.PaymentRequested)
    found = app.current_aggregates(ids)
    return [
        (ITEM_KIND, str(payment.id), UUID(payment.payee_subject_id))
        for payment in (found[payment_id] for payment_id in ids)
        if isinstance(payment, Payment)
        and payment.status in RESCREENED_STATUSES
        and payment.compliance_decision is None
    ]


def follow_rescreening(
    app: BackOffice, context: Context, payment_id: UUID, result: str, case_id: UUID
) -> int | None:
    """A pending payment screened again (a new list version): it records its new
    case (``PaymentScreened``), held for a review or hit, awaiting approval when
    clear. None (nothing written) when it already follows that case or is no
    longer pending."""

    def attempt() -> list[Aggregate]:
        payment = find(app, payment_id, Payment)
        if (
            payment is None
            or payment.status not in RESCREENED_STATUSES
            or payment.compliance_decision is not None
            or payment.screening_case_id == str(case_id)
        ):
            return []
        payment.trigger_event(
            Payment.PaymentScreened,
            result=result,
            case_id=str(case_id),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return [payment]

    return save_if_changed(app, attempt)


def follow_decision(
    app: BackOffice, context: Context, payment_id: UUID, decision: str, case_id: UUID
) -> list[Aggregate]:
    """The payment held on ``case_id`` follows compliance's ``decision``, staged for
    the decision's own commit: cleared -> released (awaiting approval, where it
    would be without the hold); rejected -> rejected, terminal. A payment that is
    not held on that case (already moved, or never held) stays as it is. A held
    payment holds no funds (funds are reserved by the last approval), so a
    rejection has no reservation to release."""
    payment = find(app, payment_id, Payment)
    if payment is None or payment.status != HELD or payment.screening_case_id != str(case_id):
        return []
    assert payment.entry_id is None, "a held payment holds no reservation"
    common = {
        "case_id": str(case_id),
        "actor": context.actor,
        "correlation_id": context.correlation_id,
    }
    if decision == CLEARED:
        payment.trigger_event(Payment.PaymentReleased, **common)
    else:
        assert decision == REJECTED, decision
        payment.trigger_event(Payment.PaymentRejected, **common)
    return [payment]


class Payments(PaymentApproval, PaymentClosing):
    """The payment commands over ``app``: requesting and screening here,
    approving (``approval``) and closing (``closing``) beside it."""

    def request(
        self,
        context: Context,
        *,
        payment_id: UUID,
        amount: str,
        asset: str,
        value_date: str,
        purpose: str,
        paying_account: str,
        payee_subject_id: UUID | None = None,
        payee: dict[str, Any] | None = None,
        payee_account: dict[str, Any] | None = None,
        method: str = "transfer",
        clearing_account: str | None = None,
    ) -> int:
        """Record a requested payment (and an inline payee as a new subject) in one
        commit. Returns the log position. Screening is the next command."""
        context.checked()
        method = check_method(method)
        check_asset_code(asset, field="asset")
        catalog = self.app.catalog()
        amount_minor = parse_amount(amount, catalog.scale_of(asset), field="amount")
        value_date = limits.effective_date(value_date, "value_date")
        purpose = limits.bounded_text(purpose, "purpose", PURPOSE_LENGTH_MAX)
        paying = usable_account(self.app, paying_account, asset, "paying_account")
        clearing = self._clearing(clearing_account, asset)
        if clearing.code == paying.code:
            raise InvalidInput(
                "clearing_account: must differ from the paying account", field="clearing_account"
            )
        check_available(paying, asset, amount_minor, "amount")
        party = resolve_party(
            self.registry,
            context,
            kind="payee",
            field="payee",
            subject_id=payee_subject_id,
            inline=payee,
            item_kind=ITEM_KIND,
            item_id=payment_id,
        )
        payment = self._requested(
            context,
            payment_id,
            party,
            paying,
            clearing,
            method,
            payee_account,
            amount_minor=amount_minor,
            asset=asset,
            value_date=value_date,
            purpose=purpose,
        )
        new = [] if party.new_subject is None else [party.new_subject]
        return save_new(
            self.app,
            payment,
            *new,
            exists=lambda: PaymentAlreadyRequested(
                f"payment {payment_id} was already requested", field="payment_id"
            ),
        )

    def _clearing(self, clearing_account: str | None, asset: str) -> Account:
        """The clearing account (given, or the policy's default); a clear refusal
        when it does not exist yet, since a fresh book has none."""
        code = clearing_account or self.policy.clearing_account
        try:
            return usable_account(self.app, code, asset, "clearing_account")
        except UnknownAccount:
            origin = "given" if clearing_account else "the payment policy's default"
            raise UnknownAccount(
                f"clearing_account: {code} ({origin}) does not exist: open it as an asset"
                f" account holding {asset} (it carries payments between approval and"
                " settlement), or give clearing_account",
                field="clearing_account",
            ) from None

    def _requested(
        self,
        context: Context,
        payment_id: UUID,
        party: Party,
        paying: Account,
        clearing: Account,
        method: str,
        payee_account: dict[str, Any] | None,
        *,
        amount_minor: int,
        asset: str,
        value_date: str,
        purpose: str,
    ) -> Payment:
        """The new payment (``PaymentRequested``), its payee account sealed."""
        sealed, scheme, country, blinded = self._account(party, method, payee_account)
        content = {
            "payee_subject_id": str(party.subject_id),
            "payee_account": blinded,
            "method": method,
            "amount_minor": amount_minor,
            "asset": asset,
            "value_date": value_date,
            "purpose": purpose,
            "paying_account": paying.code,
            "clearing_account": clearing.code,
        }
        return Payment.requested(
            id=payment_id,
            payee_subject_id=str(party.subject_id),
            payee_account=sealed,
            account_scheme=scheme,
            account_country=country,
            amount_minor=amount_minor,
            asset=asset,
            value_date=value_date,
            business_date=value_date,
            purpose=purpose,
            method=method,
            cash=method == "cash",
            paying_account=paying.code,
            clearing_account=clearing.code,
            content_fingerprint=content_fingerprint(content),
            approvals_required=self.policy.approvals_required(
                amount_minor, asset, self.app.catalog()
            ),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    def screen(self, context: Context, payment_id: UUID) -> int:
        """Screen the payee: clear -> awaiting approval; review or hit -> held."""
        context.checked()
        payment = self.get(payment_id)
        self._check_step(payment, "screen")
        party = existing_party(
            self.registry, UUID(payment.payee_subject_id), field="payee_subject_id"
        )
        outcome = screen_party(
            self.screening,
            context,
            ITEM_KIND,
            str(payment_id),
            party.name,
            subject_id=party.subject_id,
            subject_key=party.key,
        )

        def attempt() -> list[Aggregate]:
            current = self.get(payment_id)
            self._check_step(current, "screen")
            current.trigger_event(
                Payment.PaymentScreened,
                result=outcome.result,
                case_id=str(outcome.case_id),
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [current]

        return save_retrying(self.app, attempt)

    def decide_screening(
        self, context: Context, payment_id: UUID, *, clear: bool, reason: str
    ) -> int:
        """Compliance clears (or rejects) the held payment's screening case, then the
        payment follows (released for approval, or rejected)."""
        context.checked()
        payment = self.get(payment_id)
        self._check_step(payment, "decide")
        assert payment.screening_case_id is not None
        case_id = UUID(payment.screening_case_id)
        if clear:
            position = self.screening.clear(context, case_id, reason)
        else:
            position = self.screening.reject(context, case_id, reason)
        if self.get(payment_id).status != HELD and isinstance(position, int):
            return position  # the decision moved the payment in its own commit
        return self.apply_screening_decision(context, payment_id)

    def apply_screening_decision(self, context: Context, payment_id: UUID) -> int:
        """Bring a held payment in line with compliance's decision on its case
        (made here or through the sanctions module). Pending: refused."""
        context.checked()

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, "decide")
            if not self._release_or_reject(context, payment, reject=True):
                raise PaymentHeldForCompliance(
                    f"payment {payment_id} is held: screening case {payment.screening_case_id}"
                    " is not decided yet",
                    field="payment_id",
                )
            return [payment]

        return save_retrying(self.app, attempt)
