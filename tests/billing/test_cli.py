"""``backoffice billing ...`` on both backends: invoices, bills, open items and
aging, as tables and as JSON."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from backoffice.cli.main import app
from backoffice.container import build_system
from tests.billing.support import APPROVER_1, CLERK, issued_invoice, line, open_books


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_billing_commands(database_url: str) -> None:
    system = build_system(database_url)
    try:
        books = open_books(system)
        invoice_id = issued_invoice(books, line(unit_price="100.00"), issue_date="2026-01-10")
        bill_id, _ = books.billing.receive_bill(
            CLERK,
            party_id=books.supplier,
            supplier_number="ACME-9",
            bill_date="2026-01-12",
            lines=[{"description": "Paper", "quantity": "1", "unit_price": "10.00",
                    "tax_code": "VAT-STD", "account": "Expenses:Supplies"}],
        )  # fmt: skip
        books.billing.approve_bill(APPROVER_1, bill_id)
    finally:
        system.close()
    db = ("--database", database_url)

    code, out = run("billing", "invoices", "--json", *db)
    assert code == 0, out
    (invoice,) = orjson.loads(out)
    assert invoice["id"] == str(invoice_id) and invoice["number"] == "INV-2026-000001"
    code, out = run("billing", "invoices", *db)
    assert code == 0 and "invoice" in out  # a table (as wide as the terminal)
    code, out = run("billing", "invoice", str(invoice_id), "--json", *db)
    assert code == 0 and orjson.loads(out)["status"] == "issued"
    code, out = run("billing", "bills", "--status", "posted", "--json", *db)
    assert code == 0 and [b["supplier_number"] for b in orjson.loads(out)] == ["ACME-9"]
    code, out = run("billing", "bill", str(bill_id), *db)
    assert code == 0 and "ACME-9" in out
    code, out = run("billing", "open-items", "--json", *db)
    assert code == 0
    assert {row["side"] for row in orjson.loads(out)["open_items"]} == {"receivable", "payable"}

    code, out = run("billing", "aging", "--as-of", "2026-03-20", "--json", *db)
    assert code == 0, out
    aging = orjson.loads(out)
    (customer, total) = aging["rows"]
    assert customer["days_31_60"] == "120.00" and total["party_id"] == "(total)"
    code, out = run("billing", "aging", "--side", "payable", "--as-of", "2026-03-20", "--json", *db)
    assert code == 0 and orjson.loads(out)["rows"][0]["days_31_60"] == "12.00"
    code, out = run("billing", "aging", "--as-of", "2026-03-20", *db)
    assert code == 0 and "billing-ar-aging" in out
    code, out = run("billing", "invoice", "not-a-uuid", *db)
    assert code == 2
    code, out = run("billing", "bill", "00000000-0000-0000-0000-000000000001", *db)
    assert code == 2 and "unknown_bill" in out
