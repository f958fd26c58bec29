"""/v1 payments and receipts.

Permissions (``api.auth.PERMISSIONS``, looked up when a request arrives):

- ``payments:request`` (poster): request, amend, screen again;
- ``payments:approve`` (approver): approve; the admin role never approves,
  and the domain refuses the requester, an amender and a repeat approver;
- ``payments:operate`` (poster, approver): submit, settle, fail, return;
- ``payments:cancel`` (poster, approver); ``payments:read`` (every role);
- ``receipts:write`` (poster): record, post; ``receipts:read`` (every role).

Every POST is idempotent (``run_idempotent``). Requesting a payment (or
recording a receipt) commits it with the request's idempotency record; the
payee is screened right after, in its own commits (the sanctions module
records its case), so the response says ``requested`` (``recorded``) and a
read shows the outcome: ``held`` for compliance, or ``awaiting_approval``
(a receipt: ``posted``). A screening that could not run (no sanctions list
loaded) leaves the payment ``requested``; ``POST /v1/payments/{id}/screen``
runs it again. Personal data never enters a response or an idempotency
record: the payee is a subject id, its values are fingerprinted as keyed
digests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StrictStr
from starlette.responses import Response

from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.routes.ledger import READ_RESPONSES, WRITE_EXTRA, WRITE_RESPONSES
from api.routes.subjects import PersonalFieldsIn, subject_registry
from api.state import api_state, context_for, idempotency_key, json_response, run_idempotent
from domain.kernel import limits
from domain.kernel.errors import DomainError
from domain.ledger.commands import Context
from domain.payments.payment import (
    AWAITING_APPROVAL,
    BANK_REFERENCE_LENGTH_MAX,
    FUNDS_RESERVED,
    PURPOSE_LENGTH_MAX,
    REQUESTED,
    payment_id_for,
)
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.receipts.receipt import RECORDED, receipt_id_for
from domain.receipts.service import Receipts
from domain.sanctions.port import ScreeningPort
from domain.subjects.parties import blinded_party
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import REFERENCE_LENGTH_MAX

router = APIRouter(prefix="/v1")
Handler = Callable[..., Response]
PAYMENTS: list[str | Enum] = ["payments"]
RECEIPTS: list[str | Enum] = ["receipts"]

PaymentStatus = Literal[
    "requested",
    "held",
    "awaiting_approval",
    "funds_reserved",
    "submitted",
    "settled",
    "failed",
    "returned",
    "cancelled",
    "rejected",
]
ReceiptStatus = Literal["recorded", "held", "posted", "rejected"]
ShortText = Annotated[StrictStr, Field(min_length=1, max_length=34)]


MAY_REQUEST = authorize("payments:request")
MAY_APPROVE = authorize("payments:approve")
MAY_OPERATE = authorize("payments:operate")
MAY_CANCEL = authorize("payments:cancel")
MAY_READ_PAYMENTS = authorize("payments:read")
MAY_WRITE_RECEIPTS = authorize("receipts:write")
MAY_READ_RECEIPTS = authorize("receipts:read")


# --- bodies -------------------------------------------------------------------


class PartyIn(PersonalFieldsIn):
    """Inline personal details (``name`` is required: it is screened)."""

    reference: Annotated[StrictStr, Field(min_length=1, max_length=REFERENCE_LENGTH_MAX)] | None = (
        Field(default=None, description="your own id for the party; never personal data")
    )

    def given(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class AccountIdentifierIn(models.Request):
    """``iban`` alone, or ``country``, ``bank_code`` (US: ABA routing number) and
    ``account_number``; checked by the domain (mod 97, ABA check digit)."""

    iban: ShortText | None = None
    country: Annotated[StrictStr, Field(min_length=2, max_length=2)] | None = None
    bank_code: ShortText | None = None
    account_number: ShortText | None = None

    def given(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class PaymentIn(models.Request):
    payee_subject_id: UUID | None = None
    payee: PartyIn | None = None
    payee_account: AccountIdentifierIn | None = None
    amount: models.Amount
    asset: models.AssetCode
    value_date: models.IsoDate
    purpose: Annotated[StrictStr, Field(min_length=1, max_length=PURPOSE_LENGTH_MAX)]
    paying_account: models.AccountCode
    method: Literal["transfer", "cash"] = "transfer"
    clearing_account: models.AccountCode | None = None


class AmendIn(models.Request):
    amount: models.Amount | None = None
    value_date: models.IsoDate | None = None
    purpose: Annotated[StrictStr, Field(min_length=1, max_length=PURPOSE_LENGTH_MAX)] | None = None
    payee_account: AccountIdentifierIn | None = None


class ApproveIn(models.Request):
    content_fingerprint: Annotated[StrictStr, Field(min_length=64, max_length=64)] | None = Field(
        default=None, description="the content you reviewed; refused (409) if it changed since"
    )


class SubmitIn(models.Request):
    bank_reference: Annotated[StrictStr, Field(min_length=1, max_length=BANK_REFERENCE_LENGTH_MAX)]


class ReturnIn(models.Request):
    reason: models.Reason
    effective_date: models.IsoDate | None = None


class ReceiptIn(models.Request):
    method: Literal["cash", "wire", "card", "ach", "cheque"]
    payer_subject_id: UUID | None = None
    payer: PartyIn | None = None
    amount: models.Amount
    asset: models.AssetCode
    reference: Annotated[StrictStr, Field(min_length=1, max_length=limits.REFERENCE_LENGTH_MAX)]
    value_date: models.IsoDate
    debit_account: models.AccountCode | None = None
    credit_account: models.AccountCode | None = None


class PaymentWritten(models.Written):
    id: str
    status: PaymentStatus


class ReceiptWritten(models.Written):
    id: str
    status: ReceiptStatus


class PaymentOut(BaseModel):
    id: str
    status: PaymentStatus
    payee_subject_id: str
    account_scheme: str | None
    account_country: str | None
    amount: str
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
    approvals: list[dict[str, str]]
    approved_by: list[str]
    requested_by: str
    amendments: int
    screening_result: str | None
    screening_case_id: str | None
    compliance_decision: str | None
    entry_id: str | None
    bank_reference: str | None
    reversal_entry_id: str | None
    closing_reason: str | None
    created_at: str
    updated_at: str
    version: int


class ReceiptOut(BaseModel):
    id: str
    status: ReceiptStatus
    payer_subject_id: str
    method: str
    cash: bool
    amount: str
    amount_minor: int
    asset: str
    reference: str
    value_date: str
    business_date: str
    debit_account: str
    credit_account: str
    recorded_by: str
    screening_result: str | None
    screening_case_id: str | None
    compliance_decision: str | None
    entry_id: str | None
    created_at: str
    updated_at: str
    version: int


class PaymentList(BaseModel):
    payments: list[PaymentOut]


class ReceiptList(BaseModel):
    receipts: list[ReceiptOut]


class ScreenWritten(models.Written):
    id: str
    screened: bool


# --- wiring -------------------------------------------------------------------


def screening_port(request: Request) -> ScreeningPort:
    """``app.state.screening_port`` if the composition root (or a test) set one,
    else the sanctions module over this process's application."""
    port: ScreeningPort | None = getattr(request.app.state, "screening_port", None)
    if port is None:
        from domain.sanctions.port_adapter import SanctionsScreeningPort
        from domain.sanctions.service import SanctionsScreening

        port = SanctionsScreeningPort(SanctionsScreening(api_state(request).app))
        request.app.state.screening_port = port
    return port


