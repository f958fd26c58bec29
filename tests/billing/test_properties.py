"""Property test on both backends: random invoices, receipts, allocations (automatic
and by hand), undos, credit notes and write-offs, and after each run the
control accounts equal the open items per currency, no allocation exceeds an
item's open amount or a receipt, and the number series are gap-free.

Seeded (``derandomize=True``): the examples are the same on every run. One
store per backend serves all examples; each example has its own customer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.container import System
from domain.billing.allocation import Allocation
from domain.kernel.errors import DomainError
from tests.billing.support import (
    CLERK,
    ISSUE_DATE,
    Books,
    balances,
    issued_invoice,
    new_customer,
    open_books,
    posted_receipt,
)

_customers = itertools.count(1)
TAX_CODES = ["VAT-STD", "VAT-RED", "VAT-ZERO", "VAT-EXEMPT"]

lines = st.lists(
    st.fixed_dictionaries(
        {
            "description": st.just("Item"),
            "quantity": st.sampled_from(["1", "2", "3", "0.5", "1.25"]),
            "unit_price": st.sampled_from(["0.01", "9.99", "10.00", "33.33", "120.00"]),
            "tax_code": st.sampled_from(TAX_CODES),
            "income_account": st.sampled_from(["Income:Sales", "Income:Services"]),
        }
    ),
    min_size=1,
    max_size=4,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), lines),
        st.tuples(st.just("receipt"), st.integers(1, 50_000), st.booleans()),
        st.tuples(st.just("manual"), st.integers(0, 5), st.integers(1, 20_000)),
        st.tuples(st.just("undo"), st.integers(0, 5)),
        st.tuples(st.just("credit"), st.integers(0, 5), st.booleans()),
        st.tuples(st.just("write_off"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=10,
)


@pytest.fixture
def books(system: System) -> Iterator[Books]:
    yield open_books(system)


class Run:
    """One example's customer, its documents and what the steps did."""

    def __init__(self, books: Books) -> None:
        self.books = books
        self.customer = new_customer(books.billing, f"PROP-{next(_customers)}")
        self.invoices: list[UUID] = []
        self.receipts: list[UUID] = []

    def pick(self, items: list[UUID], index: int) -> UUID | None:
        return items[index % len(items)] if items else None

    def step(self, step: tuple[Any, ...]) -> None:
        billing = self.books.billing
        kind = step[0]
        if kind == "invoice":
            self.invoices.append(issued_invoice(self.books, *step[1], party_id=self.customer))
        elif kind == "receipt":
            amount = f"{step[1] // 100}.{step[1] % 100:02d}"
            receipt_id = posted_receipt(self.books, amount, party_id=self.customer)
            self.receipts.append(receipt_id)
            if step[2]:
                self.refused_or_done(lambda: billing.apply_receipt(CLERK, receipt_id))
        elif kind == "manual":
            paying = self.pick(self.receipts, step[1] // 2)
            invoice_id = self.pick(self.invoices, step[1])
            if paying and invoice_id:
                wanted = [Allocation(str(invoice_id), step[2])]
                self.refused_or_done(lambda: billing.apply_receipt(CLERK, paying, wanted))
        elif kind == "undo":
            undone = self.pick(self.receipts, step[1])
            if undone:
                self.undo_last(undone)
        elif kind == "credit":
            invoice_id = self.pick(self.invoices, step[1])
            if invoice_id:
                self.credit(invoice_id, partial=step[2])
        else:
            invoice_id = self.pick(self.invoices, step[1])
            if invoice_id:
                self.refused_or_done(
                    lambda: billing.write_off(
                        CLERK, invoice_id, effective_date=ISSUE_DATE, reason="bad debt"
                    )
                )

    def undo_last(self, receipt_id: UUID) -> None:
        billing = self.books.billing
        try:
            remittance = billing.remittance_of(receipt_id)
        except DomainError:
            return
        active = list(remittance.active_allocations())
        if active:
            billing.undo_allocation(CLERK, remittance.id, active[-1], "property test")

    def credit(self, invoice_id: UUID, *, partial: bool) -> None:
        invoice = self.books.billing.get_invoice(invoice_id)
        credited = [dict(invoice.lines[0], quantity="0.5")] if partial else None
        self.refused_or_done(
            lambda: self.books.billing.issue_credit_note(
                CLERK,
                credit_note_id=uuid4(),
                invoice_id=invoice_id,
                issue_date=ISSUE_DATE,
                reason="property test",
                lines=credited,
            )
        )

    def refused_or_done(self, command: Any) -> None:
        """A command either commits or is refused; a refusal writes nothing."""
        system = self.books.system
        before = int(system.app.recorder.max_notification_id() or 0)
        try:
            command()
        except DomainError:
            assert int(system.app.recorder.max_notification_id() or 0) == before

    def check(self) -> None:
        billing = self.books.billing
        assert billing.control_findings(balances(self.books.system)) == []
        assert billing.numbering_findings() == []
        for invoice_id in self.invoices:
            invoice = billing.get_invoice(invoice_id)
            assert 0 <= invoice.open_amount_minor <= invoice.gross_total_minor
            assert all(amount > 0 for amount in invoice.allocations.values())
        for receipt_id in self.receipts:
            try:
                remittance = billing.remittance_of(receipt_id)
            except DomainError:
                continue
            assert 0 <= remittance.unallocated_minor <= remittance.amount_minor


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.lists(lines, min_size=1, max_size=3), steps=steps)
def test_control_accounts_equal_open_items_and_allocations_never_exceed_them(
    books: Books, first: list[list[dict[str, str]]], steps: list[tuple[Any, ...]]
) -> None:
    run = Run(books)
    for step in [*(("invoice", invoice_lines) for invoice_lines in first), *steps]:
        run.step(step)
    run.check()
