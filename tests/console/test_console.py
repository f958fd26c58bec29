"""The console over HTTP: sessions, CSRF, headers, escaping, roles, audited reads, PDFs."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from api.console.web import CONTENT_SECURITY_POLICY
from tests.api.support import ApiHarness, running_api
from tests.console.support import (
    ERASED_NAME,
    SCRIPT_DESCRIPTION,
    csrf_of,
    hidden_fields,
    seed,
    sign_in,
)

PAGES = (
    "/console",
    "/console/accounts",
    "/console/accounts?as_of=2026-01-31&asset=USD",
    "/console/ledger?account=Assets:Bank",
    "/console/ledger?account=Expenses:Rent&from=2026-01-01&to=2026-01-31",
    "/console/statements/trial-balance",
    "/console/statements/balance-sheet",
    "/console/statements/income-statement?period=2026-01",
    "/console/reports",
    "/console/reports/audit-extract?run=1&period=2026-01",
    "/console/compliance",
    "/console/audit",
    "/console/entities?id=Assets:Bank",
)


@pytest.fixture
def api(database_url: str) -> Iterator[tuple[ApiHarness, dict[str, Any]]]:
    with running_api(database_url) as harness:
        yield harness, seed(harness)


def text_of_pdf(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_every_page_renders_with_the_security_headers(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "auditor")
    for page in PAGES:
        response = harness.client.get(page)
        assert response.status_code == 200, (page, response.text[-500:])
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "<script>" not in response.text  # only <script src=...> of our own file
        assert not re.search(r"(src|href)=\"(https?:)?//", response.text), page


def test_no_asset_or_page_names_an_external_url(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    for name in ("console.css", "console.js"):
        response = harness.client.get(f"/console/static/{name}")
        assert response.status_code == 200
        assert "http" not in response.text
    assert harness.client.get("/console/static/..%2Fsession.py").status_code == 404


def test_a_session_cookie_is_httponly_strict_and_scoped(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    response = sign_in(harness, "auditor")
    cookie = response.headers["set-cookie"]
    assert "bo_console=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/console" in cookie and "Max-Age=14400" in cookie
    assert "Secure" not in cookie  # development; production sets it (next test)


def test_in_production_the_session_cookie_is_secure(sqlite_url: str) -> None:
    with running_api(sqlite_url, environment="production", secret="s" * 48) as harness:
        assert "Secure" in harness.client.get("/console/sign-in").headers["set-cookie"]


def test_without_a_session_a_page_sends_the_browser_to_sign_in(
    api: tuple[ApiHarness, Any],
) -> None:
    harness, _ = api
    response = harness.client.get("/console/accounts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=%2Fconsole%2Faccounts"


def test_a_wrong_token_is_refused_and_recorded(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    form = hidden_fields(harness.client.get("/console/sign-in").text)
    before, access_before = harness.event_count(), harness.access_count()
    response = harness.client.post(
        "/console/sign-in", data={"csrf_token": form["csrf_token"], "token": "bo_nonsense"}
    )
    assert response.status_code == 401
    assert "malformed" in response.text or "not" in response.text
    # the access record only, in the access log: the business log is untouched
    assert (harness.event_count(), harness.access_count()) == (before, access_before + 1)


def test_sign_in_needs_its_form_token(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    harness.client.get("/console/sign-in")
    response = harness.client.post(
        "/console/sign-in", data={"csrf_token": "forged", "token": harness.tokens["auditor"]}
    )
    assert response.status_code == 403


def test_a_post_without_the_csrf_token_is_refused(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "auditor")
    assert harness.client.post("/console/verify", data={"other": "1"}).status_code == 403
    assert harness.client.post("/console/verify", data={"csrf_token": "x" * 64}).status_code == 403
    verified = harness.client.post("/console/verify", data={"csrf_token": csrf_of(harness)})
    assert verified.status_code == 200 and 'data-figure="chain">intact' in verified.text


def test_every_post_form_carries_a_csrf_token(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "compliance")
    for page in (*PAGES, "/console/reports/trial-balance?run=1"):
        html = harness.client.get(page).text
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            assert 'name="csrf_token"' in form, (page, form[:200])


def test_every_input_has_a_label(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "compliance")
    for page in (*PAGES, "/console/sign-in"):
        html = harness.client.get(page).text
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select)\b[^>]*>", html):
            if 'type="hidden"' in tag:
                continue
            found = re.search(r'id="([^"]+)"', tag)
            assert found and found.group(1) in labelled, (page, tag)


def test_sign_out_ends_the_session(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "auditor")
    session = harness.client.cookies.get("bo_console")
    response = harness.client.post(
        "/console/sign-out", data={"csrf_token": csrf_of(harness)}, follow_redirects=False
    )
    assert response.status_code == 303 and 'bo_console=""' in response.headers["set-cookie"]
    harness.client.cookies.set("bo_console", session or "", path="/console")
    assert harness.client.get("/console", follow_redirects=False).status_code == 303


def test_a_script_in_a_description_is_inert_on_every_page_that_shows_it(
    api: tuple[ApiHarness, Any],
) -> None:
    harness, seeded = api
    sign_in(harness, "auditor")
    rent_entry = seeded["entries"][1]
    pages = (
        "/console/ledger?account=Assets:Bank",
        "/console/ledger?account=Expenses:Rent",
        f"/console/entries/{rent_entry}",
        f"/console/entities/{rent_entry}",
        f"/console/audit?entity_id={rent_entry}",
    )
    for page in pages:
        html = harness.client.get(page).text
        assert "<script>alert" not in html, page
        assert "&lt;script&gt;alert(" in html or "&lt;script&gt;" in html, page
    assert SCRIPT_DESCRIPTION not in harness.client.get(pages[0]).text


def test_no_personal_data_of_an_erased_subject_on_any_page(api: tuple[ApiHarness, Any]) -> None:
    harness, seeded = api
    sign_in(harness, "auditor")
    subject = seeded["subject_id"]
    surname = ERASED_NAME.split()[-1]
    for page in (*PAGES, f"/console/entities/{subject}", f"/console/audit?entity_id={subject}"):
        assert surname not in harness.client.get(page).text, page


def test_a_role_without_the_right_sees_a_403_page_and_it_is_recorded(
    api: tuple[ApiHarness, Any],
) -> None:
    harness, _ = api
    sign_in(harness, "poster")
    before, access_before = harness.event_count(), harness.access_count()
    response = harness.client.get("/console/audit")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "role poster may not audit:read" in response.text
    # the access record only, in the access log: the business log is untouched
    assert (harness.event_count(), harness.access_count()) == (before, access_before + 1)


def test_every_page_view_is_an_audited_read(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "auditor")
    before, access_before = harness.event_count(), harness.access_count()
    assert harness.client.get("/console/accounts").status_code == 200
    # One audited read, in the access log; the business log does not move with reads.
    assert (harness.event_count(), harness.access_count()) == (before, access_before + 1)
    access_log = harness.client.app.state.backoffice.access.access_log  # type: ignore[attr-defined]
    (recorded,) = access_log.entries(after=access_before)
    assert recorded.entry.detail == "console: chart of accounts"


def test_the_ledger_page_shows_the_apis_figures(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "auditor")
    page = harness.client.get("/console/ledger?account=Assets:Bank").text
    position = re.search(r'data-figure="as-of-position">(\d+)<', page)
    assert position is not None
    ledger = harness.get(
        f"/v1/accounts/Assets:Bank/ledger?as_of_position={position.group(1)}"
    ).json()
    assert f'data-figure="closing">{ledger["closing_balance"]}<' in page
    running = re.findall(r"data-running>([-0-9.]+)<", page)
    assert running == [posting["running_balance"] for posting in ledger["postings"]]
    assert "<svg" in page and "<polyline" in page


def test_the_api_ledger_states_its_page_size_limit(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    assert harness.get("/v1/accounts/Assets:Bank/ledger?limit=501").status_code == 422
    page = harness.get("/v1/accounts/Assets:Bank/ledger?limit=1").json()
    assert page["page_size_max"] == 500 and page["next_cursor"] is not None
    rest = harness.get(f"/v1/accounts/Assets:Bank/ledger?cursor={page['next_cursor']}").json()
    assert rest["closing_balance"] == page["closing_balance"]
    assert rest["postings"][-1]["running_balance"] == rest["closing_balance"]


def test_a_statement_pdf_carries_the_figures_and_position(api: tuple[ApiHarness, Any]) -> None:
    harness, _ = api
    sign_in(harness, "auditor")
    response = harness.client.get("/console/ledger/statement.pdf?account=Assets:Bank")
    assert response.headers["content-type"] == "application/pdf"
    text = text_of_pdf(response.content).replace("\n", " ")
    position = re.search(r"As of log position (\d+)", text)
    assert position is not None
    ledger = harness.get(f"/v1/accounts/Assets:Bank/ledger?as_of_position={position[1]}").json()
    assert "Account statement: Assets:Bank" in text
    assert f"Closing balance {ledger['closing_balance']}" in text and "Capital paid in" in text


@pytest.mark.parametrize(
    "report", ["trial-balance", "balance-sheet", "audit-extract", "large-cash"]
)
def test_a_report_pdf_carries_position_digest_and_provenance(
    api: tuple[ApiHarness, Any], report: str
) -> None:
    harness, _ = api
    sign_in(harness, "compliance")
    query = {"large-cash": "period=2026-01&jurisdiction=US", "audit-extract": "period=2026-01"}.get(
        report, ""
    )
    response = harness.client.get(f"/console/reports/{report}/download?format=pdf&{query}")
    assert response.status_code == 200, response.text[-400:]
    position = response.headers["x-report-as-of-position"]
    summary = harness.get(
        f"/v1/reports/{report}?format=provenance&as_of_position={position}&{query}",
        "compliance",
    ).json()
    text = text_of_pdf(response.content).replace("\n", " ")
    assert summary["digest"] in text
    assert f"As of log position {position}" in text
    assert "Generated from" in text


def test_a_compliance_officer_clears_a_held_payment(api: tuple[ApiHarness, Any]) -> None:
    harness, seeded = api
    sign_in(harness, "compliance")
    page = harness.client.get("/console/compliance").text
    action = f"/console/compliance/payments/{seeded['payment_id']}"
    form = re.search(rf'action="{action}".*?</form>', page, re.S)
    assert form is not None
    fields = hidden_fields(form.group(0))
    data = {**fields, "decision": "clear", "reason": "not the listed person"}
    decided = harness.client.post(action, data=data)
    assert decided.status_code == 200 and "Decision recorded" in decided.text
    payment = harness.get(f"/v1/payments/{seeded['payment_id']}", "compliance").json()
    assert payment["status"] != "held"
    head = harness.event_count()
    again = harness.client.post(action, data=data, follow_redirects=False)  # replayed
    assert again.status_code == 303 and harness.event_count() == head


def test_an_auditor_may_read_the_queue_but_not_decide(api: tuple[ApiHarness, Any]) -> None:
    harness, seeded = api
    sign_in(harness, "auditor")
    assert "compliance decides" in harness.client.get("/console/compliance").text
    action = f"/console/compliance/payments/{seeded['payment_id']}"
    response = harness.client.post(action, data={"decision": "clear", "reason": "x"})
    assert response.status_code == 403