def payment_policy(request: Request) -> PaymentPolicy:
    policy: PaymentPolicy | None = getattr(request.app.state, "payment_policy", None)
    if policy is None:
        from backoffice.payment_settings import load_payment_policy

        policy = request.app.state.payment_policy = load_payment_policy()
    return policy


def payments_desk(request: Request) -> Payments:
    return Payments(
        api_state(request).app,
        subject_registry(request),
        screening_port(request),
        payment_policy(request),
    )


def receipts_desk(request: Request) -> Receipts:
    return Receipts(
        api_state(request).app,
        subject_registry(request),
        screening_port(request),
        payment_policy(request),
    )


def _post(
    path: str, response_model: type[BaseModel], tags: list[str | Enum], status_code: int = 200
) -> Callable[[Handler], Handler]:
    return router.post(
        path,
        status_code=status_code,
        response_model=response_model,
        responses=WRITE_RESPONSES,
        openapi_extra=WRITE_EXTRA,
        tags=tags,
    )


def _blinded_account(
    registry: SubjectRegistry, subject_id: UUID | None, account: AccountIdentifierIn | None
) -> dict[str, Any] | None:
    if account is None or subject_id is None:
        return None if account is None else account.given()
    return registry.blinded_fields(account.given(), subject_id)


def _screen_after(screen: Callable[[Context, UUID], int], context: Context, item_id: UUID) -> None:
    """Screen right after the request; a screening that cannot run now (no list
    loaded, the list changing) leaves the item for ``/screen`` or a retry."""
    with contextlib.suppress(DomainError):
        screen(context, item_id)


