"""Console test helpers: sign a TestClient in with a role's token; read a form's hidden fields."""

from __future__ import annotations

import re
from typing import Any

from tests.api.support import ApiHarness

HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def hidden_fields(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


def sign_in(api: ApiHarness, role: str) -> Any:
    """Sign the harness's client in as ``role``; the client keeps the session cookie."""
    client = api.client
    client.cookies.clear()
    form = client.get("/console/sign-in")
    assert form.status_code == 200, form.text
    fields = hidden_fields(form.text)
    response = client.post(
        "/console/sign-in",
        data={"csrf_token": fields["csrf_token"], "next": "/console", "token": api.tokens[role]},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response


def csrf_of(api: ApiHarness, page: str = "/console") -> str:
    return hidden_fields(api.client.get(page).text)["csrf_token"]


SCRIPT_DESCRIPTION = '<script>alert("pwned")</script> rent'
ERASED_NAME = "Ada Quillfeather"
LISTED_PAYEE = "Anatol Kestrel"


def seed(api: ApiHarness) -> dict[str, Any]:
    """A small company: the USD chart, entries (one described with a <script>), a sanctions
    list, a payment to a listed payee (held, with its open case), an erased data subject."""
    from tests.api.support import open_usd_chart
    from tests.payments.support import api_payment_body, open_payment_books
    from tests.sanctions.test_sanctions import ALT, SDN
    from tests.subjects.test_subjects import ADA

    open_usd_chart(api)
    open_payment_books(api)
    entries = []
    for day, amount, description in (
        ("2026-01-05", "1500.00", "Capital paid in"),
        ("2026-01-20", "400.00", SCRIPT_DESCRIPTION),
        ("2026-02-03", "250.00", "Sale of widgets"),
    ):
        debit, credit = (
            ("Assets:Bank", "Equity:Capital")
            if amount == "1500.00"
            else ("Expenses:Rent", "Assets:Bank")
            if amount == "400.00"
            else ("Assets:Bank", "Income:Sales")
        )
        body = {
            "effective_date": day,
            "description": description,
            "reference": f"REF-{len(entries) + 1}",
            "postings": [
                {"account": debit, "direction": "debit", "amount": amount, "asset": "USD"},
                {"account": credit, "direction": "credit", "amount": amount, "asset": "USD"},
            ],
        }
        response = api.post("/v1/journal-entries", "poster", body)
        assert response.status_code == 201, response.text
        entries.append(response.json()["id"])
    loaded = api.post(
        "/v1/sanctions/lists",
        "compliance",
        {"source": "test list", "sdn_csv": SDN.decode(), "alt_csv": ALT.decode()},
    )
    assert loaded.status_code == 201, loaded.text
    payment = api.post(
        "/v1/payments",
        "poster",
        api_payment_body(payee={"name": LISTED_PAYEE, "reference": "VENDOR-LISTED"}),
    )
    assert payment.status_code in (200, 201), payment.text
    subject = api.post(
        "/v1/subjects", "admin", {"reference": "EMP-0001", "kind": "employee", "fields": ADA}
    )
    assert subject.status_code == 201, subject.text
    subject_id = (
        subject.json()["subject_id"] if "subject_id" in subject.json() else subject.json()["id"]
    )
    erased = api.post(f"/v1/subjects/{subject_id}/erasure", "admin", {"reason": "request"})
    assert erased.status_code == 200, erased.text
    return {"entries": entries, "payment_id": payment.json()["id"], "subject_id": subject_id}
