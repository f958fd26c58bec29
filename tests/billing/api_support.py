"""The billing API over a fresh store: the billing chart, a clear screening,
the test policies, and builders of parties, invoices, bills and receipts made
over HTTP (the billing clerk writes, the approvers approve)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast
from uuid import uuid4

from fastapi import FastAPI

from tests.api.support import ApiHarness, running_api
from tests.billing.support import CHART, PAYMENT_POLICY, POLICY, ClearScreening, fund

ISSUE_DATE = "2026-03-10"


@contextmanager
def billing_api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url) as api:
        state = cast(FastAPI, api.client.app).state
        state.screening_port = ClearScreening()
        state.payment_policy = PAYMENT_POLICY
        state.billing_policy = POLICY
        open_billing_chart(api)
        yield api


def open_billing_chart(api: ApiHarness) -> None:
    from tests.billing.support import SETUP

    for code, kind, assets, flags in CHART:
        api.system.app.open_account(SETUP, code, code, kind, assets, flags)
    fund(api.system, "100000.00", "USD")


def invoice_line(unit_price: str = "100.00", quantity: str = "1") -> dict[str, str]:
    return {
        "description": "Consulting",
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_code": "VAT-STD",
        "income_account": "Income:Sales",
    }


def bill_line(unit_price: str = "100.00") -> dict[str, str]:
    return {
        "description": "Paper",
        "quantity": "1",
        "unit_price": unit_price,
        "tax_code": "VAT-STD",
        "account": "Expenses:Supplies",
    }


def party(api: ApiHarness, role: str = "customer", *, terms: int = 30) -> dict[str, Any]:
    reference = f"{role[:4].upper()}-{uuid4().hex[:8]}"
    body = {
        "roles": [role],
        "currency": "USD",
        "payment_terms_days": terms,
        "details": {"name": f"{role} {reference}", "reference": reference},
    }
    response = api.post("/v1/billing/parties", "billing", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def draft(api: ApiHarness, party_id: str, *lines: dict[str, str]) -> str:
    body = {"party_id": party_id, "lines": list(lines) or [invoice_line()]}
    response = api.post("/v1/billing/invoices", "billing", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def issued(api: ApiHarness, party_id: str, *lines: dict[str, str], date: str = ISSUE_DATE) -> str:
    invoice_id = draft(api, party_id, *lines)
    response = api.post(f"/v1/billing/invoices/{invoice_id}/issue", "billing", {"issue_date": date})
    assert response.status_code == 200, response.text
    return invoice_id


def bill(api: ApiHarness, party_id: str, amount: str = "100.00", number: str = "") -> str:
    body = {
        "party_id": party_id,
        "supplier_number": number or f"SUP-{uuid4().hex[:8]}",
        "bill_date": ISSUE_DATE,
        "lines": [bill_line(amount)],
    }
    response = api.post("/v1/billing/bills", "billing", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def posted_bill(api: ApiHarness, party_id: str, amount: str = "100.00") -> str:
    bill_id = bill(api, party_id, amount)
    response = api.post(f"/v1/billing/bills/{bill_id}/approve", "approver")
    assert response.status_code == 200, response.text
    return bill_id


def receipt(api: ApiHarness, subject_id: str, amount: str, reference: str = "") -> str:
    body = {
        "method": "wire",
        "payer_subject_id": subject_id,
        "amount": amount,
        "asset": "USD",
        "reference": reference or f"RCPT-{uuid4().hex[:8]}",
        "value_date": ISSUE_DATE,
        "debit_account": "Assets:Bank",
        "credit_account": "Assets:Receivables",
    }
    response = api.post("/v1/receipts", "poster", body)
    assert response.status_code == 201, response.text
    receipt_id = str(response.json()["id"])
    assert api.get(f"/v1/receipts/{receipt_id}").json()["status"] == "posted"
    return receipt_id


# --- fresh billing documents for the role matrix (tests/api/test_roles.py) ---------------

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"


class MatrixBilling:
    """Fresh billing parties and documents in a given state, made over HTTP in the
    role matrix's world (the real screening, the default policies, the treasury
    account of ``tests.payments.support.open_payment_books``)."""

    def __init__(self, api: ApiHarness, paying_account: str) -> None:
        self.api = api
        self.paying_account = paying_account
        self._customer: dict[str, Any] | None = None
        self._supplier: dict[str, Any] | None = None
        self._opened = False

    def open_chart(self) -> None:
        """The billing accounts the matrix's USD chart lacks."""
        import contextlib

        from domain.kernel.context import Context
        from domain.kernel.errors import DomainError

        if self._opened:
            return
        app = self.api.system.app
        setup = Context("matrix-setup", "corr-matrix-setup")
        for code, kind, _assets, flags in CHART:
            if code.startswith("Assets:Tax:PPN") or code.startswith("Liabilities:Tax:PPN"):
                continue
            with contextlib.suppress(DomainError):
                app.open_account(setup, code, code, kind, ["USD"], flags)
        self._opened = True

    def customer(self) -> dict[str, Any]:
        self.open_chart()
        if self._customer is None:
            self._customer = party(self.api)
        return self._customer

    def supplier(self) -> dict[str, Any]:
        self.open_chart()
        if self._supplier is None:
            self._supplier = party(self.api, "supplier")
        return self._supplier

    def draft(self) -> str:
        return draft(self.api, self.customer()["id"])

    def invoice(self) -> str:
        return issued(self.api, self.customer()["id"])

    def credit_note(self) -> str:
        invoice_id = self.invoice()
        body = {"issue_date": ISSUE_DATE, "reason": "matrix"}
        response = self.api.post(f"/v1/billing/invoices/{invoice_id}/credit-notes", "billing", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def bill(self) -> str:
        return bill(self.api, self.supplier()["id"], "10.00")

    def posted_bill(self) -> str:
        return posted_bill(self.api, self.supplier()["id"], "10.00")

    def bill_body(self) -> dict[str, Any]:
        return {
            "party_id": self.supplier()["id"],
            "supplier_number": f"SUP-{uuid4().hex[:10]}",
            "bill_date": ISSUE_DATE,
            "lines": [bill_line("3.00")],
        }

    def pay_body(self) -> dict[str, Any]:
        return {
            "paying_account": self.paying_account,
            "value_date": ISSUE_DATE,
            "payee_account": {"iban": GOOD_IBAN},
        }

    def receipt(self, amount: str = "5.00") -> str:
        """A fresh posted receipt of the customer, with an invoice open to take it."""
        self.invoice()
        return receipt(self.api, self.customer()["subject_id"], amount)

    def remittance(self) -> tuple[str, str]:
        """A fresh receipt's remittance and its one allocation."""
        receipt_id = self.receipt()
        response = self.api.post(f"/v1/billing/allocations/receipts/{receipt_id}", "billing")
        assert response.status_code == 200, response.text
        remittance_id = str(response.json()["id"])
        shown = self.api.get(f"/v1/billing/remittances/{remittance_id}", "auditor").json()
        (allocation_id,) = shown["allocations"]
        return remittance_id, str(allocation_id)

    def settled_bill_payment(self) -> str:
        bill_id = self.posted_bill()
        response = self.api.post(
            f"/v1/billing/bills/{bill_id}/payments", "billing", self.pay_body()
        )
        assert response.status_code == 201, response.text
        payment_id = str(response.json()["id"])
        self._settle(payment_id)
        return payment_id

    def _settle(self, payment_id: str) -> None:
        for step, role, body in (
            ("approve", "approver", {}),
            ("submit", "poster", {"bank_reference": f"BNK-{uuid4().hex[:12]}"}),
            ("settle", "poster", None),
        ):
            response = self.api.post(f"/v1/payments/{payment_id}/{step}", role, body)
            assert response.status_code == 200, (step, response.text)

    def refund(self) -> tuple[str, dict[str, str]]:
        """A receipt's remittance with credit left, and the body naming a settled
        refund payment of that credit to the customer through receivables."""
        self.open_chart()
        customer = party(self.api)  # no open invoice: the receipt stays as credit
        receipt_id = receipt(self.api, customer["subject_id"], "4.00")
        response = self.api.post(f"/v1/billing/allocations/receipts/{receipt_id}", "billing")
        assert response.status_code == 200, response.text
        remittance_id = str(response.json()["id"])
        body = {
            "payee_subject_id": customer["subject_id"],
            "payee_account": {"iban": GOOD_IBAN},
            "amount": "4.00",
            "asset": "USD",
            "value_date": ISSUE_DATE,
            "purpose": "Refund of credit",
            "paying_account": self.paying_account,
            "clearing_account": "Assets:Receivables",
        }
        requested = self.api.post("/v1/payments", "poster", body)
        assert requested.status_code == 201, requested.text
        payment_id = str(requested.json()["id"])
        self._settle(payment_id)
        return remittance_id, {"payment_id": payment_id}