# --- payments -----------------------------------------------------------------


@_post("/payments", PaymentWritten, PAYMENTS, 201)
def request_payment(
    request: Request,
    body: PaymentIn,
    principal: Principal = Depends(MAY_REQUEST),
) -> Response:
    """Request a payment; the payee is screened right after (see the module notes).
    A retry under the same Idempotency-Key also retries an unfinished screening."""
    key = idempotency_key(request)
    context = context_for(request, principal)
    desk = payments_desk(request)
    payment_id = payment_id_for(principal.actor, key)
    subject_id, blinded_payee = blinded_party(
        desk.registry,
        kind="payee",
        subject_id=body.payee_subject_id,
        inline=None if body.payee is None else body.payee.given(),
        item_kind="payment",
        item_id=payment_id,
    )
    fingerprinted = {
        **body.model_dump(mode="json", exclude={"payee", "payee_account"}),
        "payee": blinded_payee,
        "payee_account": _blinded_account(desk.registry, subject_id, body.payee_account),
    }
    response = run_idempotent(
        request,
        principal,
        key,
        fingerprinted,
        201,
        {"id": str(payment_id), "status": REQUESTED},
        lambda: desk.request(
            context,
            payment_id=payment_id,
            payee_subject_id=body.payee_subject_id,
            payee=None if body.payee is None else body.payee.given(),
            payee_account=None if body.payee_account is None else body.payee_account.given(),
            amount=body.amount,
            asset=body.asset,
            value_date=body.value_date,
            purpose=body.purpose,
            paying_account=body.paying_account,
            method=body.method,
            clearing_account=body.clearing_account,
        ),
    )
    if desk.get(payment_id).status == REQUESTED:
        _screen_after(desk.screen, context, payment_id)
    return response


@router.get("/payments", response_model=PaymentList, responses=READ_RESPONSES, tags=PAYMENTS)
def list_payments(
    request: Request,
    status: Annotated[PaymentStatus | None, Query()] = None,
    principal: Principal = Depends(MAY_READ_PAYMENTS),
) -> Response:
    desk = payments_desk(request)
    views = [desk.view(payment) for payment in desk.list_payments(status)]
    return json_response(200, {"payments": views})


@router.get(
    "/payments/{payment_id}", response_model=PaymentOut, responses=READ_RESPONSES, tags=PAYMENTS
)
def get_payment(
    request: Request,
    payment_id: UUID,
    principal: Principal = Depends(MAY_READ_PAYMENTS),
) -> Response:
    desk = payments_desk(request)
    return json_response(200, desk.view(desk.get(payment_id)))


def _payment_step(
    request: Request,
    principal: Principal,
    payment_id: UUID,
    body: BaseModel | None,
    status: str,
    effect: Callable[[Payments, Context], int],
    fingerprinted: dict[str, Any] | None = None,
) -> Response:
    key = idempotency_key(request)
    context = context_for(request, principal)
    desk = payments_desk(request)
    payload = (
        fingerprinted
        if fingerprinted is not None
        else ({} if body is None else body.model_dump(mode="json"))
    )
    return run_idempotent(
        request,
        principal,
        key,
        payload,
        200,
        {"id": str(payment_id), "status": status},
        lambda: effect(desk, context),
    )


