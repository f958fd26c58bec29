"""Invoices and credit notes on both backends: numbers, entries, corrections."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from backoffice.container import System
from domain.billing.errors import (
    CreditExceedsOpenAmount,
    InvalidInvoiceTransition,
    InvoiceDateOutOfSequence,
    PartyRoleMismatch,
    UnknownTaxCode,
)
from tests.billing.support import (
    CLERK,
    ISSUE_DATE,
    Books,
    balance,
    balances,
    event_count,
    issued_invoice,
    line,
    new_customer,
    open_books,
    topics_since,
)


@pytest.fixture
def books(system: System) -> Iterator[Books]:
    yield open_books(system)


def test_issuing_an_invoice_numbers_it_and_posts_receivables_income_and_output_tax(
    books: Books,
) -> None:
    before = event_count(books.system)
    invoice_id = issued_invoice(
        books, line("2", "100.00"), line("1", "50.00", "VAT-RED", "Income:Services")
    )
    invoice = books.billing.get_invoice(invoice_id)
    assert invoice.number == "INV-2026-000001"
    assert invoice.status == "issued"
    assert (invoice.net_total_minor, invoice.tax_total_minor) == (250_00, 40_00 + 2_50)
    assert invoice.due_date == "2026-04-09"  # 30 days net
    entry = books.system.app.get_entry(UUID(invoice.entry_id))
    assert sorted((p.account, p.direction, p.amount_minor) for p in entry.lines) == [
        ("Assets:Receivables", "debit", 292_50),
        ("Income:Sales", "credit", 200_00),
        ("Income:Services", "credit", 50_00),
        ("Liabilities:Tax:VAT-Output", "credit", 42_50),
    ]
    assert entry.reference == "INV-2026-000001"
    issued = topics_since(books.system, before)
    assert {"NumberSeries.NumberAssigned", "Invoice.InvoiceIssued"} <= set(issued)
    assert balance(books.system, "Assets:Receivables") == 292_50


def test_numbers_run_on_without_gaps_and_restart_each_year(books: Books) -> None:
    numbers = [
        books.billing.get_invoice(issued_invoice(books, issue_date=day)).number
        for day in ("2025-12-30", "2025-12-31", "2026-01-02", "2026-01-02")
    ]
    assert numbers == [
        "INV-2025-000001",
        "INV-2025-000002",
        "INV-2026-000001",
        "INV-2026-000002",
    ]
    assert books.billing.numbering_findings() == []


def test_an_invoice_dated_before_the_last_number_of_its_series_is_refused(books: Books) -> None:
    issued_invoice(books, issue_date="2026-03-10")
    invoice_id = uuid4()
    books.billing.draft_invoice(
        CLERK, invoice_id=invoice_id, party_id=books.customer, lines=[line()]
    )
    before = event_count(books.system)
    with pytest.raises(InvoiceDateOutOfSequence):
        books.billing.issue_invoice(CLERK, invoice_id, issue_date="2026-03-09")
    assert event_count(books.system) == before


def test_an_issued_invoice_is_never_changed(books: Books) -> None:
    invoice_id = issued_invoice(books)
    before = event_count(books.system)
    with pytest.raises(InvalidInvoiceTransition):
        books.billing.revise_draft(CLERK, invoice_id, lines=[line("5")])
    with pytest.raises(InvalidInvoiceTransition):
        books.billing.issue_invoice(CLERK, invoice_id, issue_date=ISSUE_DATE)
    assert event_count(books.system) == before
    assert books.billing.get_invoice(invoice_id).gross_total_minor == 120_00


def test_a_refused_draft_or_issue_writes_nothing(books: Books) -> None:
    before = event_count(books.system)
    with pytest.raises(UnknownTaxCode):
        books.billing.draft_invoice(
            CLERK, invoice_id=uuid4(), party_id=books.customer, lines=[line(tax_code="NOPE")]
        )
    with pytest.raises(PartyRoleMismatch):
        books.billing.draft_invoice(
            CLERK, invoice_id=uuid4(), party_id=books.supplier, lines=[line()]
        )
    assert event_count(books.system) == before


def test_a_full_credit_note_mirrors_the_invoice_with_its_own_number(books: Books) -> None:
    invoice_id = issued_invoice(books, line("3", "10.00"))
    note_id = uuid4()
    books.billing.issue_credit_note(
        CLERK,
        credit_note_id=note_id,
        invoice_id=invoice_id,
        issue_date=ISSUE_DATE,
        reason="returned goods",
    )
    note = books.billing.get_credit_note(note_id)
    invoice = books.billing.get_invoice(invoice_id)
    assert note.number == "CN-2026-000001" and note.invoice_number == invoice.number
    assert note.gross_total_minor == invoice.gross_total_minor == 36_00
    assert invoice.open_amount_minor == 0 and invoice.status == "credited"
    entry = books.system.app.get_entry(UUID(note.entry_id))
    assert sorted((p.account, p.direction, p.amount_minor) for p in entry.lines) == [
        ("Assets:Receivables", "credit", 36_00),
        ("Income:Sales", "debit", 30_00),
        ("Liabilities:Tax:VAT-Output", "debit", 6_00),
    ]
    assert balance(books.system, "Assets:Receivables") == 0
    assert books.billing.numbering_findings() == []


def test_a_partial_credit_note_leaves_the_rest_open_and_never_exceeds_it(books: Books) -> None:
    invoice_id = issued_invoice(books, line("10", "10.00"))
    books.billing.issue_credit_note(
        CLERK,
        credit_note_id=uuid4(),
        invoice_id=invoice_id,
        issue_date=ISSUE_DATE,
        reason="two damaged",
        lines=[line("2", "10.00")],
    )
    assert books.billing.get_invoice(invoice_id).open_amount_minor == 120_00 - 24_00
    before = event_count(books.system)
    with pytest.raises(CreditExceedsOpenAmount):
        books.billing.issue_credit_note(
            CLERK,
            credit_note_id=uuid4(),
            invoice_id=invoice_id,
            issue_date=ISSUE_DATE,
            reason="too much",
            lines=[line("9", "10.00")],
        )
    assert event_count(books.system) == before


def test_writing_off_posts_bad_debt_in_a_separate_entry(books: Books) -> None:
    invoice_id = issued_invoice(books)
    books.billing.write_off(
        CLERK, invoice_id, effective_date="2026-06-30", reason="customer insolvent"
    )
    invoice = books.billing.get_invoice(invoice_id)
    assert invoice.status == "written_off" and invoice.open_amount_minor == 0
    entry = books.system.app.get_entry(UUID(invoice.write_off_entry_id))
    assert entry.id != UUID(invoice.entry_id)
    assert balance(books.system, "Expenses:BadDebts") == 120_00
    assert balance(books.system, "Assets:Receivables") == 0
    before = event_count(books.system)
    with pytest.raises(InvalidInvoiceTransition):
        books.billing.write_off(CLERK, invoice_id, effective_date="2026-06-30", reason="again")
    assert event_count(books.system) == before


def test_an_indonesian_invoice_carries_ppn_on_eleven_twelfths(books: Books) -> None:
    customer = new_customer(books.billing, "CUST-ID", currency="IDR")
    invoice_id = issued_invoice(
        books, line("1", "1000000.00", "ID-PPN"), party_id=customer, currency="IDR"
    )
    invoice = books.billing.get_invoice(invoice_id)
    assert invoice.tax_total_minor == 110_000_00  # 12% x 11/12 of Rp1.000.000
    assert balance(books.system, "Liabilities:Tax:PPN-Keluaran", "IDR") == -110_000_00
    assert books.billing.control_findings(balances(books.system)) == []
