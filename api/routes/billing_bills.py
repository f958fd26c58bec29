"""/v1/billing: supplier bills, their approval and the requests to pay them.

The parties, invoices and credit notes are in ``api.routes.billing``, the
allocations, remittances and open items in ``api.routes.billing_allocations``;
permissions and the write path as noted there.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query
from starlette.responses import Response

from api.dependencies import BillingDep
from api.permissions import BillingApprove, BillingReader, BillingWrite
from api.routing import area_router
from api.schemas.billing import (
    BillIn,
    BillList,
    BillOut,
    BillPaymentIn,
    BillPaymentWritten,
    BillStatus,
    DocumentWritten,
)
from api.state import json_response
from api.write import screen_after
from domain.billing.bill import bill_id_for
from domain.payments.statuses import REQUESTED
from domain.payments.terms import payment_id_for

router = area_router(prefix="/v1/billing", tags=["billing"])


# --- supplier bills -------------------------------------------------------------------


@router.post("/bills", status_code=201, response_model=DocumentWritten)
def receive_bill(body: BillIn, write: BillingWrite, billing: BillingDep) -> Response:
    """Record a bill as the supplier sent it; the same supplier number again is a
    409 ``duplicate_supplier_bill``."""
    bill_id = bill_id_for(body.party_id, body.supplier_number)
    return write.run(
        lambda context: billing.receive_bill(
            context,
            party_id=body.party_id,
            supplier_number=body.supplier_number,
            bill_date=body.bill_date,
            lines=[line.model_dump() for line in body.lines],
            currency=body.currency,
            due_date=body.due_date,
        ),
        body=body,
        answer={"id": str(bill_id), "status": "received"},
        status=201,
    )


@router.post("/bills/{bill_id}/approve", response_model=DocumentWritten)
def approve_bill(bill_id: UUID, write: BillingApprove, billing: BillingDep) -> Response:
    """Approve a received bill; the last approval needed posts it to payables."""
    bill = billing.get_bill(bill_id)
    last = len(bill.approvers) + 1 >= bill.approvals_required
    return write.run(
        lambda context: billing.approve_bill(context, bill_id),
        body={},
        answer={"id": str(bill_id), "status": "posted" if last else "received"},
    )


@router.post("/bills/{bill_id}/payments", status_code=201, response_model=BillPaymentWritten)
def pay_bill(
    bill_id: UUID, body: BillPaymentIn, write: BillingWrite, billing: BillingDep
) -> Response:
    """Request the payment of a posted bill's open amount through the payments area
    (screening, approval, settlement are theirs); once settled, apply it with
    ``POST /v1/billing/allocations/payments/{payment_id}``."""
    payment_id = payment_id_for(write.principal.actor, write.key)
    account = None if body.payee_account is None else body.payee_account.given()
    subject_id = UUID(billing.get_bill(bill_id).subject_id)
    fingerprinted = {
        **body.model_dump(mode="json", exclude={"payee_account"}),
        "payee_account": None
        if account is None
        else billing.registry.blinded_fields(account, subject_id),
    }
    response = write.run(
        lambda context: billing.request_bill_payment(
            context,
            bill_id,
            payment_id=payment_id,
            paying_account=body.paying_account,
            value_date=body.value_date,
            method=body.method,
            payee_account=account,
        ),
        body=fingerprinted,
        answer={"id": str(payment_id), "bill_id": str(bill_id), "status": REQUESTED},
        status=201,
    )
    if billing.payments.get(payment_id).status == REQUESTED:
        screen_after(billing.payments.screen, write.context, payment_id)
    return response


@router.get("/bills", response_model=BillList)
def list_bills(
    principal: BillingReader,
    billing: BillingDep,
    party_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[BillStatus | None, Query()] = None,
) -> Response:
    bills = [
        bill.as_dict()
        for bill in billing.bills()
        if (party_id is None or bill.party_id == str(party_id))
        and (status is None or bill.status == status)
    ]
    return json_response(200, {"bills": bills})


@router.get("/bills/{bill_id}", response_model=BillOut)
def get_bill(bill_id: UUID, principal: BillingReader, billing: BillingDep) -> Response:
    return json_response(200, billing.get_bill(bill_id).as_dict())