@_post("/payments/{payment_id}/screen", ScreenWritten, PAYMENTS)
def screen_payment(
    request: Request,
    payment_id: UUID,
    principal: Principal = Depends(MAY_REQUEST),
) -> Response:
    """Screen a payment left ``requested`` (its screening could not run); read the
    payment for the outcome (``held`` or ``awaiting_approval``)."""
    key = idempotency_key(request)
    context = context_for(request, principal)
    desk = payments_desk(request)
    return run_idempotent(
        request,
        principal,
        key,
        {},
        200,
        {"id": str(payment_id), "screened": True},
        lambda: desk.screen(context, payment_id),
    )


@_post("/payments/{payment_id}/amend", PaymentWritten, PAYMENTS)
def amend_payment(
    request: Request,
    payment_id: UUID,
    body: AmendIn,
    principal: Principal = Depends(MAY_REQUEST),
) -> Response:
    """Change amount, value date, purpose or payee account before approval is
    complete: every approval given so far is void."""
    desk = payments_desk(request)
    payment = desk.get(payment_id)
    fingerprinted = {
        **body.model_dump(mode="json", exclude={"payee_account"}),
        "payee_account": _blinded_account(
            desk.registry, UUID(payment.payee_subject_id), body.payee_account
        ),
    }
    return _payment_step(
        request,
        principal,
        payment_id,
        body,
        payment.status,
        lambda desk, context: desk.amend(
            context,
            payment_id,
            amount=body.amount,
            value_date=body.value_date,
            purpose=body.purpose,
            payee_account=None if body.payee_account is None else body.payee_account.given(),
        ),
        fingerprinted,
    )


@_post("/payments/{payment_id}/approve", PaymentWritten, PAYMENTS)
def approve_payment(
    request: Request,
    payment_id: UUID,
    body: ApproveIn | None = None,
    principal: Principal = Depends(MAY_APPROVE),
) -> Response:
    """Approve the payment as it is now. The last approval needed reserves the
    funds on the paying account (``funds_reserved``); without the funds it is
    refused (409 ``insufficient_funds``) and nothing is written."""
    payment = payments_desk(request).get(payment_id)
    last = len(payment.current_approvers()) + 1 >= payment.approvals_required
    fingerprint = None if body is None else body.content_fingerprint
    return _payment_step(
        request,
        principal,
        payment_id,
        body,
        FUNDS_RESERVED if last else AWAITING_APPROVAL,
        lambda desk, context: desk.approve(context, payment_id, fingerprint),
    )


@_post("/payments/{payment_id}/submit", PaymentWritten, PAYMENTS)
def submit_payment(
    request: Request,
    payment_id: UUID,
    body: SubmitIn,
    principal: Principal = Depends(MAY_OPERATE),
) -> Response:
    """Record that the payment was handed to the bank under ``bank_reference``."""
    return _payment_step(
        request,
        principal,
        payment_id,
        body,
        "submitted",
        lambda desk, context: desk.submit(context, payment_id, body.bank_reference),
    )


@_post("/payments/{payment_id}/settle", PaymentWritten, PAYMENTS)
def settle_payment(
    request: Request,
    payment_id: UUID,
    principal: Principal = Depends(MAY_OPERATE),
) -> Response:
    """The bank paid: the reservation entry is posted, in one commit with the settlement."""
    return _payment_step(
        request,
        principal,
        payment_id,
        None,
        "settled",
        lambda desk, context: desk.settle(context, payment_id),
    )


@_post("/payments/{payment_id}/fail", PaymentWritten, PAYMENTS)
def fail_payment(
    request: Request,
    payment_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(MAY_OPERATE),
) -> Response:
    """The bank did not pay: the reservation is voided."""
    return _payment_step(
        request,
        principal,
        payment_id,
        body,
        "failed",
        lambda desk, context: desk.fail(context, payment_id, body.reason),
    )


