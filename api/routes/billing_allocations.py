"""/v1/billing: allocations of receipts and payments to open items, their
undoing, refunds against a credit, remittances and the open items.

The parties, invoices and credit notes are in ``api.routes.billing``, the
supplier bills in ``api.routes.billing_bills``; permissions and the write path
as noted there.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query
from starlette.responses import Response

from api.dependencies import BillingDep, StateDep
from api.permissions import BillingAllocate, BillingReader
from api.routing import area_router
from api.schemas.billing import (
    ApplyIn,
    OpenItemList,
    RefundIn,
    RemittanceOut,
    RemittanceWritten,
    Side,
)
from api.schemas.common import ReasonIn
from api.state import json_response
from domain.billing.allocation import Allocation
from domain.billing.errors import UnknownInvoice
from domain.billing.remittance import PAYABLE, RECEIVABLE, remittance_id_for
from domain.billing.service import Billing
from domain.kernel.money import ISO_CURRENCY_SCALES, parse_amount
from projections.billing.open_items import OpenItems

router = area_router(prefix="/v1/billing", tags=["billing"])


# --- allocations ----------------------------------------------------------------------


def _allocations(billing: Billing, body: ApplyIn | None, side: str) -> list[Allocation] | None:
    """The allocations by hand, their amounts in the documents' currencies."""
    if body is None or body.allocations is None:
        return None
    found = []
    for index, item in enumerate(body.allocations):
        try:
            document = (
                billing.get_invoice(item.document_id)
                if side == RECEIVABLE
                else billing.get_bill(item.document_id)
            )
            scale = ISO_CURRENCY_SCALES[document.currency]
        except UnknownInvoice:
            scale = 2  # the domain names the unknown document
        except Exception:  # an unknown bill: the domain names it too
            scale = 2
        amount = parse_amount(item.amount, scale, field=f"allocations[{index}].amount")
        found.append(Allocation(str(item.document_id), amount))
    return found


@router.post("/allocations/receipts/{receipt_id}", response_model=RemittanceWritten)
def apply_receipt(
    receipt_id: UUID, write: BillingAllocate, billing: BillingDep, body: ApplyIn | None = None
) -> Response:
    """Allocate what is left of a posted receipt to the payer's open invoices (by
    reference, then the oldest due first; or by hand). What is left stays as credit."""
    allocations = _allocations(billing, body, RECEIVABLE)
    return write.run(
        lambda context: billing.apply_receipt(context, receipt_id, allocations),
        body={} if body is None else body,
        answer={"id": str(remittance_id_for(receipt_id)), "source_id": str(receipt_id)},
    )


@router.post("/allocations/payments/{payment_id}", response_model=RemittanceWritten)
def apply_payment(
    payment_id: UUID, write: BillingAllocate, billing: BillingDep, body: ApplyIn | None = None
) -> Response:
    """Allocate what is left of a settled payment to the supplier's posted bills."""
    allocations = _allocations(billing, body, PAYABLE)
    return write.run(
        lambda context: billing.apply_payment(context, payment_id, allocations),
        body={} if body is None else body,
        answer={"id": str(remittance_id_for(payment_id)), "source_id": str(payment_id)},
    )


@router.get("/remittances/{remittance_id}", response_model=RemittanceOut)
def get_remittance(remittance_id: UUID, principal: BillingReader, billing: BillingDep) -> Response:
    return json_response(200, billing.get_remittance(remittance_id).as_dict())


@router.post(
    "/remittances/{remittance_id}/allocations/{allocation_id}/undo",
    response_model=RemittanceWritten,
)
def undo_allocation(
    remittance_id: UUID,
    allocation_id: UUID,
    body: ReasonIn,
    write: BillingAllocate,
    billing: BillingDep,
) -> Response:
    """Undo one allocation: the amounts are open again, the money credit again."""
    remittance = billing.get_remittance(remittance_id)
    return write.run(
        lambda context: billing.undo_allocation(
            context, remittance_id, str(allocation_id), body.reason
        ),
        body=body,
        answer={"id": str(remittance_id), "source_id": remittance.source_id},
    )


@router.post("/remittances/{remittance_id}/refunds", response_model=RemittanceWritten)
def refund_credit(
    remittance_id: UUID, body: RefundIn, write: BillingAllocate, billing: BillingDep
) -> Response:
    """Set a settled refund payment against the credit left on a receipt."""
    remittance = billing.get_remittance(remittance_id)
    return write.run(
        lambda context: billing.refund_credit(context, remittance_id, body.payment_id),
        body=body,
        answer={"id": str(remittance_id), "source_id": remittance.source_id},
    )


# --- open items -----------------------------------------------------------------------


@router.get("/open-items", response_model=OpenItemList)
def open_items(
    principal: BillingReader,
    state: StateDep,
    side: Annotated[Side | None, Query()] = None,
    party_id: Annotated[UUID | None, Query()] = None,
    currency: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """Open invoices and bills with their open amounts, oldest due first, from the
    open-items projection (caught up first), at the position it reflects."""
    projection = state.system.tracked[OpenItems.name]
    assert isinstance(projection, OpenItems)
    position, rows = projection.open_items(
        side=side, party_id=None if party_id is None else str(party_id), currency=currency
    )
    return json_response(200, {"position": position, "open_items": rows})
