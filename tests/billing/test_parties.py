"""Billing parties on both backends: sealed details, terms changed by events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from backoffice.container import System
from domain.billing.errors import PartyAlreadyOpened
from tests.billing.support import (
    CLERK,
    ISSUE_DATE,
    SETUP,
    Books,
    event_count,
    issued_invoice,
    open_books,
    payload,
    topics_since,
)


@pytest.fixture
def books(system: System) -> Iterator[Books]:
    yield open_books(system)


def test_a_partys_name_and_tax_id_are_sealed_on_its_subject_never_in_the_log(
    books: Books,
) -> None:
    rows = books.system.app.recorder.select_notifications(start=1, limit=100_000)
    assert not any(b"Acme Supplies" in row.state or b"811 907 980" in row.state for row in rows)
    party = books.billing.get_party(books.supplier)
    details = books.billing.registry.read_subject(books.customer_subject(books.supplier))
    assert details["fields"] == {"name": "Acme Supplies Ltd", "tax_id": "GB 123 4567 89"}
    assert (party.roles, party.payment_terms_days, party.currency) == (["supplier"], 14, "USD")


def test_changed_terms_are_events_and_apply_to_invoices_issued_later(books: Books) -> None:
    before = event_count(books.system)
    books.billing.change_party(CLERK, books.customer, payment_terms_days=10, tax_status="exempt")
    assert topics_since(books.system, before) == [
        "Party.PaymentTermsChanged",
        "Party.TaxStatusChanged",
    ]
    assert books.billing.change_party(CLERK, books.customer, payment_terms_days=10) is None
    invoice = books.billing.get_invoice(issued_invoice(books))
    due = date.fromisoformat(ISSUE_DATE) + timedelta(days=10)
    assert invoice.due_date == due.isoformat()
    assert payload(books.system, "PaymentTermsChanged")[0]["payment_terms_days"] == 10


def test_opening_a_party_twice_for_one_subject_is_refused_and_writes_nothing(
    books: Books,
) -> None:
    before = event_count(books.system)
    with pytest.raises(PartyAlreadyOpened):
        books.billing.open_party(
            SETUP, roles=["customer"], currency="USD", subject_id=books.customer_subject()
        )
    assert event_count(books.system) == before