@_post("/payments/{payment_id}/return", PaymentWritten, PAYMENTS)
def return_payment(
    request: Request,
    payment_id: UUID,
    body: ReturnIn,
    principal: Principal = Depends(MAY_OPERATE),
) -> Response:
    """The money came back after settlement: the entry is reversed."""
    return _payment_step(
        request,
        principal,
        payment_id,
        body,
        "returned",
        lambda desk, context: desk.return_payment(
            context, payment_id, body.reason, body.effective_date
        ),
    )


@_post("/payments/{payment_id}/cancel", PaymentWritten, PAYMENTS)
def cancel_payment(
    request: Request,
    payment_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(MAY_CANCEL),
) -> Response:
    """Cancel before submission (a reservation is voided)."""
    return _payment_step(
        request,
        principal,
        payment_id,
        body,
        "cancelled",
        lambda desk, context: desk.cancel(context, payment_id, body.reason),
    )


# --- receipts -----------------------------------------------------------------


@_post("/receipts", ReceiptWritten, RECEIPTS, 201)
def record_receipt(
    request: Request,
    body: ReceiptIn,
    principal: Principal = Depends(MAY_WRITE_RECEIPTS),
) -> Response:
    """Record a customer payment; the payer is screened right after and, when
    clear, the receipt is posted (debit bank or cash, credit receivables)."""
    key = idempotency_key(request)
    context = context_for(request, principal)
    desk = receipts_desk(request)
    receipt_id = receipt_id_for(principal.actor, key)
    _subject_id, blinded_payer = blinded_party(
        desk.registry,
        kind="customer",
        subject_id=body.payer_subject_id,
        inline=None if body.payer is None else body.payer.given(),
        item_kind="receipt",
        item_id=receipt_id,
    )
    fingerprinted = {**body.model_dump(mode="json", exclude={"payer"}), "payer": blinded_payer}
    response = run_idempotent(
        request,
        principal,
        key,
        fingerprinted,
        201,
        {"id": str(receipt_id), "status": RECORDED},
        lambda: desk.record(
            context,
            receipt_id=receipt_id,
            method=body.method,
            amount=body.amount,
            asset=body.asset,
            reference=body.reference,
            value_date=body.value_date,
            payer_subject_id=body.payer_subject_id,
            payer=None if body.payer is None else body.payer.given(),
            debit_account=body.debit_account,
            credit_account=body.credit_account,
        ),
    )
    if desk.get(receipt_id).status == RECORDED:
        _screen_after(desk.screen, context, receipt_id)
    return response


@router.get("/receipts", response_model=ReceiptList, responses=READ_RESPONSES, tags=RECEIPTS)
def list_receipts(
    request: Request,
    status: Annotated[ReceiptStatus | None, Query()] = None,
    principal: Principal = Depends(MAY_READ_RECEIPTS),
) -> Response:
    desk = receipts_desk(request)
    return json_response(200, {"receipts": [desk.view(r) for r in desk.list_receipts(status)]})


@router.get(
    "/receipts/{receipt_id}", response_model=ReceiptOut, responses=READ_RESPONSES, tags=RECEIPTS
)
def get_receipt(
    request: Request,
    receipt_id: UUID,
    principal: Principal = Depends(MAY_READ_RECEIPTS),
) -> Response:
    desk = receipts_desk(request)
    return json_response(200, desk.view(desk.get(receipt_id)))


@_post("/receipts/{receipt_id}/post", ReceiptWritten, RECEIPTS)
def post_receipt(
    request: Request,
    receipt_id: UUID,
    principal: Principal = Depends(MAY_WRITE_RECEIPTS),
) -> Response:
    """Post a receipt screening held, once compliance has cleared it (else 409)."""
    key = idempotency_key(request)
    context = context_for(request, principal)
    desk = receipts_desk(request)
    return run_idempotent(
        request,
        principal,
        key,
        {},
        200,
        {"id": str(receipt_id), "status": "posted"},
        lambda: desk.post(context, receipt_id),
    )
