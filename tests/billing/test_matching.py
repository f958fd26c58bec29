"""Receipts and payments allocated to open items, on both backends: by
reference, oldest first, by hand, undone, overpayment kept and refunded."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from backoffice.container import System
from domain.billing.allocation import Allocation
from domain.billing.errors import (
    AllocationAlreadyUndone,
    AllocationExceedsOpenAmount,
    CrossCurrencyAllocation,
    NothingToAllocate,
    PartyRoleMismatch,
)
from domain.kernel.context import Context
from tests.billing.support import (
    CLERK,
    Books,
    balance,
    balances,
    event_count,
    issued_invoice,
    line,
    new_customer,
    open_books,
    posted_receipt,
    settle,
)

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def books(system: System) -> Iterator[Books]:
    yield open_books(system)


def three_invoices(books: Books) -> list[UUID]:
    """120.00 each, issued on three days (so due in that order)."""
    return [
        issued_invoice(books, issue_date=day) for day in ("2026-03-01", "2026-03-02", "2026-03-03")
    ]


def test_a_receipt_naming_an_invoice_pays_it_first_then_the_oldest(books: Books) -> None:
    first, second, third = three_invoices(books)
    number = books.billing.get_invoice(third).number
    receipt_id = posted_receipt(books, "200.00", reference=number.lower())
    remittance_id, _ = books.billing.apply_receipt(CLERK, receipt_id)
    invoices = [books.billing.get_invoice(i) for i in (first, second, third)]
    assert [i.status for i in invoices] == ["partially_paid", "issued", "paid"]
    assert invoices[0].open_amount_minor == 40_00
    remittance = books.billing.get_remittance(remittance_id)
    (lines,) = remittance.allocations.values()
    assert lines == [[str(third), 120_00], [str(first), 80_00]]
    assert remittance.unallocated_minor == 0
    assert books.billing.control_findings(balances(books.system)) == []


def test_a_manual_allocation_takes_the_amounts_given_and_never_more_than_open(
    books: Books,
) -> None:
    first, second, _third = three_invoices(books)
    receipt_id = posted_receipt(books, "100.00")
    before = event_count(books.system)
    with pytest.raises(AllocationExceedsOpenAmount):
        books.billing.apply_receipt(CLERK, receipt_id, [Allocation(str(first), 120_01)])
    assert event_count(books.system) == before
    books.billing.apply_receipt(
        CLERK, receipt_id, [Allocation(str(second), 70_00), Allocation(str(first), 30_00)]
    )
    assert books.billing.get_invoice(second).open_amount_minor == 50_00
    assert books.billing.get_invoice(first).open_amount_minor == 90_00
    with pytest.raises(NothingToAllocate):
        books.billing.apply_receipt(CLERK, receipt_id)


def test_an_undone_allocation_opens_the_invoice_again_and_returns_the_credit(
    books: Books,
) -> None:
    invoice_id = issued_invoice(books)
    receipt_id = posted_receipt(books, "120.00")
    remittance_id, _ = books.billing.apply_receipt(CLERK, receipt_id)
    (allocation_id,) = books.billing.get_remittance(remittance_id).allocations
    assert books.billing.get_invoice(invoice_id).status == "paid"
    books.billing.undo_allocation(CLERK, remittance_id, allocation_id, "wrong customer")
    assert books.billing.get_invoice(invoice_id).status == "issued"
    assert books.billing.get_remittance(remittance_id).unallocated_minor == 120_00
    assert books.billing.control_findings(balances(books.system)) == []
    before = event_count(books.system)
    with pytest.raises(AllocationAlreadyUndone):
        books.billing.undo_allocation(CLERK, remittance_id, allocation_id, "again")
    assert event_count(books.system) == before
    books.billing.apply_receipt(CLERK, receipt_id)  # allocated again, as a new allocation
    assert books.billing.get_invoice(invoice_id).status == "paid"


def test_an_overpayment_is_kept_as_credit_allocated_later_or_refunded(books: Books) -> None:
    first = issued_invoice(books)
    receipt_id = posted_receipt(books, "300.00")
    remittance_id, _ = books.billing.apply_receipt(CLERK, receipt_id)
    assert books.billing.get_invoice(first).status == "paid"
    assert books.billing.get_remittance(remittance_id).unallocated_minor == 180_00
    assert balance(books.system, "Assets:Receivables") == -180_00  # the customer's credit
    assert books.billing.control_findings(balances(books.system)) == []

    later = issued_invoice(books, line("1", "50.00"))
    books.billing.apply_receipt(CLERK, receipt_id)
    assert books.billing.get_invoice(later).status == "paid"
    assert books.billing.get_remittance(remittance_id).unallocated_minor == 120_00

    refund_id = uuid4()
    books.payments.request(
        CLERK,
        payment_id=refund_id,
        amount="120.00",
        asset="USD",
        value_date="2026-03-20",
        purpose="Refund of credit",
        paying_account="Assets:Bank",
        payee_subject_id=books.customer_subject(),
        payee_account={"iban": GOOD_IBAN},
        clearing_account="Assets:Receivables",
    )
    settle(books, refund_id)
    books.billing.refund_credit(CLERK, remittance_id, refund_id)
    assert books.billing.get_remittance(remittance_id).unallocated_minor == 0
    assert balance(books.system, "Assets:Receivables") == 0
    assert books.billing.control_findings(balances(books.system)) == []


def test_a_receipt_with_no_open_item_is_kept_whole_as_credit(books: Books) -> None:
    receipt_id = posted_receipt(books, "10.00")
    remittance_id, _ = books.billing.apply_receipt(CLERK, receipt_id)
    assert books.billing.get_remittance(remittance_id).unallocated_minor == 10_00
    before = event_count(books.system)
    with pytest.raises(NothingToAllocate):
        books.billing.apply_receipt(CLERK, receipt_id)
    assert event_count(books.system) == before


def test_a_cross_currency_allocation_is_refused_with_a_clear_message(books: Books) -> None:
    euro_invoice = issued_invoice(books, currency="EUR")
    number = books.billing.get_invoice(euro_invoice).number
    receipt_id = posted_receipt(books, "120.00", reference=number)
    before = event_count(books.system)
    with pytest.raises(CrossCurrencyAllocation, match="in EUR, the money is in USD"):
        books.billing.apply_receipt(CLERK, receipt_id)
    with pytest.raises(CrossCurrencyAllocation, match="exchange rates are not supported"):
        books.billing.apply_receipt(CLERK, receipt_id, [Allocation(str(euro_invoice), 100)])
    assert event_count(books.system) == before


def test_a_receipt_from_someone_who_is_not_the_party_is_refused(books: Books) -> None:
    other = new_customer(books.billing, "CUST-2")
    issued_invoice(books, party_id=other)
    receipt_id = uuid4()
    books.receipts.record(
        CLERK,
        receipt_id=receipt_id,
        method="wire",
        amount="5.00",
        asset="USD",
        reference="walk-in",
        value_date="2026-03-10",
        payer={"name": "Walk-in Customer"},
    )
    books.receipts.screen(CLERK, receipt_id)
    before = event_count(books.system)
    with pytest.raises(PartyRoleMismatch):
        books.billing.apply_receipt(Context("x@example.test", "corr-x"), receipt_id)
    assert event_count(books.system) == before
