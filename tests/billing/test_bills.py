"""Supplier bills on both backends: duplicates, four eyes, input tax, payment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest

from backoffice.container import System
from domain.billing.bill import bill_id_for
from domain.billing.errors import DuplicateSupplierBill, InvalidBillTransition
from domain.payments.errors import DuplicateApproval, SelfApprovalRefused
from tests.billing.support import (
    APPROVER_1,
    APPROVER_2,
    CLERK,
    TREASURY,
    Books,
    balance,
    balances,
    event_count,
    open_books,
    settle,
)

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def books(system: System) -> Iterator[Books]:
    yield open_books(system)


def bill_line(quantity: str = "4", unit_price: str = "25.00", **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "description": "Printer paper",
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_code": "VAT-STD",
        "account": "Expenses:Supplies",
    }
    row.update(extra)
    return row


def received(books: Books, number: str = "ACME-0042", *lines: dict[str, Any]) -> UUID:
    bill_id, _ = books.billing.receive_bill(
        CLERK,
        party_id=books.supplier,
        supplier_number=number,
        bill_date="2026-03-05",
        lines=list(lines) or [bill_line()],
    )
    return bill_id


def test_a_bill_approved_once_posts_expense_input_tax_and_payables(books: Books) -> None:
    bill_id = received(books)
    bill = books.billing.get_bill(bill_id)
    assert (bill.status, bill.approvals_required, bill.due_date) == ("received", 1, "2026-03-19")
    assert balance(books.system, "Liabilities:Payables") == 0  # not owed until approved
    books.billing.approve_bill(APPROVER_1, bill_id)
    bill = books.billing.get_bill(bill_id)
    entry = books.system.app.get_entry(UUID(bill.entry_id))
    assert sorted((p.account, p.direction, p.amount_minor) for p in entry.lines) == [
        ("Assets:Tax:VAT-Input", "debit", 20_00),
        ("Expenses:Supplies", "debit", 100_00),
        ("Liabilities:Payables", "credit", 120_00),
    ]
    assert bill.status == "posted" and bill.open_amount_minor == 120_00


def test_a_duplicate_supplier_bill_is_refused_and_writes_nothing(books: Books) -> None:
    bill_id = received(books, "ACME-0042")
    assert bill_id == bill_id_for(books.supplier, "acme-0042")
    before = event_count(books.system)
    with pytest.raises(DuplicateSupplierBill):
        received(books, "acme-0042")  # the same number in lower case
    assert event_count(books.system) == before


def test_a_bill_above_the_policy_amount_needs_two_approvers_other_than_the_receiver(
    books: Books,
) -> None:
    bill_id = received(books, "ACME-BIG", bill_line("100", "25.00"))
    assert books.billing.get_bill(bill_id).approvals_required == 2
    before = event_count(books.system)
    with pytest.raises(SelfApprovalRefused):
        books.billing.approve_bill(CLERK, bill_id)
    assert event_count(books.system) == before
    books.billing.approve_bill(APPROVER_1, bill_id)
    assert books.billing.get_bill(bill_id).status == "received"
    with pytest.raises(DuplicateApproval):
        books.billing.approve_bill(APPROVER_1, bill_id)
    books.billing.approve_bill(APPROVER_2, bill_id)
    assert books.billing.get_bill(bill_id).status == "posted"
    assert balance(books.system, "Liabilities:Payables") == -3000_00
    with pytest.raises(InvalidBillTransition):
        books.billing.approve_bill(TREASURY, bill_id)


def test_a_line_referencing_a_goods_receipt_debits_goods_received_not_invoiced(
    books: Books,
) -> None:
    receipt_line = bill_line("10", "5.00", account=None)
    receipt_line["goods_receipt"] = {
        "receipt_id": str(uuid4()),
        "quantity": "10",
        "unit_price": "5.00",
    }
    bill_id = received(books, "ACME-GR", receipt_line)
    bill = books.billing.get_bill(bill_id)
    assert bill.lines[0]["account"] == "Liabilities:GoodsReceivedNotInvoiced"
    assert bill.lines[0]["goods_receipt_quantity"] == "10"
    books.billing.approve_bill(APPROVER_1, bill_id)
    assert balance(books.system, "Liabilities:GoodsReceivedNotInvoiced") == 50_00


def test_a_bill_paid_through_the_payments_area_is_cleared_by_its_payment(books: Books) -> None:
    bill_id = received(books)
    books.billing.approve_bill(APPROVER_1, bill_id)
    payment_id = uuid4()
    books.billing.request_bill_payment(
        CLERK,
        bill_id,
        payment_id=payment_id,
        paying_account="Assets:Bank",
        value_date="2026-03-18",
        payee_account={"iban": GOOD_IBAN},
    )
    payment = books.payments.get(payment_id)
    assert (payment.purpose, payment.clearing_account) == ("ACME-0042", "Liabilities:Payables")
    settle(books, payment_id)
    # Settled but not yet applied: the payment is an open item of its own.
    kinds = sorted(item.kind for item in books.billing.control_items())
    assert kinds == ["bill", "payment"]
    assert books.billing.control_findings(balances(books.system)) == []
    remittance_id, _ = books.billing.apply_payment(TREASURY, payment_id)
    assert books.billing.get_bill(bill_id).status == "paid"
    assert books.billing.get_remittance(remittance_id).unallocated_minor == 0
    assert balance(books.system, "Liabilities:Payables") == 0
    assert books.billing.control_findings(balances(books.system)) == []
