"""Billing bodies: parties, invoices and credit notes, supplier bills, allocations.

Amounts in requests are decimal strings in the document's currency; amounts in
answers are minor units (``*_minor``) as the documents keep them. A party's
personal details are sealed on its data subject and never come back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictStr

from api.schemas.common import AccountCode, Amount, AssetCode, IsoDate, Reason, Request, Written
from api.schemas.payments import AccountIdentifierIn
from api.schemas.subjects import PartyIn
from domain.billing.party import PAYMENT_TERMS_DAYS_MAX
from domain.billing.purchasing import SUPPLIER_NUMBER_LENGTH_MAX
from domain.kernel import limits

PartyRole = Literal["customer", "supplier"]
TaxStatus = Literal["registered", "unregistered", "exempt"]
InvoiceStatus = Literal["draft", "issued", "partially_paid", "paid", "credited", "written_off"]
BillStatus = Literal["received", "posted", "partially_paid", "paid"]
Side = Literal["receivable", "payable"]
Text = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Quantity = Annotated[StrictStr, Field(min_length=1, max_length=40, examples=["1"])]
TaxCode = Annotated[StrictStr, Field(min_length=1, max_length=32, examples=["VAT-STD"])]
Reference = Annotated[StrictStr, Field(max_length=limits.REFERENCE_LENGTH_MAX)]


# --- requests -----------------------------------------------------------------


class BillingPartyDetailsIn(PartyIn):
    """The party's personal or company details, sealed on a new data subject;
    ``reference`` (the customer or vendor number) is required here."""


class BillingPartyIn(Request):
    roles: Annotated[list[PartyRole], Field(min_length=1, max_length=2)]
    currency: AssetCode
    payment_terms_days: Annotated[int, Field(ge=0, le=PAYMENT_TERMS_DAYS_MAX)] = 30
    tax_status: TaxStatus = "registered"
    subject_id: UUID | None = None
    details: BillingPartyDetailsIn | None = None


class PartyChangeIn(Request):
    payment_terms_days: Annotated[int, Field(ge=0, le=PAYMENT_TERMS_DAYS_MAX)] | None = None
    currency: AssetCode | None = None
    tax_status: TaxStatus | None = None
    add_role: PartyRole | None = None


class InvoiceLineIn(Request):
    description: Text
    quantity: Quantity
    unit_price: Amount
    tax_code: TaxCode
    income_account: AccountCode


class InvoiceIn(Request):
    party_id: UUID
    lines: Annotated[list[InvoiceLineIn], Field(min_length=1, max_length=200)]
    currency: AssetCode | None = None
    reference: Reference = ""


class IssueIn(Request):
    issue_date: IsoDate


class CreditNoteIn(Request):
    issue_date: IsoDate
    reason: Reason
    lines: Annotated[list[InvoiceLineIn], Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="the lines credited; none: the whole invoice"
    )


class WriteOffIn(Request):
    effective_date: IsoDate
    reason: Reason


class BillLineIn(Request):
    description: Text
    quantity: Quantity
    unit_price: Amount
    tax_code: TaxCode
    account: AccountCode


class BillIn(Request):
    party_id: UUID
    supplier_number: Annotated[
        StrictStr, Field(min_length=1, max_length=SUPPLIER_NUMBER_LENGTH_MAX)
    ]
    bill_date: IsoDate
    lines: Annotated[list[BillLineIn], Field(min_length=1, max_length=200)]
    currency: AssetCode | None = None
    due_date: IsoDate | None = None


class BillPaymentIn(Request):
    paying_account: AccountCode
    value_date: IsoDate
    method: Literal["transfer", "ach", "wire", "cheque"] = "transfer"
    payee_account: AccountIdentifierIn | None = Field(
        default=None, description="the supplier's bank account (a transfer needs one)"
    )


class AllocationIn(Request):
    document_id: UUID = Field(description="the invoice (receipts) or bill (payments)")
    amount: Amount


class ApplyIn(Request):
    allocations: Annotated[list[AllocationIn], Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="by hand; none: by reference, then the oldest due first"
    )


class RefundIn(Request):
    payment_id: UUID = Field(description="a settled payment to the customer through receivables")


# --- answers ------------------------------------------------------------------


class PartyWritten(Written):
    id: str
    subject_id: str | None = None


class DocumentWritten(Written):
    id: str
    status: str


class CreditNoteWritten(Written):
    id: str
    invoice_id: str


class BillPaymentWritten(Written):
    id: str
    bill_id: str
    status: str


class RemittanceWritten(Written):
    id: str
    source_id: str


class PartyOut(BaseModel):
    id: str
    subject_id: str
    roles: list[str]
    currency: str
    payment_terms_days: int
    tax_status: str
    opened_by: str
    version: int


class InvoiceOut(BaseModel):
    id: str
    status: InvoiceStatus
    party_id: str
    currency: str
    reference: str
    lines: list[dict[str, Any]]
    number: str | None
    issue_date: str | None
    due_date: str | None
    net_total_minor: int
    tax_total_minor: int
    gross_total_minor: int
    tax_totals: list[dict[str, Any]]
    allocated_minor: int
    credited_minor: int
    written_off_minor: int
    open_amount_minor: int
    entry_id: str | None
    credit_notes: list[Any]
    write_off_entry_id: str | None
    version: int


class InvoiceList(BaseModel):
    invoices: list[InvoiceOut]


class CreditNoteOut(BaseModel):
    id: str
    invoice_id: str
    number: str
    model_config = {"extra": "allow"}


class BillOut(BaseModel):
    id: str
    status: BillStatus
    party_id: str
    supplier_number: str
    bill_date: str
    due_date: str
    currency: str
    lines: list[dict[str, Any]]
    net_total_minor: int
    tax_total_minor: int
    gross_total_minor: int
    tax_totals: list[dict[str, Any]]
    approvals_required: int
    approvers: list[str]
    received_by: str
    entry_id: str | None
    allocated_minor: int
    open_amount_minor: int
    version: int


class BillList(BaseModel):
    bills: list[BillOut]


class RemittanceOut(BaseModel):
    id: str
    model_config = {"extra": "allow"}


class OpenItemOut(BaseModel):
    side: Side
    document_id: str
    party_id: str
    currency: str
    number: str
    issue_date: str
    due_date: str
    open_amount_minor: int


class OpenItemList(BaseModel):
    position: int = Field(description="the log position the open items are folded to")
    open_items: list[OpenItemOut]
