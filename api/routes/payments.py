"""/v1 payments.

Permissions (``api.auth.PERMISSIONS``, looked up when a request arrives):

- ``payments:request`` (poster): request, amend, screen again;
- ``payments:approve`` (approver): approve; the admin role never approves,
  and the domain refuses the requester, an amender and a repeat approver;
- ``payments:operate`` (poster, approver): submit, settle, fail, return;
- ``payments:cancel`` (poster, approver); ``payments:read`` (every role).

Every POST is idempotent (``api.write``). Requesting a payment commits it
with the request's idempotency record; the payee is screened right after,
in its own commits (the sanctions module records its case), and the
response answers the status after both: ``awaiting_approval`` (clear) or
``held`` for compliance (a replay answers the status as it is then). A
screening that could not run (no sanctions list loaded) leaves the payment
``requested``, and the response says so; ``POST /v1/payments/{id}/screen``
runs it again. A compliance decision on the case (``/v1/sanctions/cases``)
moves a held payment in the decision's commit: cleared -> ``awaiting_approval``,
rejected -> ``rejected`` (terminal). Personal data never enters a
response or an idempotency record: the payee is a subject id, its values
are fingerprinted as keyed digests. Receipts: ``api.routes.receipts``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel
from starlette.responses import Response

from api.dependencies import PaymentsDep
from api.permissions import (
    PaymentsApprove,
    PaymentsCancel,
    PaymentsOperate,
    PaymentsReader,
    PaymentsRequest,
)
from api.routing import area_router
from api.schemas.common import ReasonIn
from api.schemas.payments import (
    AccountIdentifierIn,
    AmendIn,
    ApproveIn,
    PaymentIn,
    PaymentList,
    PaymentOut,
    PaymentStatus,
    PaymentWritten,
    ReturnIn,
    ScreenWritten,
    SubmitIn,
)
from api.state import json_response
from api.write import Command, Write, restated, screen_after
from domain.payments.statuses import AWAITING_APPROVAL, FUNDS_RESERVED, REQUESTED
from domain.payments.terms import payment_id_for
from domain.subjects.parties import blinded_party
from domain.subjects.service import SubjectRegistry

router = area_router(tags=["payments"])


def blinded_account(
    registry: SubjectRegistry, subject_id: UUID | None, account: AccountIdentifierIn | None
) -> dict[str, Any] | None:
    """The account as fingerprinted: keyed digests under the subject's key."""
    if account is None or subject_id is None:
        return None if account is None else account.given()
    return registry.blinded_fields(account.given(), subject_id)


@router.post("/payments", status_code=201, response_model=PaymentWritten)
def request_payment(body: PaymentIn, write: PaymentsRequest, desk: PaymentsDep) -> Response:
    """Request a payment; the payee is screened right after (see the module notes).
    A retry under the same Idempotency-Key also retries an unfinished screening."""
    payment_id = payment_id_for(write.principal.actor, write.key)
    payee = None if body.payee is None else body.payee.given()
    subject_id, blinded_payee = blinded_party(
        desk.registry,
        kind="payee",
        subject_id=body.payee_subject_id,
        inline=payee,
        item_kind="payment",
        item_id=payment_id,
    )
    fingerprinted = {
        **body.model_dump(mode="json", exclude={"payee", "payee_account"}),
        "payee": blinded_payee,
        "payee_account": blinded_account(desk.registry, subject_id, body.payee_account),
    }
    response = write.run(
        lambda context: desk.request(
            context,
            payment_id=payment_id,
            payee_subject_id=body.payee_subject_id,
            payee=payee,
            payee_account=None if body.payee_account is None else body.payee_account.given(),
            amount=body.amount,
            asset=body.asset,
            value_date=body.value_date,
            purpose=body.purpose,
            paying_account=body.paying_account,
            method=body.method,
            clearing_account=body.clearing_account,
        ),
        body=fingerprinted,
        answer={"id": str(payment_id), "status": REQUESTED},
        status=201,
    )
    if desk.get(payment_id).status == REQUESTED:
        screen_after(desk.screen, write.context, payment_id)
    return restated(response, status=desk.get(payment_id).status)


@router.get("/payments", response_model=PaymentList)
def list_payments(
    principal: PaymentsReader,
    desk: PaymentsDep,
    status: Annotated[PaymentStatus | None, Query()] = None,
) -> Response:
    views = [desk.view(payment) for payment in desk.list_payments(status)]
    return json_response(200, {"payments": views})


@router.get("/payments/{payment_id}", response_model=PaymentOut)
def get_payment(payment_id: UUID, principal: PaymentsReader, desk: PaymentsDep) -> Response:
    return json_response(200, desk.view(desk.get(payment_id)))


