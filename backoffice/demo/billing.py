"""The demo's quarter of billing (October to December, open months).

Customers in the United States (USD, zero-rated) and Indonesia (IDR, PPN 12%
on the other-value base of 11/12), thirty invoices issued with gap-free
numbers, receipts allocated to them (by reference, some in part), a credit
note, a bad debt written off; supplier bills for the warehouse's goods
receipts (each line names its receipt and clears goods received not
invoiced) and a freight bill with input PPN, approved by someone other than
the clerk and paid through the payments area while the collections account
has the funds. At year end the AR aging and December's tax report (with
Indonesia's PPN return lines) are filed in the report framework.

Ids are uuid5 of the demo key and every step is driven from the state it is
in now: a second run writes nothing.
"""

from __future__ import annotations

import contextlib
import random
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from backoffice.demo import warehouse as wh
from backoffice.demo.billing_summary import BillingSummary, billing_summary
from backoffice.demo.data import demo_iban
from backoffice.demo.filing import Filed, file_once
from domain.billing.bill import bill_id_for
from domain.billing.errors import PartyAlreadyOpened
from domain.billing.invoice import DRAFT
from domain.billing.party import party_id_for
from domain.billing.policy import BillingPolicy
from domain.billing.remittance import remittance_id_for
from domain.billing.service import Billing
from domain.inventory.results import MovementOutcome
from domain.kernel.context import Context
from domain.kernel.errors import DomainError
from domain.kernel.money import format_amount
from domain.kernel.unit_of_work import find
from domain.ledger.errors import AccountAlreadyExists
from domain.payments.payment import Payment
from domain.payments.statuses import (
    AWAITING_APPROVAL,
    FUNDS_RESERVED,
    REQUESTED,
    SETTLED,
    SUBMITTED,
)
from domain.receipts.receipt import RECORDED
from domain.subjects.errors import SubjectAlreadyRegistered
from domain.subjects.subject import subject_id_for

if TYPE_CHECKING:
    from backoffice.demo.business import DemoBusiness
    from backoffice.demo.warehouse import DemoWarehouse
    from projections.reports.service import ReportService

_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:demo:billing")
COLLECTIONS = "Assets:Bank:Collections"
ACCOUNTS: list[tuple[str, str, str, list[str], list[str]]] = [
    (COLLECTIONS, "Collections account (USD and IDR)", "asset", ["IDR", "USD"], ["no_overdraft"]),
    ("Assets:Receivables", "Trade receivables (billing control)", "asset", ["IDR", "USD"], []),
    ("Liabilities:Payables", "Trade payables (billing control)", "liability", ["IDR", "USD"], []),
    ("Liabilities:Tax:VAT-Output", "VAT output tax", "liability", ["USD"], []),
    ("Assets:Tax:VAT-Input", "VAT input tax", "asset", ["USD"], []),
    ("Liabilities:Tax:PPN-Keluaran", "PPN keluaran (output)", "liability", ["IDR"], []),
    ("Assets:Tax:PPN-Masukan", "PPN masukan (input)", "asset", ["IDR"], []),
    ("Income:Sales:Invoiced", "Sales invoiced", "income", ["IDR", "USD"], []),
    ("Expenses:BadDebts", "Bad debts", "expense", ["IDR", "USD"], []),
    ("Expenses:Freight", "Freight", "expense", ["IDR"], []),
]
INCOME = "Income:Sales:Invoiced"
# slug -> (role, currency, name); names are invented
PARTIES: dict[str, tuple[str, str, str]] = {
    "brightwater": ("customer", "USD", "Brightwater Cycle Hire LLC"),
    "copperfield": ("customer", "USD", "Copperfield Couriers"),
    "juniper": ("customer", "USD", "Juniper Trail Tours"),
    "millbrook": ("customer", "USD", "Millbrook Community Workshop"),
    "nusantara": ("customer", "IDR", "PT Sepeda Nusantara Demo"),
    "rodajaya": ("customer", "IDR", "CV Roda Jaya Demo"),
    "kopigowes": ("customer", "IDR", "PT Kopi Gowes Demo"),
    "ashgrove": ("supplier", "USD", "Ashgrove Cycle Parts Wholesale"),
    "cendana": ("supplier", "IDR", "PT Cendana Logistik Demo"),
}
USD_INVOICES, IDR_INVOICES = 18, 12
CREDITED = 3  # the fourth invoice is credited in full (goods returned unused)
WRITTEN_OFF = 1  # the second invoice's customer went out of business
TAX_CODE = {"USD": "VAT-ZERO", "IDR": "ID-PPN"}
FILED_PERIOD = "12"


