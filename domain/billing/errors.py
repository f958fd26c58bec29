"""Billing refusals, each with a stable ``code``.

Input errors are ``InvalidInput`` subclasses and name the offending field
(``lines[3].unit_price``) so a client can point at it. HTTP status is mapped
elsewhere, once, from the code; nothing here knows about HTTP.
"""

from __future__ import annotations

from domain.kernel.errors import DomainError, InvalidInput


class UnknownTaxCode(InvalidInput):
    code = "unknown_tax_code"


class TaxCodeNotInForce(InvalidInput):
    """The date lies before the first version of the tax code."""

    code = "tax_code_not_in_force"


class TaxCodeCurrencyMismatch(InvalidInput):
    """A tax code bound to one currency (Indonesian PPN: IDR) used on another."""

    code = "tax_code_currency_mismatch"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"


class EmptyInvoice(InvalidInput):
    code = "empty_invoice"


class TooManyInvoiceLines(InvalidInput):
    code = "too_many_invoice_lines"


class InvalidInvoiceLine(InvalidInput):
    """A line's description, quantity, unit price or account breaks a rule."""

    code = "invalid_invoice_line"


class InvoiceAmountTooLarge(InvalidInput):
    code = "invoice_amount_too_large"


class InvalidInvoiceNumber(InvalidInput):
    code = "invalid_invoice_number"


class InvoiceSequenceExhausted(InvalidInput):
    """The series has used its last number for the year."""

    code = "invoice_sequence_exhausted"


class InvalidOpenItem(InvalidInput):
    code = "invalid_open_item"


class InvalidReceipt(InvalidInput):
    """The receipt or payment to allocate is malformed (amount, party, reference)."""

    code = "invalid_receipt"


class CrossCurrencyAllocation(InvalidInput):
    """A receipt in one currency offered to an open item in another."""

    code = "cross_currency_allocation"


class OpenItemOfAnotherParty(InvalidInput):
    code = "open_item_of_another_party"


class UnknownOpenItem(InvalidInput):
    code = "unknown_open_item"


class InvalidAllocation(InvalidInput):
    """A manual allocation line is malformed (amount not positive, item listed twice)."""

    code = "invalid_allocation"


class AllocationExceedsOpenAmount(InvalidInput):
    code = "allocation_exceeds_open_amount"


class AllocationExceedsReceipt(InvalidInput):
    code = "allocation_exceeds_receipt"


class InvalidDunningPolicy(InvalidInput):
    code = "invalid_dunning_policy"


# --- refusals of the billing commands (state, not shape) ----------------------


class UnknownParty(DomainError):
    code = "unknown_party"


class PartyAlreadyOpened(DomainError):
    code = "party_already_opened"


class PartyRoleMismatch(DomainError):
    """A supplier named on an invoice, a customer on a bill, or a receipt's payer
    who is not the party it is applied for."""

    code = "party_role_mismatch"


class UnknownInvoice(DomainError):
    code = "unknown_invoice"


class InvoiceAlreadyDrafted(DomainError):
    code = "invoice_already_drafted"


class InvalidInvoiceTransition(DomainError):
    """The invoice's status does not allow the step (revise an issued invoice,
    credit a draft, write off a paid one)."""

    code = "invalid_invoice_transition"


class InvoiceDateOutOfSequence(DomainError):
    """The issue date lies before the date of the series' last number: numbers
    must follow the order of the dates."""

    code = "invoice_date_out_of_sequence"


class CreditExceedsOpenAmount(DomainError):
    code = "credit_exceeds_open_amount"


class CreditNoteAlreadyIssued(DomainError):
    code = "credit_note_already_issued"


class UnknownBill(DomainError):
    code = "unknown_bill"


class DuplicateSupplierBill(DomainError):
    """The supplier's bill number was already received from this supplier."""

    code = "duplicate_supplier_bill"


class InvalidBillTransition(DomainError):
    code = "invalid_bill_transition"


class SettlementNotApplicable(DomainError):
    """The receipt or payment cannot be applied: not posted or settled, or not
    booked against the control account billing keeps."""

    code = "settlement_not_applicable"


class NothingToAllocate(DomainError):
    code = "nothing_to_allocate"


class UnknownRemittance(DomainError):
    code = "unknown_remittance"


class UnknownAllocation(DomainError):
    code = "unknown_allocation"


class AllocationAlreadyUndone(DomainError):
    code = "allocation_already_undone"