def _step(
    write: Write, payment_id: UUID, body: BaseModel | None, status: str, command: Command
) -> Response:
    """A step of a payment: its answer is the payment's id and new status."""
    return write.run(
        command,
        body={} if body is None else body,
        answer={"id": str(payment_id), "status": status},
    )


@router.post("/payments/{payment_id}/screen", response_model=ScreenWritten)
def screen_payment(payment_id: UUID, write: PaymentsRequest, desk: PaymentsDep) -> Response:
    """Screen a payment left ``requested`` (its screening could not run); read the
    payment for the outcome (``held`` or ``awaiting_approval``)."""
    return write.run(
        lambda context: desk.screen(context, payment_id),
        body={},
        answer={"id": str(payment_id), "screened": True},
    )


@router.post("/payments/{payment_id}/amend", response_model=PaymentWritten)
def amend_payment(
    payment_id: UUID, body: AmendIn, write: PaymentsRequest, desk: PaymentsDep
) -> Response:
    """Change amount, value date, purpose or payee account before approval is
    complete: every approval given so far is void."""
    payment = desk.get(payment_id)
    fingerprinted = {
        **body.model_dump(mode="json", exclude={"payee_account"}),
        "payee_account": blinded_account(
            desk.registry, UUID(payment.payee_subject_id), body.payee_account
        ),
    }
    return write.run(
        lambda context: desk.amend(
            context,
            payment_id,
            amount=body.amount,
            value_date=body.value_date,
            purpose=body.purpose,
            payee_account=None if body.payee_account is None else body.payee_account.given(),
        ),
        body=fingerprinted,
        answer={"id": str(payment_id), "status": payment.status},
    )


@router.post("/payments/{payment_id}/approve", response_model=PaymentWritten)
def approve_payment(
    payment_id: UUID, write: PaymentsApprove, desk: PaymentsDep, body: ApproveIn | None = None
) -> Response:
    """Approve the payment as it is now. The last approval needed reserves the
    funds on the paying account (``funds_reserved``); without the funds it is
    refused (409 ``insufficient_funds``) and nothing is written."""
    payment = desk.get(payment_id)
    last = len(payment.current_approvers()) + 1 >= payment.approvals_required
    fingerprint = None if body is None else body.content_fingerprint
    return _step(
        write,
        payment_id,
        body,
        FUNDS_RESERVED if last else AWAITING_APPROVAL,
        lambda context: desk.approve(context, payment_id, fingerprint),
    )


@router.post("/payments/{payment_id}/submit", response_model=PaymentWritten)
def submit_payment(
    payment_id: UUID, body: SubmitIn, write: PaymentsOperate, desk: PaymentsDep
) -> Response:
    """Record that the payment was handed to the bank under ``bank_reference``."""
    return _step(
        write,
        payment_id,
        body,
        "submitted",
        lambda context: desk.submit(context, payment_id, body.bank_reference),
    )


@router.post("/payments/{payment_id}/settle", response_model=PaymentWritten)
def settle_payment(payment_id: UUID, write: PaymentsOperate, desk: PaymentsDep) -> Response:
    """The bank paid: the reservation entry is posted, in one commit with the settlement."""
    return _step(
        write, payment_id, None, "settled", lambda context: desk.settle(context, payment_id)
    )


@router.post("/payments/{payment_id}/fail", response_model=PaymentWritten)
def fail_payment(
    payment_id: UUID, body: ReasonIn, write: PaymentsOperate, desk: PaymentsDep
) -> Response:
    """The bank did not pay: the reservation is voided."""
    return _step(
        write,
        payment_id,
        body,
        "failed",
        lambda context: desk.fail(context, payment_id, body.reason),
    )


@router.post("/payments/{payment_id}/return", response_model=PaymentWritten)
def return_payment(
    payment_id: UUID, body: ReturnIn, write: PaymentsOperate, desk: PaymentsDep
) -> Response:
    """The money came back after settlement: the entry is reversed."""
    return _step(
        write,
        payment_id,
        body,
        "returned",
        lambda context: desk.return_payment(context, payment_id, body.reason, body.effective_date),
    )


@router.post("/payments/{payment_id}/cancel", response_model=PaymentWritten)
def cancel_payment(
    payment_id: UUID, body: ReasonIn, write: PaymentsCancel, desk: PaymentsDep
) -> Response:
    """Cancel before submission (a reservation is voided)."""
    return _step(
        write,
        payment_id,
        body,
        "cancelled",
        lambda context: desk.cancel(context, payment_id, body.reason),
    )
