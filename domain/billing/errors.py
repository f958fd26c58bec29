"""Billing refusals, each with a stable ``code``.

Input errors are ``InvalidInput`` subclasses and name the offending field
(``lines[3].unit_price``) so a client can point at it. HTTP status is mapped
elsewhere, once, from the code; nothing here knows about HTTP.
"""

from __future__ import annotations

from domain.kernel.errors import InvalidInput


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
