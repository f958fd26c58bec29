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
from eventsourcing.persistence import IntegrityError

from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.money import check_asset_code, format_amount, parse_amount
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import Context, PostJournalEntry
from domain.ledger.errors import EntryAlreadyReversed
from domain.ledger.journal import JournalEntry, entry_id_for_key
from domain.ledger.steps import (
    check_available,
    find,
    ids_with_topic,
    resolve_pending,
    save_retrying,
    usable_account,
)
from domain.payments.errors import (
    DuplicateApproval,
    InvalidPaymentTransition,
    PaymentAlreadyRequested,
    PaymentContentChanged,
    PaymentHeldForCompliance,
    SelfApprovalRefused,
    UnknownPayment,
)
from domain.payments.identifiers import check_account_identifier
from domain.payments.payment import (
    AWAITING_APPROVAL,
    BANK_REFERENCE_LENGTH_MAX,
    FUNDS_RESERVED,
    HELD,
    PURPOSE_LENGTH_MAX,
    STATUSES,
    TRANSITIONS,
    Payment,
    check_method,
    content_fingerprint,
    reservation_key,
)
from domain.payments.policy import PaymentPolicy
from domain.sanctions.follow import save_if_changed
from domain.sanctions.port import CLEARED, REJECTED, ScreeningPort, screen_party
from domain.subjects.parties import Party, existing_party, open_value, resolve_party
from domain.subjects.service import SubjectRegistry

