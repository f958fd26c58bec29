"""/v1 receipts: customer payments coming in.

Permissions (``api.auth.PERMISSIONS``): ``receipts:write`` (poster) records
and posts; ``receipts:read`` (every role) reads.

Every POST is idempotent (``api.write``). Recording a receipt commits it
with the request's idempotency record; the payer is screened right after,
in its own commits, and the response answers the status after both:
``posted`` (clear) or ``held`` for compliance (``recorded`` only when the
screening could not run). A compliance decision on the case posts (cleared)
or rejects a held receipt in the decision's commit. The payer is a data
subject: no response or idempotency record carries personal data.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query
from starlette.responses import Response

from api.dependencies import ReceiptsDep
from api.permissions import ReceiptsReader, ReceiptsWrite
from api.routing import area_router
from api.schemas.receipts import (
    ReceiptIn,
    ReceiptList,
    ReceiptOut,
    ReceiptStatus,
    ReceiptWritten,
)
from api.state import json_response
from api.write import restated, screen_after
from domain.receipts.receipt import RECORDED, receipt_id_for
from domain.subjects.parties import blinded_party

router = area_router(tags=["receipts"])


@router.post("/receipts", status_code=201, response_model=ReceiptWritten)
def record_receipt(body: ReceiptIn, write: ReceiptsWrite, desk: ReceiptsDep) -> Response:
    """Record a customer payment; the payer is screened right after and, when
    clear, the receipt is posted (debit bank or cash, credit receivables)."""
    receipt_id = receipt_id_for(write.principal.actor, write.key)
    payer = None if body.payer is None else body.payer.given()
    _subject_id, blinded_payer = blinded_party(
        desk.registry,
        kind="customer",
        subject_id=body.payer_subject_id,
        inline=payer,
        item_kind="receipt",
        item_id=receipt_id,
    )
    response = write.run(
        lambda context: desk.record(
            context,
            receipt_id=receipt_id,
            method=body.method,
            amount=body.amount,
            asset=body.asset,
            reference=body.reference,
            value_date=body.value_date,
            payer_subject_id=body.payer_subject_id,
            payer=payer,
            debit_account=body.debit_account,
            credit_account=body.credit_account,
        ),
        body={**body.model_dump(mode="json", exclude={"payer"}), "payer": blinded_payer},
        answer={"id": str(receipt_id), "status": RECORDED},
        status=201,
    )
    if desk.get(receipt_id).status == RECORDED:
        screen_after(desk.screen, write.context, receipt_id)
    return restated(response, status=desk.get(receipt_id).status)


@router.get("/receipts", response_model=ReceiptList)
def list_receipts(
    principal: ReceiptsReader,
    desk: ReceiptsDep,
    status: Annotated[ReceiptStatus | None, Query()] = None,
) -> Response:
    return json_response(200, {"receipts": [desk.view(r) for r in desk.list_receipts(status)]})


@router.get("/receipts/{receipt_id}", response_model=ReceiptOut)
def get_receipt(receipt_id: UUID, principal: ReceiptsReader, desk: ReceiptsDep) -> Response:
    return json_response(200, desk.view(desk.get(receipt_id)))


@router.post("/receipts/{receipt_id}/post", response_model=ReceiptWritten)
def post_receipt(receipt_id: UUID, write: ReceiptsWrite, desk: ReceiptsDep) -> Response:
    """Post a receipt screening held, once compliance has cleared it (else 409)."""
    return write.run(
        lambda context: desk.post(context, receipt_id),
        body={},
        answer={"id": str(receipt_id), "status": "posted"},
    )
