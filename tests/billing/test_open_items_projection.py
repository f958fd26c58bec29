"""The open-items projection on both backends: it follows the documents live,
a rebuild equals it to the digest, and ``verify`` runs the billing invariants
(control accounts equal open items, number series gap-free)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from backoffice.container import System, build_system
from domain.billing.bill import SupplierBill
from domain.billing.invoice import Invoice
from domain.ledger.commands import PostJournalEntry
from projections.billing.open_items import OpenItems
from projections.registry import registration
from replay.rebuild import rebuild
from replay.verify import verify
from tests.billing.support import (
    CLERK,
    SETUP,
    Books,
    issued_invoice,
    line,
    open_books,
    posted_receipt,
)


@pytest.fixture
def books(database_url: str) -> Iterator[Books]:
    system = build_system(database_url)
    try:
        yield open_books(system)
    finally:
        system.close()


def projection(system: System) -> OpenItems:
    found = system.tracked[OpenItems.name]
    assert isinstance(found, OpenItems)
    return found


def digests(system: System) -> dict[str, str]:
    live = projection(system)
    live.catch_up()
    with live.store.read_snapshot():
        return registration(OpenItems.name).digest(live.store)


def business(books: Books) -> tuple[str, str]:
    """Two invoices, a receipt allocated oldest first, a credit note, a bill posted."""
    billing = books.billing
    first = issued_invoice(books, line(unit_price="100.00"), issue_date="2026-03-01")
    second = issued_invoice(books, line(unit_price="40.00"), issue_date="2026-03-02")
    receipt_id = posted_receipt(books, "130.00")
    billing.apply_receipt(CLERK, receipt_id)
    billing.issue_credit_note(
        CLERK,
        credit_note_id=uuid4(),
        invoice_id=second,
        issue_date="2026-03-05",
        reason="discount",
        lines=[line(unit_price="5.00")],
    )
    bill_id, _ = billing.receive_bill(
        CLERK,
        party_id=books.supplier,
        supplier_number="ACME-1",
        bill_date="2026-03-03",
        lines=[
            {
                "description": "Paper",
                "quantity": "1",
                "unit_price": "50.00",
                "tax_code": "VAT-STD",
                "account": "Expenses:Supplies",
            }
        ],
    )
    from tests.billing.support import APPROVER_1

    billing.approve_bill(APPROVER_1, bill_id)
    return str(first), str(second)


def test_the_projection_follows_the_documents(books: Books) -> None:
    first, second = business(books)
    position, rows = projection(books.system).open_items()
    by_id = {row["document_id"]: row for row in rows}
    assert first not in by_id  # paid in full, oldest first
    assert (
        by_id[second]["open_amount_minor"]
        == books.billing.get_invoice(UUID(second)).open_amount_minor
    )
    payable = [row for row in rows if row["side"] == "payable"]
    assert [row["number"] for row in payable] == ["ACME-1"]
    documents: list[Invoice | SupplierBill] = [*books.billing.invoices(), *books.billing.bills()]
    expected = {
        str(item.id): item.open_amount_minor for item in documents if item.open_amount_minor
    }
    assert {row["document_id"]: row["open_amount_minor"] for row in rows} == expected
    assert position == books.system.app.recorder.max_notification_id()


def test_a_rebuild_equals_the_live_projection_and_verify_is_clean(books: Books) -> None:
    business(books)
    before = digests(books.system)
    stats = rebuild(books.system.database, OpenItems.name)
    assert stats.position == projection(books.system).position()
    assert digests(books.system) == before
    report = verify(books.system.database, OpenItems.name)
    assert report.ok, report.findings


def test_verify_finds_a_control_account_out_of_step_with_the_open_items(books: Books) -> None:
    business(books)
    books.system.app.post_journal_entry(
        PostJournalEntry(
            context=SETUP,
            idempotency_key="stray-receivable",
            effective_date="2026-03-06",
            postings=[
                {"account": "Assets:Receivables", "direction": "debit", "amount": "1.00",
                 "asset": "USD"},
                {"account": "Income:Sales", "direction": "credit", "amount": "1.00",
                 "asset": "USD"},
            ],
        )
    )  # fmt: skip
    report = verify(books.system.database, OpenItems.name)
    assert not report.ok
    assert [finding.invariant for finding in report.findings] == ["control_account"]
    assert "Assets:Receivables USD" in report.findings[0].detail