def _money(amount_minor: int) -> str:
    return format_amount(amount_minor, 2)


class DemoBilling:
    """The quarter's billing over ``business`` (its registry, payments,
    receipts, approvers) and ``warehouse`` (its goods receipts)."""

    def __init__(
        self,
        business: DemoBusiness,
        warehouse: DemoWarehouse,
        reports: ReportService | None,
    ) -> None:
        self.business = business
        self.company = business.company
        self.app = business.app
        self.warehouse = warehouse
        self.reports = reports
        self.year = business.year
        correlation = f"demo-{self.company.seed}"
        self.clerk = Context("demo:billing", correlation)
        self.billing = Billing(self.app, business.registry, business.payments, BillingPolicy())
        self.random = random.Random(f"{self.company.seed}-billing")
        self.filed: list[Filed] = []

    # --- ids -------------------------------------------------------------------

    def uuid(self, *parts: object) -> UUID:
        return uuid5(_NAMESPACE, self.company.key("billing", *parts))

    def subject(self, slug: str) -> UUID:
        kind = "customer" if PARTIES[slug][0] == "customer" else "payee"
        return subject_id_for(kind, self.company.key("billing-party", slug))

    def party(self, slug: str) -> UUID:
        return party_id_for(self.subject(slug))

    def day(self, month: int, day: int) -> str:
        return date(self.year, month, day).isoformat()

    def attempt(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return action(*args, **kwargs)
        except DomainError as refusal:
            refusals = self.company.refusals
            refusals[refusal.code] = refusals.get(refusal.code, 0) + 1
            return None

    # --- the quarter -------------------------------------------------------------

    def open(self) -> None:
        for code, name, kind, assets, flags in ACCOUNTS:
            with contextlib.suppress(AccountAlreadyExists):
                self.app.open_account(self.clerk, code, name, kind, assets, flags)
        for slug, (role, currency, name) in PARTIES.items():
            kind = "customer" if role == "customer" else "payee"
            with contextlib.suppress(SubjectAlreadyRegistered):
                self.business.registry.register_subject(
                    self.clerk, kind, {"name": name}, self.company.key("billing-party", slug)
                )
            with contextlib.suppress(PartyAlreadyOpened):
                self.billing.open_party(
                    self.clerk, roles=[role], currency=currency, payment_terms_days=30,
                    subject_id=self.subject(slug),
                )  # fmt: skip

    def run_quarter(self) -> None:
        self.open()
        plans = self._invoice_plans()
        for plan in plans:
            self._issue(plan)
        for plan in plans:
            self._collect(plan)
        [credited] = [plan for plan in plans if plan.get("fate") == "credit"]
        self._credit(credited["id"], self.day(credited["month"], 28))
        [written] = [plan for plan in plans if plan.get("fate") == "write_off"]
        invoice = self.billing.get_invoice(written["id"])
        if invoice.open_amount_minor and not invoice.written_off_minor:
            self.attempt(
                self.billing.write_off, self.clerk, written["id"],
                effective_date=self.day(12, 20), reason="Customer ceased trading; not collectable",
            )  # fmt: skip
        self._bills()
        for slug, asset in (("ashgrove", "USD"), ("cendana", "IDR")):
            for bill in sorted(self._bills_of(slug), key=lambda bill: bill.supplier_number):
                self._pay_bill(bill, asset, slug)
        self._file()

    def _invoice_plans(self) -> list[dict[str, Any]]:
        rnd = self.random
        usd = [s for s, (r, c, _n) in PARTIES.items() if r == "customer" and c == "USD"]
        idr = [s for s, (r, c, _n) in PARTIES.items() if r == "customer" and c == "IDR"]
        plans = []
        for currency, count, customers in (("USD", USD_INVOICES, usd), ("IDR", IDR_INVOICES, idr)):
            for n in range(count):
                month = 10 + n * 3 // count
                lines = []
                for k in range(rnd.randint(1, 3)):
                    if currency == "USD":
                        price = f"{rnd.randint(40, 260)}.{rnd.randint(0, 99):02d}"
                    else:
                        price = f"{rnd.randint(150, 4_500) * 1_000}.00"
                    lines.append({
                        "description": f"Parts and service, lot {n + 1}.{k + 1}",
                        "quantity": str(rnd.randint(1, 12)), "unit_price": price,
                        "tax_code": TAX_CODE[currency], "income_account": INCOME,
                    })  # fmt: skip
                roll = rnd.random()
                plans.append({
                    "id": self.uuid("invoice", currency, n), "currency": currency,
                    "customer": customers[n % len(customers)], "month": month,
                    "day": 3 + (n * 7) % 22, "lines": lines,
                    "paid": "full" if roll < 0.6 else "part" if roll < 0.85 else "none",
                })  # fmt: skip
        # USD plans come first: one to write off, one to credit, neither paid.
        plans[WRITTEN_OFF].update(paid="none", fate="write_off")
        plans[CREDITED].update(paid="none", fate="credit")
        plans.sort(key=lambda plan: (plan["month"], plan["day"], plan["currency"]))
        return plans

    def _issue(self, plan: dict[str, Any]) -> None:
        invoice_id = plan["id"]
        if find(self.app, invoice_id, object) is None:
            self.billing.draft_invoice(
                self.clerk, invoice_id=invoice_id, party_id=self.party(plan["customer"]),
                lines=plan["lines"], reference=f"SO-{invoice_id.hex[:6].upper()}",
            )  # fmt: skip
        if self.billing.get_invoice(invoice_id).status == DRAFT:
            self.billing.issue_invoice(
                self.clerk, invoice_id, issue_date=self.day(plan["month"], plan["day"])
            )

    def _collect(self, plan: dict[str, Any]) -> None:
        """A receipt quoting the invoice number: in full, or about half of it."""
        if plan["paid"] == "none":
            return
        invoice = self.billing.get_invoice(plan["id"])
        month = min(plan["month"] + 1, 12)
        amount = invoice.gross_total_minor
        if plan["paid"] == "part":
            amount = amount // 2 // 100 * 100 or amount  # about half, whole units
        receipt_id = self.uuid("receipt", plan["id"])
        receipts = self.business.receipts
        if find(self.app, receipt_id, object) is None:
            self.attempt(
                receipts.record, self.clerk, receipt_id=receipt_id, method="wire",
                amount=_money(amount), asset=invoice.currency, reference=invoice.number,
                value_date=self.day(month, min(plan["day"] + 5, 28)),
                payer_subject_id=UUID(invoice.subject_id), debit_account=COLLECTIONS,
                credit_account=self.billing.policy.receivables_account,
            )  # fmt: skip
        receipt = find(self.app, receipt_id, object)
        if receipt is not None and getattr(receipt, "status", None) == RECORDED:
            self.attempt(receipts.screen, self.clerk, receipt_id)
        remittance = find(self.app, self._remittance_id(receipt_id), object)
        if (
            remittance is None
            and getattr(find(self.app, receipt_id, object), "status", "") == "posted"
        ):
            self.attempt(self.billing.apply_receipt, self.clerk, receipt_id)

    def _remittance_id(self, source_id: UUID) -> UUID:
        return remittance_id_for(source_id)

    def _credit(self, invoice_id: UUID, on: str) -> None:
        note_id = self.uuid("credit-note", invoice_id)
        if find(self.app, note_id, object) is None:
            self.attempt(
                self.billing.issue_credit_note, self.clerk, credit_note_id=note_id,
                invoice_id=invoice_id, issue_date=on, reason="Goods returned unused",
            )  # fmt: skip

    def _bill_plans(self) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
        """(supplier, number, date, lines): a bill per receipt batch of the warehouse."""
        batches: dict[object, list[tuple[str, str]]] = {}
        for (sku, n), movement in sorted(self.warehouse.receipts.items(), key=str):
            batches.setdefault(n, []).append((sku, movement))
        by_id: dict[str, MovementOutcome] = {}
        for sku in wh.ITEMS:
            for recorded in self.warehouse.inventory.movements(sku):
                by_id[recorded.id] = recorded
        plans = []
        returned_sku, returned_qty = wh.RETURNED
        dates: dict[object, str] = {
            1: self.day(10, 9),
            2: self.day(10, 27),
            "late": self.day(12, 8),
        }
        for n, members in sorted(batches.items(), key=lambda kv: str(kv[0])):
            lines = []
            for sku, movement in members:
                outcome = by_id.get(movement)
                if outcome is None or outcome.value is None:
                    continue
                scale = wh.ITEMS[sku][2]
                value = outcome.value
                received = self.warehouse.received_qty[movement]
                if sku == returned_sku and n == 2:
                    # The two returned are not billed: the supplier's credit took them.
                    unit = value / received
                    received -= returned_qty * 10**scale
                    value -= round(returned_qty * 10**scale * unit)
                lines.append({
                    "description": f"{sku} ({wh.ITEMS[sku][0]})", "quantity": "1",
                    "unit_price": _money(value), "tax_code": "VAT-ZERO",
                    "goods_receipt": {
                        "receipt_id": movement,
                        "quantity": wh._decimal(received, scale),
                        "unit_price": _money(value),
                    },
                })  # fmt: skip
            if lines:
                plans.append(("ashgrove", f"ACP-{self.year}-{n}", dates[n], lines))
        plans.append((
            "cendana", f"CDL/{self.year}/11/0417", self.day(11, 18),
            [{"description": "Freight Surabaya-Jakarta, November", "quantity": "1",
              "unit_price": "4500000.00", "tax_code": "ID-PPN", "account": "Expenses:Freight"}],
        ))  # fmt: skip
        return plans

    def _bills(self) -> None:
        approvers = self.business.approvers
        for supplier, number, on, lines in self._bill_plans():
            bill_id = bill_id_for(self.party(supplier), number)
            if find(self.app, bill_id, object) is None:
                self.billing.receive_bill(
                    self.clerk, party_id=self.party(supplier), supplier_number=number,
                    bill_date=on, lines=lines,
                )  # fmt: skip
            for approver in approvers:
                bill = self.billing.get_bill(bill_id)
                if bill.posted or len(bill.approvers) >= bill.approvals_required:
                    break
                if approver.actor not in bill.approvers:
                    self.billing.approve_bill(approver, bill_id)

    def _bills_of(self, slug: str) -> list[Any]:
        party = str(self.party(slug))
        return [bill for bill in self.billing.bills() if bill.party_id == party]

    def _pay_bill(self, bill: Any, asset: str, slug: str) -> None:
        payment_id = self.uuid("bill-payment", bill.id)
        payments = self.business.payments
        if find(self.app, payment_id, object) is None:
            if not bill.posted or bill.open_amount_minor <= 0:
                return
            if self._funds(asset) < bill.open_amount_minor:
                return  # stays open: the AP aging shows it
            self.attempt(
                self.billing.request_bill_payment, self.clerk, bill.id, payment_id=payment_id,
                paying_account=COLLECTIONS, value_date=self.day(12, 15),
                payee_account={"iban": demo_iban(40 + sorted(PARTIES).index(slug))},
            )  # fmt: skip
        for _ in range(6):
            payment = find(self.app, payment_id, Payment)
            if payment is None:
                return
            status = payment.status
            if status == REQUESTED:
                self.attempt(payments.screen, self.business.treasury, payment_id)
            elif status == AWAITING_APPROVAL:
                approver = next(
                    a for a in self.business.approvers
                    if a.actor not in payment.current_approvers()
                )  # fmt: skip
                self.attempt(payments.approve, approver, payment_id)
            elif status == FUNDS_RESERVED:
                self.attempt(payments.submit, self.business.treasury, payment_id,
                             f"BNK-{payment_id.hex[:10]}")  # fmt: skip
            elif status == SUBMITTED:
                self.attempt(payments.settle, self.business.treasury, payment_id)
            elif status == SETTLED:
                if find(self.app, self._remittance_id(payment_id), object) is None:
                    self.attempt(self.billing.apply_payment, self.clerk, payment_id)
                return
            else:
                return

    def _funds(self, asset: str) -> int:
        total = 0
        for receipt in self.business.receipts.list_receipts("posted"):
            if receipt.debit_account == COLLECTIONS and receipt.asset == asset:
                total += receipt.amount_minor
        for payment in self.business.payments.list_payments():
            spent = payment.status in (FUNDS_RESERVED, SUBMITTED, SETTLED)
            if spent and payment.paying_account == COLLECTIONS and payment.asset == asset:
                total -= payment.amount_minor
        return total

    def _file(self) -> None:
        closing = self.day(12, 31)
        for name, parameters in (
            ("billing-ar-aging", {"as_of_date": closing}),
            ("billing-tax", {"period": f"{self.year}-{FILED_PERIOD}"}),
        ):
            filed = file_once(self.reports, self.clerk, self.uuid("filing", name), name, parameters)
            if filed is not None:
                self.filed.append(filed)

    # --- what it left ----------------------------------------------------------------

    def summary(self) -> BillingSummary:
        ours = {str(self.party(slug)) for slug in PARTIES}
        return billing_summary(self.billing, ours, self.filed)
