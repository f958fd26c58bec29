"""/v1/billing: parties, customer invoices and credit notes, supplier bills,
allocations of receipts and payments, open items.

Permissions (``api.auth.PERMISSIONS``):

- ``billing:write`` (billing): open and change parties; draft, issue, credit
  and write off invoices; receive bills and request their payment;
- ``billing:approve`` (approver): approve a supplier bill (never who received
  it; two distinct approvers above the policy amount, the last one posts it);
- ``billing:allocate`` (billing): apply a receipt or a payment to open items,
  undo an allocation, set a refund against a credit;
- ``billing:read`` (billing, approver, auditor).

Every POST goes through the one write path (``api.write``): idempotent per
(actor, Idempotency-Key), a refusal is a problem and writes nothing. Ids of
new documents are derived from the actor and the key, so a retry names the
same document. A party's personal details are sealed on its data subject; the
idempotency record keeps them as keyed digests only.

The supplier bills are served by ``api.routes.billing_bills``, the allocations,
remittances and open items by ``api.routes.billing_allocations`` (routers are
independent of each other).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid5

from fastapi import Query
from starlette.responses import Response

from api.dependencies import BillingDep
from api.permissions import BillingReader, BillingWrite
from api.routing import area_router
from api.schemas.billing import (
    BillingPartyIn,
    CreditNoteIn,
    CreditNoteOut,
    CreditNoteWritten,
    DocumentWritten,
    InvoiceIn,
    InvoiceList,
    InvoiceOut,
    InvoiceStatus,
    IssueIn,
    PartyChangeIn,
    PartyOut,
    PartyWritten,
    WriteOffIn,
)
from api.state import json_response
from api.write import Write
from domain.billing.party import party_id_for
from domain.subjects.parties import blinded_party

router = area_router(prefix="/v1/billing", tags=["billing"])

_DOCUMENT_NAMESPACE = UUID("9a4c1f0e-5d1b-5e8a-9c43-2f1f8b6a0d11")


def document_id_for(kind: str, write: Write) -> UUID:
    """The id of a document a request creates: from who asked and their key."""
    return uuid5(_DOCUMENT_NAMESPACE, f"{kind}\x00{write.principal.actor}\x00{write.key}")


# --- parties --------------------------------------------------------------------------


@router.post("/parties", status_code=201, response_model=PartyWritten)
def open_party(body: BillingPartyIn, write: BillingWrite, billing: BillingDep) -> Response:
    """Open a customer or supplier over an existing data subject (``subject_id``) or
    over ``details`` sealed as a new one in the same commit."""
    details = None if body.details is None else body.details.given()
    subject_id, blinded = blinded_party(
        billing.registry,
        kind="customer" if "customer" in body.roles else "payee",
        subject_id=body.subject_id,
        inline=details,
        item_kind="billing-party",
        item_id=body.subject_id or UUID(int=0),
    )
    fingerprinted = {**body.model_dump(mode="json", exclude={"details"}), "details": blinded}
    answer: dict[str, Any] = {}
    if subject_id is not None:
        answer = {"id": str(party_id_for(subject_id)), "subject_id": str(subject_id)}
    return write.run(
        lambda context: billing.open_party(
            context,
            roles=list(body.roles),
            currency=body.currency,
            payment_terms_days=body.payment_terms_days,
            tax_status=body.tax_status,
            subject_id=body.subject_id,
            details=details,
        ),
        body=fingerprinted,
        answer=answer,
        status=201,
    )


@router.get("/parties/{party_id}", response_model=PartyOut)
def get_party(party_id: UUID, principal: BillingReader, billing: BillingDep) -> Response:
    return json_response(200, billing.get_party(party_id).as_dict())


@router.post("/parties/{party_id}/changes", response_model=PartyWritten)
def change_party(
    party_id: UUID, body: PartyChangeIn, write: BillingWrite, billing: BillingDep
) -> Response:
    """Change payment terms, currency, tax status or add a role (one event per change)."""
    party = billing.get_party(party_id)
    return write.run(
        lambda context: billing.change_party(
            context,
            party_id,
            payment_terms_days=body.payment_terms_days,
            currency=body.currency,
            tax_status=body.tax_status,
            add_role=body.add_role,
        ),
        body=body,
        answer={"id": str(party_id), "subject_id": party.subject_id},
    )


# --- invoices and credit notes ------------------------------------------------------


@router.post("/invoices", status_code=201, response_model=DocumentWritten)
def draft_invoice(body: InvoiceIn, write: BillingWrite, billing: BillingDep) -> Response:
    """Record a draft invoice; it gets its number and entry when issued."""
    invoice_id = document_id_for("invoice", write)
    return write.run(
        lambda context: billing.draft_invoice(
            context,
            invoice_id=invoice_id,
            party_id=body.party_id,
            lines=[line.model_dump() for line in body.lines],
            currency=body.currency,
            reference=body.reference,
        ),
        body=body,
        answer={"id": str(invoice_id), "status": "draft"},
        status=201,
    )


@router.post("/invoices/{invoice_id}/issue", response_model=DocumentWritten)
def issue_invoice(
    invoice_id: UUID, body: IssueIn, write: BillingWrite, billing: BillingDep
) -> Response:
    """Issue a draft: the next number of its series and year and the entry (debit
    receivables, credit income and output tax) in one commit. Read the invoice for both."""
    return write.run(
        lambda context: billing.issue_invoice(context, invoice_id, issue_date=body.issue_date),
        body=body,
        answer={"id": str(invoice_id), "status": "issued"},
    )


@router.post(
    "/invoices/{invoice_id}/credit-notes", status_code=201, response_model=CreditNoteWritten
)
def credit_invoice(
    invoice_id: UUID, body: CreditNoteIn, write: BillingWrite, billing: BillingDep
) -> Response:
    """Credit an issued invoice, wholly or by the lines given (never beyond its open amount)."""
    credit_note_id = document_id_for("credit-note", write)
    lines = None if body.lines is None else [line.model_dump() for line in body.lines]
    return write.run(
        lambda context: billing.issue_credit_note(
            context,
            credit_note_id=credit_note_id,
            invoice_id=invoice_id,
            issue_date=body.issue_date,
            reason=body.reason,
            lines=lines,
        ),
        body=body,
        answer={"id": str(credit_note_id), "invoice_id": str(invoice_id)},
        status=201,
    )


@router.post("/invoices/{invoice_id}/write-off", response_model=DocumentWritten)
def write_off_invoice(
    invoice_id: UUID, body: WriteOffIn, write: BillingWrite, billing: BillingDep
) -> Response:
    """Write the open amount off as bad debt (its own entry)."""
    return write.run(
        lambda context: billing.write_off(
            context, invoice_id, effective_date=body.effective_date, reason=body.reason
        ),
        body=body,
        answer={"id": str(invoice_id), "status": "written_off"},
    )


@router.get("/invoices", response_model=InvoiceList)
def list_invoices(
    principal: BillingReader,
    billing: BillingDep,
    party_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[InvoiceStatus | None, Query()] = None,
) -> Response:
    invoices = [
        invoice.as_dict()
        for invoice in billing.invoices()
        if (party_id is None or invoice.party_id == str(party_id))
        and (status is None or invoice.status == status)
    ]
    return json_response(200, {"invoices": invoices})


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
def get_invoice(invoice_id: UUID, principal: BillingReader, billing: BillingDep) -> Response:
    return json_response(200, billing.get_invoice(invoice_id).as_dict())


@router.get("/credit-notes/{credit_note_id}", response_model=CreditNoteOut)
def get_credit_note(
    credit_note_id: UUID, principal: BillingReader, billing: BillingDep
) -> Response:
    return json_response(200, billing.get_credit_note(credit_note_id).as_dict())