ITEM_KIND = "payment"
ACCOUNT_FIELD = "payee_account"
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
        payment = find(app, payment_id)
        if (
            not isinstance(payment, Payment)
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


class Payments:
    """The payment commands over ``app``."""

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

    # --- reading --------------------------------------------------------------

    def get(self, payment_id: UUID) -> Payment:
        found = find(self.app, payment_id)
        if not isinstance(found, Payment):
            raise UnknownPayment(f"payment {payment_id} does not exist", field="payment_id")
        return found

    def list_payments(self, status: str | None = None) -> list[Payment]:
        """Every payment, oldest first, as it stands now; only ``status`` if given."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status: one of {', '.join(STATUSES)}", field="status")
        ids = ids_with_topic(self.app, Payment.PaymentRequested)
        found = self.app.current_aggregates(ids)
        payments = [payment for payment in (found[i] for i in ids) if isinstance(payment, Payment)]
        return [p for p in payments if status is None or p.status == status]

    def view(self, payment: Payment) -> dict[str, Any]:
        """The payment with its amount as a decimal string too; no personal data."""
        scale = self.app.catalog().scale_of(payment.asset)
        return {**payment.as_dict(), "amount": format_amount(payment.amount_minor, scale)}

    def payee_account_of(self, payment: Payment) -> dict[str, str] | None:
        """The opened account identifier (personal data: for callers allowed to
        read it, who record the read); None for cash or after erasure."""
        if payment.payee_account is None:
            return None
        return open_value(
            self.registry, UUID(payment.payee_subject_id), ACCOUNT_FIELD, payment.payee_account
        )

    # --- requesting -----------------------------------------------------------

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
        clearing = usable_account(
            self.app, clearing_account or self.policy.clearing_account, asset, "clearing_account"
        )
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
        payment = Payment._create(
            Payment.PaymentRequested,
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
            approvals_required=self.policy.approvals_required(amount_minor, asset, catalog),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        new = [] if party.new_subject is None else [party.new_subject]
        with self.app.write_lock:
            if find(self.app, payment_id) is not None:
                raise PaymentAlreadyRequested(
                    f"payment {payment_id} was already requested", field="payment_id"
                )
            try:
                recordings = self.app.save(*new, payment)
            except IntegrityError:
                raise PaymentAlreadyRequested(
                    f"payment {payment_id} was already requested", field="payment_id"
                ) from None
        return int(recordings[-1].notification.id)

    def _account(
        self, party: Party, method: str, raw: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, str, str, str | None]:
        """(sealed envelope, scheme, country, blinded digest) of the payee account."""
        if method == "cash":
            if raw is not None:
                raise InvalidInput(
                    f"{ACCOUNT_FIELD}: a cash payment has no payee account", field=ACCOUNT_FIELD
                )
            return None, "", "", None
        if raw is None:
            raise InvalidInput(
                f"{ACCOUNT_FIELD}: required for a transfer (iban, or country, bank_code and"
                " account_number)",
                field=ACCOUNT_FIELD,
            )
        identifier = check_account_identifier(raw, ACCOUNT_FIELD)
        canonical = identifier.canonical()
        return (
            party.seal_value(ACCOUNT_FIELD, canonical),
            identifier.scheme,
            identifier.country,
            party.blind_value(ACCOUNT_FIELD, canonical),
        )

    # --- screening and compliance --------------------------------------------

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
            self.screening.clear(context, case_id, reason)
        else:
            self.screening.reject(context, case_id, reason)
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

    def _release_or_reject(self, context: Context, payment: Payment, *, reject: bool) -> bool:
        """Trigger the release (or, with ``reject``, the rejection) that compliance
        decided; False while the case is pending."""
        decision = self.screening.decision(ITEM_KIND, str(payment.id))
        common = {
            "case_id": payment.screening_case_id or "",
            "actor": context.actor,
            "correlation_id": context.correlation_id,
        }
        if decision == CLEARED:
            payment.trigger_event(Payment.PaymentReleased, **common)
            return True
        if decision == REJECTED and reject:
            payment.trigger_event(Payment.PaymentRejected, **common)
            return True
        return False

    # --- amending and approving ----------------------------------------------

    def amend(
        self,
        context: Context,
        payment_id: UUID,
        *,
        amount: str | None = None,
        value_date: str | None = None,
        purpose: str | None = None,
        payee_account: dict[str, Any] | None = None,
    ) -> int:
        """Change the content before approval is complete: every approval given
        so far is void, and the amender may not approve it either."""
        context.checked()
        if amount is None and value_date is None and purpose is None and payee_account is None:
            raise InvalidInput(
                "amend: give at least one of amount, value_date, purpose, payee_account",
                field="amount",
            )

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, "amend")
            catalog = self.app.catalog()
            new_amount = (
                payment.amount_minor
                if amount is None
                else parse_amount(amount, catalog.scale_of(payment.asset), field="amount")
            )
            new_date = (
                payment.value_date
                if value_date is None
                else limits.effective_date(value_date, "value_date")
            )
            new_purpose = (
                payment.purpose
                if purpose is None
                else limits.bounded_text(purpose, "purpose", PURPOSE_LENGTH_MAX)
            )
            if new_amount > payment.amount_minor:
                paying = usable_account(
                    self.app, payment.paying_account, payment.asset, "paying_account"
                )
                check_available(paying, payment.asset, new_amount, "amount")
            party = existing_party(
                self.registry, UUID(payment.payee_subject_id), field="payee_subject_id"
            )
            if payee_account is None:
                sealed = payment.payee_account
                scheme, country = payment.account_scheme, payment.account_country
                opened = self.payee_account_of(payment)
                blinded = None if opened is None else party.blind_value(ACCOUNT_FIELD, opened)
            else:
                sealed, scheme, country, blinded = self._account(
                    party, payment.method, payee_account
                )
            fingerprint = content_fingerprint(
                {
                    "payee_subject_id": payment.payee_subject_id,
                    "payee_account": blinded,
                    "method": payment.method,
                    "amount_minor": new_amount,
                    "asset": payment.asset,
                    "value_date": new_date,
                    "purpose": new_purpose,
                    "paying_account": payment.paying_account,
                    "clearing_account": payment.clearing_account,
                }
            )
            if fingerprint == payment.content_fingerprint:
                raise InvalidInput("amend: the amendment changes nothing", field="amount")
            payment.trigger_event(
                Payment.PaymentAmended,
                payee_account=sealed,
                account_scheme=scheme,
                account_country=country,
                amount_minor=new_amount,
                value_date=new_date,
                business_date=new_date,
                purpose=new_purpose,
                content_fingerprint=fingerprint,
                approvals_required=self.policy.approvals_required(
                    new_amount, payment.asset, catalog
                ),
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [payment]

        return save_retrying(self.app, attempt)

    def approve(
        self, context: Context, payment_id: UUID, expected_fingerprint: str | None = None
    ) -> int:
        """Approve the payment's content as it is (``expected_fingerprint``: the
        content the approver saw). The last approval needed reserves the funds
        in the same commit; if they are not available, the approval is refused."""
        context.checked()

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            if payment.status == HELD and not self._release_or_reject(
                context, payment, reject=False
            ):
                raise PaymentHeldForCompliance(
                    f"payment {payment_id} is held for compliance (screening case"
                    f" {payment.screening_case_id}); it cannot be approved until cleared",
                    field="payment_id",
                )
            self._check_step(payment, "approve")
            if context.actor in payment.authors:
                raise SelfApprovalRefused(
                    f"payment {payment_id} was requested or amended by {context.actor}:"
                    " someone else approves it",
                    field="payment_id",
                )
            if context.actor in payment.current_approvers():
                raise DuplicateApproval(
                    f"{context.actor} has already approved payment {payment_id}; a second"
                    " approval comes from another approver",
                    field="payment_id",
                )
            if expected_fingerprint is not None and (
                expected_fingerprint != payment.content_fingerprint
            ):
                raise PaymentContentChanged(
                    f"payment {payment_id} changed since you saw it (content fingerprint"
                    f" {payment.content_fingerprint}); review it again",
                    field="content_fingerprint",
                )
            payment.trigger_event(
                Payment.PaymentApproved,
                content_fingerprint=payment.content_fingerprint,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            if len(payment.current_approvers()) < payment.approvals_required:
                return [payment]
            return [*self._reserve(context, payment), payment]

        return save_retrying(self.app, attempt)

    def _reserve(self, context: Context, payment: Payment) -> list[Aggregate]:
        """Stage the pending entry (clearing debit, paying account credit) and
        ``PaymentFundsReserved``; the guarded paying account refuses an overdraft."""
        scale = self.app.catalog().scale_of(payment.asset)
        amount = format_amount(payment.amount_minor, scale)
        command = PostJournalEntry(
            context=context,
            idempotency_key=reservation_key(payment.id),
            effective_date=payment.value_date,
            postings=[
                {
                    "account": payment.clearing_account,
                    "direction": "debit",
                    "amount": amount,
                    "asset": payment.asset,
                },
                {
                    "account": payment.paying_account,
                    "direction": "credit",
                    "amount": amount,
                    "asset": payment.asset,
                },
            ],
            description=f"Payment {payment.id}",
            reference=f"payment:{payment.id}",
            pending=True,
            metadata={"payment_id": str(payment.id), "cash": str(payment.cash).lower()},
        )
        batch = LedgerBatch(self.app)
        batch.preload([command])
        staged = batch.stage_entry(command)
        assert staged == entry_id_for_key(reservation_key(payment.id)), staged
        payment.trigger_event(
            Payment.PaymentFundsReserved,
            entry_id=str(staged),
            amount_minor=payment.amount_minor,
            asset=payment.asset,
            paying_account=payment.paying_account,
            clearing_account=payment.clearing_account,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return batch.aggregates()

    # --- after approval -------------------------------------------------------

    def submit(self, context: Context, payment_id: UUID, bank_reference: str) -> int:
        """The payment was handed to the bank under ``bank_reference``."""
        context.checked()
        bank_reference = limits.bounded_text(
            bank_reference, "bank_reference", BANK_REFERENCE_LENGTH_MAX
        )

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, "submit")
            payment.trigger_event(
                Payment.PaymentSubmitted,
                bank_reference=bank_reference,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [payment]

        return save_retrying(self.app, attempt)

    def settle(self, context: Context, payment_id: UUID) -> int:
        """The bank paid: the reservation entry is posted with ``PaymentSettled``."""
        context.checked()
        return self._close_with_entry(context, payment_id, "settle", None)

    def fail(self, context: Context, payment_id: UUID, reason: str) -> int:
        """The bank did not pay: the reservation is voided with ``PaymentFailed``."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        return self._close_with_entry(context, payment_id, "fail", reason)

    def cancel(self, context: Context, payment_id: UUID, reason: str) -> int:
        """Cancel before submission, voiding the reservation if there is one."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        return self._close_with_entry(context, payment_id, "cancel", reason)

    def _close_with_entry(
        self, context: Context, payment_id: UUID, step: str, reason: str | None
    ) -> int:
        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, step)
            common = {"actor": context.actor, "correlation_id": context.correlation_id}
            if step == "cancel" and payment.status != FUNDS_RESERVED:
                payment.trigger_event(
                    Payment.PaymentCancelled, voided_entry_id="", reason=reason, **common
                )
                return [payment]
            assert payment.entry_id is not None
            batch = LedgerBatch(self.app)
            entry = resolve_pending(
                batch,
                context,
                UUID(payment.entry_id),
                void_reason=None if step == "settle" else f"payment {step}: {reason}",
            )
            if step == "settle":
                payment.trigger_event(
                    Payment.PaymentSettled,
                    entry_id=payment.entry_id,
                    amount_minor=payment.amount_minor,
                    asset=payment.asset,
                    cash=payment.cash,
                    payee_subject_id=payment.payee_subject_id,
                    business_date=payment.business_date,
                    **common,
                )
            elif step == "fail":
                payment.trigger_event(
                    Payment.PaymentFailed, entry_id=payment.entry_id, reason=reason, **common
                )
            else:
                payment.trigger_event(
                    Payment.PaymentCancelled,
                    voided_entry_id=payment.entry_id,
                    reason=reason,
                    **common,
                )
            return [*batch.aggregates(), entry, payment]

        return save_retrying(self.app, attempt)

    def return_payment(
        self, context: Context, payment_id: UUID, reason: str, effective_date: str | None = None
    ) -> int:
        """The money came back after settlement: the entry is reversed (once)."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, "return")
            assert payment.entry_id is not None
            batch = LedgerBatch(self.app)
            original = batch.entry(UUID(payment.entry_id))
            if original.reversed_by is not None:
                raise EntryAlreadyReversed(
                    f"payment {payment_id}'s entry {original.id} was already reversed by"
                    f" {original.reversed_by} (outside the payment)",
                    field="payment_id",
                )
            reversal = batch.stage_reversal(
                original, context, f"payment returned: {reason}", effective_date
            )
            common = {"actor": context.actor, "correlation_id": context.correlation_id}
            original.trigger_event(
                JournalEntry.JournalEntryReversed,
                reversal_entry_id=str(reversal.id),
                reason=reason,
                **common,
            )
            payment.trigger_event(
                Payment.PaymentReturned,
                reversal_entry_id=str(reversal.id),
                reason=reason,
                **common,
            )
            return [*batch.aggregates(), original, payment]

        return save_retrying(self.app, attempt)

    # --- helpers --------------------------------------------------------------

    @staticmethod
    def _check_step(payment: Payment, step: str) -> None:
        allowed = TRANSITIONS[step]
        if payment.status in allowed:
            return
        if payment.status == HELD and step in ("approve", "submit", "settle"):
            raise PaymentHeldForCompliance(
                f"payment {payment.id} is held for compliance (screening case"
                f" {payment.screening_case_id})",
                field="payment_id",
            )
        raise InvalidPaymentTransition(
            f"payment {payment.id} is {payment.status}: it cannot {step}"
            f" (only from {', '.join(allowed)})",
            field="payment_id",
        )
