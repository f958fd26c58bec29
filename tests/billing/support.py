"""Builders for the billing storage tests: a chart with the control, income,
tax, expense and bank accounts, the billing desk over a real store, a
customer and a supplier, and reads of the log and the balances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4, uuid5

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System
from domain.billing.policy import BillingPolicy
from domain.billing.service import Billing
from domain.kernel.context import Context
from domain.ledger.commands import PostJournalEntry
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.receipts.service import Receipts
from domain.sanctions.port import ScreeningResult
from domain.subjects.service import SubjectRegistry

SETUP = Context("setup@example.test", "corr-setup")
CLERK = Context("billing-clerk@example.test", "corr-billing")
APPROVER_1 = Context("approver-1@example.test", "corr-approve-1")
APPROVER_2 = Context("approver-2@example.test", "corr-approve-2")
TREASURY = Context("treasury@example.test", "corr-treasury")
ISSUE_DATE = "2026-03-10"
CURRENCIES = ["USD", "EUR", "IDR"]
CHART: list[tuple[str, str, list[str], list[str]]] = [
    ("Assets:Bank", "asset", CURRENCIES, ["no_overdraft"]),
    ("Assets:Cash", "asset", CURRENCIES, ["no_overdraft"]),
    ("Assets:Payments:InFlight", "asset", CURRENCIES, []),
    ("Assets:Receivables", "asset", CURRENCIES, []),
    ("Assets:Tax:VAT-Input", "asset", CURRENCIES, []),
    ("Assets:Tax:PPN-Masukan", "asset", ["IDR"], []),
    ("Liabilities:Payables", "liability", CURRENCIES, []),
    ("Liabilities:GoodsReceivedNotInvoiced", "liability", CURRENCIES, []),
    ("Liabilities:Tax:VAT-Output", "liability", CURRENCIES, []),
    ("Liabilities:Tax:PPN-Keluaran", "liability", ["IDR"], []),
    ("Income:Sales", "income", CURRENCIES, []),
    ("Income:Services", "income", CURRENCIES, []),
    ("Expenses:Supplies", "expense", CURRENCIES, []),
    ("Expenses:BadDebts", "expense", CURRENCIES, []),
    ("Equity:Capital", "equity", CURRENCIES, []),
]
POLICY = BillingPolicy(bill_dual_approval_above={"USD": "1000.00", "EUR": "1000.00"})
PAYMENT_POLICY = PaymentPolicy(dual_approval_above={"USD": "100000.00", "EUR": "100000.00"})


class ClearScreening:
    """A screening port that finds every party clear (billing is not what is
    screened here; the payments and sanctions tests screen for real)."""

    def screen(
        self, context: Context, item_kind: str, item_id: str, party_name: str
    ) -> ScreeningResult:
        return ScreeningResult("clear", uuid5(UUID(int=0), f"{item_kind}:{item_id}"))

    def decision(self, item_kind: str, item_id: str) -> str | None:
        return None

    def clear(self, context: Context, case_id: UUID, reason: str) -> None:
        return None

    def reject(self, context: Context, case_id: UUID, reason: str) -> None:
        return None


def fund(system: System, amount: str, currency: str) -> None:
    system.app.post_journal_entry(
        PostJournalEntry(
            context=SETUP,
            idempotency_key=f"funding-{uuid4()}",
            effective_date="2025-01-02",
            postings=[
                {
                    "account": "Assets:Bank",
                    "direction": "debit",
                    "amount": amount,
                    "asset": currency,
                },
                {
                    "account": "Equity:Capital",
                    "direction": "credit",
                    "amount": amount,
                    "asset": currency,
                },
            ],
        )
    )


@dataclass
class Books:
    """The system and the desks the billing tests drive."""

    system: System
    billing: Billing
    payments: Payments
    receipts: Receipts
    customer: UUID
    supplier: UUID

    def customer_subject(self, party_id: UUID | None = None) -> UUID:
        return UUID(self.billing.get_party(party_id or self.customer).subject_id)


def open_books(system: System, *, bank_funds: str = "100000.00") -> Books:
    for code, kind, assets, flags in CHART:
        system.app.open_account(SETUP, code, code, kind, assets, flags)
    for currency in ("USD", "EUR"):
        fund(system, bank_funds, currency)
    billing, payments, receipts = desks(system)
    customer = new_customer(billing, "CUST-1")
    supplier, _ = billing.open_party(
        SETUP,
        roles=["supplier"],
        currency="USD",
        payment_terms_days=14,
        details={"name": "Acme Supplies Ltd", "tax_id": "GB 123 4567 89", "reference": "VEND-1"},
    )
    return Books(system, billing, payments, receipts, customer, supplier)


def desks(system: System) -> tuple[Billing, Payments, Receipts]:
    screening = ClearScreening()
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    payments = Payments(system.app, registry, screening, PAYMENT_POLICY)
    receipts = Receipts(system.app, registry, screening, PAYMENT_POLICY)
    return Billing(system.app, registry, payments, POLICY), payments, receipts


def new_customer(billing: Billing, reference: str, currency: str = "USD") -> UUID:
    party_id, _ = billing.open_party(
        SETUP,
        roles=["customer"],
        currency=currency,
        payment_terms_days=30,
        details={
            "name": f"Customer {reference}",
            "tax_id": "DE 811 907 980",
            "reference": reference,
        },
    )
    return party_id


def line(
    quantity: str = "1",
    unit_price: str = "100.00",
    tax_code: str = "VAT-STD",
    account: str = "Income:Sales",
    description: str = "Consulting",
) -> dict[str, str]:
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_code": tax_code,
        "income_account": account,
    }


def issued_invoice(
    books: Books,
    *lines: dict[str, str],
    party_id: UUID | None = None,
    issue_date: str = ISSUE_DATE,
    currency: str | None = None,
) -> UUID:
    invoice_id = uuid4()
    books.billing.draft_invoice(
        CLERK,
        invoice_id=invoice_id,
        party_id=party_id or books.customer,
        lines=list(lines) or [line()],
        currency=currency,
    )
    books.billing.issue_invoice(CLERK, invoice_id, issue_date=issue_date)
    return invoice_id


def posted_receipt(
    books: Books,
    amount: str,
    *,
    reference: str = "",
    currency: str = "USD",
    party_id: UUID | None = None,
) -> UUID:
    receipt_id = uuid4()
    books.receipts.record(
        CLERK,
        receipt_id=receipt_id,
        method="wire",
        amount=amount,
        asset=currency,
        reference=reference or f"RCPT-{receipt_id.hex[:6]}",
        value_date=ISSUE_DATE,
        payer_subject_id=books.customer_subject(party_id),
    )
    books.receipts.screen(CLERK, receipt_id)
    assert books.receipts.get(receipt_id).status == "posted"
    return receipt_id


def settle(books: Books, payment_id: UUID) -> None:
    books.payments.screen(TREASURY, payment_id)
    books.payments.approve(APPROVER_1, payment_id)
    books.payments.submit(TREASURY, payment_id, f"BNK-{payment_id.hex[:10]}")
    books.payments.settle(TREASURY, payment_id)


def event_count(system: System) -> int:
    return int(system.app.recorder.max_notification_id() or 0)


def balances(system: System) -> dict[tuple[str, str], int]:
    """Posted debits minus credits per (account, currency), from the balances projection."""
    return {
        (row.account, row.asset): int(row.debits_posted - row.credits_posted)
        for row in system.projections.trial_balance().lines
    }


def balance(system: System, account: str, currency: str = "USD") -> int:
    return balances(system).get((account, currency), 0)


def topics_since(system: System, position: int) -> list[str]:
    rows = system.app.recorder.select_notifications(start=position + 1, limit=100_000)
    return [row.topic.rsplit(":", 1)[-1] for row in rows]


def payload(system: System, name: str) -> list[dict[str, Any]]:
    import orjson

    rows = system.app.recorder.select_notifications(start=1, limit=100_000)
    return [orjson.loads(row.state) for row in rows if row.topic.endswith(f".{name}")]
