"""/v1/billing over HTTP on both backends: invoices issued with their number and
entry, duplicate bills refused writing nothing, four eyes on bills, allocation
of receipts and payments, undo, idempotent replay, refusals as problems."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.billing.open_items import OpenItems
from replay.verify import verify
from tests.api.support import ApiHarness
from tests.billing.api_support import (
    ISSUE_DATE,
    bill,
    bill_line,
    billing_api,
    draft,
    invoice_line,
    issued,
    party,
    posted_bill,
    receipt,
)


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with billing_api(database_url) as harness:
        yield harness


def problem_of(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code, body
    return dict(body)


def test_an_issued_invoice_has_its_number_and_entry(api: ApiHarness) -> None:
    customer = party(api)
    first = issued(api, customer["id"], invoice_line("100.00", "2"))
    second = issued(api, customer["id"])
    invoice = api.get(f"/v1/billing/invoices/{first}", "billing").json()
    assert invoice["status"] == "issued"
    assert invoice["number"] == "INV-2026-000001"
    assert api.get(f"/v1/billing/invoices/{second}", "billing").json()["number"].endswith("02")
    assert invoice["gross_total_minor"] == invoice["net_total_minor"] + invoice["tax_total_minor"]
    assert invoice["net_total_minor"] == 20000
    entry = api.get(f"/v1/journal-entries/{invoice['entry_id']}", "auditor").json()
    debits = [p for p in entry["postings"] if p["direction"] == "debit"]
    assert [p["account"] for p in debits] == ["Assets:Receivables"]
    balance = api.get("/v1/accounts/Assets:Receivables/balance", "auditor").json()
    assert "USD" in str(balance)
    listed = api.get("/v1/billing/invoices", "auditor", params={"party_id": customer["id"]}).json()
    assert {row["id"] for row in listed["invoices"]} == {first, second}
    items = api.get("/v1/billing/open-items", "approver", params={"side": "receivable"}).json()
    assert {row["document_id"] for row in items["open_items"]} == {first, second}


def test_an_issued_invoice_is_never_issued_again_and_the_refusal_writes_nothing(
    api: ApiHarness,
) -> None:
    invoice_id = issued(api, party(api)["id"])
    before = api.event_count()
    response = api.post(
        f"/v1/billing/invoices/{invoice_id}/issue", "billing", {"issue_date": ISSUE_DATE}
    )
    problem_of(response, 409, "invalid_invoice_transition")
    assert api.event_count() == before


def test_a_retry_under_the_same_key_is_answered_from_the_record(api: ApiHarness) -> None:
    customer = party(api)
    body = {"party_id": customer["id"], "lines": [invoice_line()]}
    first = api.post("/v1/billing/invoices", "billing", body, key="draft-1")
    assert first.status_code == 201, first.text
    after_first = api.event_count()
    again = api.post("/v1/billing/invoices", "billing", body, key="draft-1")
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotency-replayed"] == "true"
    assert api.event_count() == after_first
    other = {"party_id": customer["id"], "lines": [invoice_line("5.00")]}
    problem_of(
        api.post("/v1/billing/invoices", "billing", other, key="draft-1"),
        422,
        "idempotency_key_reused",
    )
    invoice_id = first.json()["id"]
    issue = {"issue_date": ISSUE_DATE}
    one = api.post(f"/v1/billing/invoices/{invoice_id}/issue", "billing", issue, key="iss-1")
    two = api.post(f"/v1/billing/invoices/{invoice_id}/issue", "billing", issue, key="iss-1")
    assert one.status_code == two.status_code == 200
    assert one.content == two.content


def test_a_credit_note_and_a_write_off(api: ApiHarness) -> None:
    customer = party(api)
    invoice_id = issued(api, customer["id"], invoice_line("100.00"), invoice_line("50.00"))
    credit = {"issue_date": ISSUE_DATE, "reason": "returned", "lines": [invoice_line("50.00")]}
    response = api.post(f"/v1/billing/invoices/{invoice_id}/credit-notes", "billing", credit)
    assert response.status_code == 201, response.text
    note = api.get(f"/v1/billing/credit-notes/{response.json()['id']}", "auditor").json()
    assert note["number"] == "CN-2026-000001"
    invoice = api.get(f"/v1/billing/invoices/{invoice_id}", "auditor").json()
    assert invoice["credited_minor"] == note["gross_total_minor"] > 0
    too_much = {"issue_date": ISSUE_DATE, "reason": "all of it"}
    before = api.event_count()
    problem_of(
        api.post(f"/v1/billing/invoices/{invoice_id}/credit-notes", "billing", too_much),
        409,
        "credit_exceeds_open_amount",
    )
    assert api.event_count() == before
    written = api.post(
        f"/v1/billing/invoices/{invoice_id}/write-off",
        "billing",
        {"effective_date": "2026-06-30", "reason": "customer insolvent"},
    )
    assert written.status_code == 200, written.text
    invoice = api.get(f"/v1/billing/invoices/{invoice_id}", "auditor").json()
    assert invoice["status"] == "written_off" and invoice["open_amount_minor"] == 0


def test_a_duplicate_supplier_bill_is_a_409_writing_nothing(api: ApiHarness) -> None:
    supplier = party(api, "supplier")
    bill(api, supplier["id"], number="ACME-7")
    before = api.event_count()
    body = {
        "party_id": supplier["id"],
        "supplier_number": "ACME-7",
        "bill_date": ISSUE_DATE,
        "lines": [bill_line("1.00")],
    }
    problem_of(api.post("/v1/billing/bills", "billing", body), 409, "duplicate_supplier_bill")
    assert api.event_count() == before


def test_bills_take_four_eyes(api: ApiHarness) -> None:
    supplier = party(api, "supplier")
    small = bill(api, supplier["id"], "100.00")
    large = bill(api, supplier["id"], "2000.00")  # above the policy's 1000.00 USD
    second_approver = api.issue("approver", "approver-two")
    clerk_as_approver = api.issue("approver", "billing-actor")  # the clerk who received them

    before = api.event_count()
    response = api.client.post(
        f"/v1/billing/bills/{small}/approve",
        headers=api.headers(token=clerk_as_approver, key="self-approval"),
    )
    problem_of(response, 409, "self_approval_refused")
    assert api.event_count() == before

    assert api.post(f"/v1/billing/bills/{small}/approve", "approver").json()["status"] == "posted"
    first = api.post(f"/v1/billing/bills/{large}/approve", "approver")
    assert first.json()["status"] == "received"
    assert api.get(f"/v1/billing/bills/{large}", "auditor").json()["status"] == "received"
    problem_of(
        api.post(f"/v1/billing/bills/{large}/approve", "approver"), 409, "duplicate_approver"
    )
    second = api.client.post(
        f"/v1/billing/bills/{large}/approve",
        headers=api.headers(token=second_approver, key="second"),
    )
    assert second.status_code == 200 and second.json()["status"] == "posted"
    posted = api.get(f"/v1/billing/bills/{large}", "auditor").json()
    assert posted["status"] == "posted" and posted["entry_id"]
    assert len(posted["approvers"]) == 2
    problem_of(api.post(f"/v1/billing/bills/{small}/approve", "billing"), 403, "forbidden")


def test_a_receipt_is_allocated_and_undone(api: ApiHarness) -> None:
    customer = party(api)
    older = issued(api, customer["id"], invoice_line("100.00"), date="2026-03-01")
    newer = issued(api, customer["id"], invoice_line("100.00"), date="2026-03-05")
    gross = api.get(f"/v1/billing/invoices/{older}", "auditor").json()["gross_total_minor"]
    amount = f"{(gross + 1000) // 100}.{(gross + 1000) % 100:02d}"
    receipt_id = receipt(api, customer["subject_id"], amount)

    applied = api.post(f"/v1/billing/allocations/receipts/{receipt_id}", "billing")
    assert applied.status_code == 200, applied.text
    remittance_id = applied.json()["id"]
    assert api.get(f"/v1/billing/invoices/{older}", "auditor").json()["status"] == "paid"
    partly = api.get(f"/v1/billing/invoices/{newer}", "auditor").json()
    assert partly["status"] == "partially_paid" and partly["allocated_minor"] == 1000
    before = api.event_count()
    problem_of(
        api.post(f"/v1/billing/allocations/receipts/{receipt_id}", "billing"),
        409,
        "nothing_to_allocate",
    )
    assert api.event_count() == before

    remittance = api.get(f"/v1/billing/remittances/{remittance_id}", "auditor").json()
    (allocation_id,) = remittance["allocations"]
    undone = api.post(
        f"/v1/billing/remittances/{remittance_id}/allocations/{allocation_id}/undo",
        "billing",
        {"reason": "wrong customer"},
    )
    assert undone.status_code == 200, undone.text
    assert api.get(f"/v1/billing/invoices/{older}", "auditor").json()["status"] == "issued"
    by_hand = {"allocations": [{"document_id": newer, "amount": "5.00"}]}
    again = api.post(f"/v1/billing/allocations/receipts/{receipt_id}", "billing", by_hand)
    assert again.status_code == 200, again.text
    assert api.get(f"/v1/billing/invoices/{newer}", "auditor").json()["allocated_minor"] == 500
    over = {"allocations": [{"document_id": newer, "amount": "10000.00"}]}
    before = api.event_count()
    response = api.post(f"/v1/billing/allocations/receipts/{receipt_id}", "billing", over)
    assert response.status_code == 422, response.text
    assert api.event_count() == before
    report = verify(api.system.database, OpenItems.name)
    assert report.ok, report.findings


def test_a_bill_is_paid_through_payments_and_the_payment_applied(api: ApiHarness) -> None:
    supplier = party(api, "supplier")
    bill_id = posted_bill(api, supplier["id"], "100.00")
    pay = {
        "paying_account": "Assets:Bank",
        "value_date": ISSUE_DATE,
        "payee_account": {"iban": "DE89 3704 0044 0532 0130 00"},
    }
    response = api.post(f"/v1/billing/bills/{bill_id}/payments", "billing", pay)
    assert response.status_code == 201, response.text
    payment_id = response.json()["id"]
    assert api.get(f"/v1/payments/{payment_id}").json()["status"] == "awaiting_approval"
    assert api.post(f"/v1/payments/{payment_id}/approve", "approver", {}).status_code == 200
    submit = {"bank_reference": "BNK-1"}
    assert api.post(f"/v1/payments/{payment_id}/submit", "poster", submit).status_code == 200
    assert api.post(f"/v1/payments/{payment_id}/settle", "poster").status_code == 200
    applied = api.post(f"/v1/billing/allocations/payments/{payment_id}", "billing")
    assert applied.status_code == 200, applied.text
    assert api.get(f"/v1/billing/bills/{bill_id}", "auditor").json()["status"] == "paid"
    items = api.get("/v1/billing/open-items", "auditor", params={"side": "payable"}).json()
    assert items["open_items"] == []
    report = verify(api.system.database, OpenItems.name)  # control accounts = open items
    assert report.ok, report.findings


def test_parties_and_reads(api: ApiHarness) -> None:
    customer = party(api)
    read = api.get(f"/v1/billing/parties/{customer['id']}", "billing").json()
    assert read["roles"] == ["customer"] and read["payment_terms_days"] == 30
    assert "name" not in str(read)
    changed = api.post(
        f"/v1/billing/parties/{customer['id']}/changes", "billing", {"payment_terms_days": 14}
    )
    assert changed.status_code == 200, changed.text
    assert api.get(f"/v1/billing/parties/{customer['id']}").json()["payment_terms_days"] == 14
    problem_of(
        api.get("/v1/billing/invoices/00000000-0000-0000-0000-000000000001", "billing"),
        404,
        "unknown_invoice",
    )
    draft_id = draft(api, customer["id"])
    assert api.get(f"/v1/billing/invoices/{draft_id}").json()["number"] is None
    problem_of(api.get("/v1/billing/invoices", "poster"), 403, "forbidden")
