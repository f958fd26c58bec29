"""/v1/payroll over HTTP on both backends: the calculator writes nothing and names
the field of bad input; employees and runs go through the one write path (four
eyes, idempotent replay, refusals that write nothing); answers hold no personal
data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from domain.payments.statuses import FUNDS_RESERVED
from domain.payroll.payouts import payout_id
from tests.api.support import ApiHarness, new_key, running_api
from tests.payroll.support import id_body, us_body
from tests.payroll.workplace import US_CODES, Desk, open_company

CALCULATIONS = "/v1/payroll/calculations"


@dataclass
class PayrollApi:
    api: ApiHarness
    desk: Desk

    def count(self) -> int:
        return self.api.event_count()


@pytest.fixture
def payroll_api(database_url: str) -> Iterator[PayrollApi]:
    with running_api(database_url) as api:
        desk = open_company(api.system)  # the chart and a funded bank
        state = api.client.app.state  # type: ignore[attr-defined]
        state.screening_port = desk.screening
        state.payment_policy = desk.payroll.payment_policy
        state.payroll_policy = desk.payroll.policy
        yield PayrollApi(api, desk)


def _line(result: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [item for item in result["lines"] if item["code"] == code]
    assert len(found) == 1, code
    return found[0]


# --- the calculator ---------------------------------------------------------------


def test_the_calculator_answers_the_publications_figure_and_writes_nothing(
    payroll_api: PayrollApi,
) -> None:
    api = payroll_api.api
    before = payroll_api.count()
    body = us_body(pay_frequency="monthly", earnings=[{"code": "regular", "amount": "3000.00"}])
    response = api.client.post(CALCULATIONS, json=body, headers=api.headers("payroll"))
    assert response.status_code == 200, response.text
    result = response.json()
    # Pub. 15 (2025) section 7, Example 2: monthly 3,000.00, single: Worksheet 1A 190.13.
    assert _line(result, "federal_income_tax")["amount"] == "190.13"
    assert _line(result, "social_security")["amount"] == "186.00"  # 6.2%
    assert _line(result, "medicare")["amount"] == "43.50"  # 1.45%
    assert result["gross"] == "3000.00"
    assert result["net"] == "2580.37"
    assert {item["code"] for item in result["lines"]} >= set(US_CODES)
    # An Idempotency-Key sent is ignored; the approver and the auditor may calculate too.
    for role in ("approver", "auditor"):
        again = api.client.post(CALCULATIONS, json=body, headers=api.headers(role, new_key()))
        assert again.status_code == 200 and again.json() == result
        assert "idempotency-replayed" not in again.headers
    indonesian = api.client.post(CALCULATIONS, json=id_body(), headers=api.headers("payroll"))
    assert indonesian.status_code == 200, indonesian.text
    assert _line(indonesian.json(), "pph21")["amount"] == "125448.00"  # TER A 1.5% of 8,363,200
    assert payroll_api.count() == before  # not even a request record


def test_the_calculator_is_refused_to_roles_outside_payroll(payroll_api: PayrollApi) -> None:
    api = payroll_api.api
    for role in ("poster", "compliance", "admin"):
        response = api.client.post(CALCULATIONS, json=us_body(), headers=api.headers(role))
        assert response.status_code == 403, response.text


BAD_INPUTS = [
    (us_body(earnings=[{"code": "regular", "amount": "-1.00"}]), "earnings[0].amount"),
    (us_body(earnings=[{"code": "regular", "amount": "1.234"}]), "earnings[0].amount"),
    (us_body(earnings=[{"code": "tips", "amount": "1.00"}]), "earnings[0].code"),
    (us_body(earnings=[{"code": "regular", "amount": 100}]), "earnings[0].amount"),
    (
        us_body(tax_profile={"filing_status": "widowed", "w4": {"version": 2020}}),
        "tax_profile.filing_status",
    ),
    (us_body(pay_frequency="fortnightly"), "pay_frequency"),
    (us_body(tax_year=2031), "tax_year"),
    (us_body(surprise=1), "surprise"),
    (id_body(tax_profile={"ptkp_status": "TK/9"}), "tax_profile.ptkp_status"),
    (id_body(earnings=[{"code": "regular", "amount": "8000000.50"}]), "earnings[0].amount"),
    (id_body(jkk_rate_percent="0.25"), "jkk_rate_percent"),
    (id_body(month=13), "month"),
    ({"jurisdiction": "FR"}, "jurisdiction"),
    ([1, 2], "body"),
]


@pytest.mark.parametrize(("body", "field"), BAD_INPUTS, ids=[f for _b, f in BAD_INPUTS])
def test_each_bad_input_is_a_422_problem_naming_its_field(
    payroll_api: PayrollApi, body: Any, field: str
) -> None:
    api = payroll_api.api
    before = payroll_api.count()
    response = api.client.post(CALCULATIONS, json=body, headers=api.headers("payroll"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [field], problem
    assert payroll_api.count() == before


# --- employees and runs -------------------------------------------------------------


def hire_body(reference: str, salary: str = "4000.00", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": reference,
        "person": {
            "name": f"Jordan Example {reference}",
            "tax_id": f"123-45-{reference[-4:]}",
            "address": "1 Main Street, Springfield",
        },
        "bank_account": {"country": "US", "bank_code": "021000021", "account_number": "12345678"},
        "jurisdiction": "US",
        "pay_group": "us-monthly",
        "pay_frequency": "monthly",
        "hire_date": "2025-01-01",
        "tax_profile": {"filing_status": "single", "w4": {"version": 2020}},
        "pay": {"basis": "salary", "amount": salary},
    }
    body.update(changes)
    return body


RUN_BODY = {
    "pay_group": "us-monthly",
    "jurisdiction": "US",
    "pay_frequency": "monthly",
    "period_start": "2025-01-01",
    "period_end": "2025-01-31",
    "period_number": 1,
    "pay_date": "2025-01-31",
}


def hire(api: ApiHarness, reference: str, salary: str = "4000.00") -> str:
    response = api.post("/v1/payroll/employees", "payroll", hire_body(reference, salary))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def calculated_run(api: ApiHarness) -> str:
    opened = api.post("/v1/payroll/runs", "payroll", RUN_BODY)
    assert opened.status_code == 201, opened.text
    run_id = str(opened.json()["id"])
    calculated = api.post(f"/v1/payroll/runs/{run_id}/calculate", "payroll")
    assert calculated.status_code == 200, calculated.text
    return run_id


def test_the_preparer_cannot_approve_over_http_and_the_refusal_writes_nothing(
    payroll_api: PayrollApi,
) -> None:
    api = payroll_api.api
    hire(api, "US-0001")
    run_id = calculated_run(api)
    before = payroll_api.count()
    refused = api.post(f"/v1/payroll/runs/{run_id}/approve", "payroll")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "payroll_self_approval_refused"
    assert payroll_api.count() == before  # no event, no request record
    # Another preparer (the payroll role, not the run's author) may approve.
    api.tokens["payroll-2"] = api.issue("payroll", "second-preparer")
    after_issue = payroll_api.count()
    approved = api.post(f"/v1/payroll/runs/{run_id}/approve", "payroll-2")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert payroll_api.count() == after_issue + 2  # the approval and its request record
    # ... and whoever approved does not pay it.
    paid_by_approver = api.post(f"/v1/payroll/runs/{run_id}/pay", "payroll-2")
    assert paid_by_approver.status_code == 409, paid_by_approver.text
    assert paid_by_approver.json()["code"] == "payroll_self_approval_refused"


def test_a_run_end_to_end_over_http(payroll_api: PayrollApi) -> None:
    api = payroll_api.api
    employees = sorted([hire(api, "US-0001", "4000.00"), hire(api, "US-0002", "7500.00")])
    run_id = calculated_run(api)
    run = api.get(f"/v1/payroll/runs/{run_id}", "approver").json()
    assert run["status"] == "calculated" and run["payslip_count"] == 2
    assert run["preparer"] == "payroll-actor" and run["totals"]["gross"] == "11500.00"
    approved = api.post(
        f"/v1/payroll/runs/{run_id}/approve", "approver", {"fingerprint": run["fingerprint"]}
    )
    assert approved.status_code == 200, approved.text
    paid = api.post(f"/v1/payroll/runs/{run_id}/pay", "payroll")
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    run = api.get(f"/v1/payroll/runs/{run_id}", "auditor").json()
    assert run["status"] == "paid" and run["entry_id"] and run["paid_by"] == "payroll-actor"
    slips = api.get(f"/v1/payroll/runs/{run_id}/payslips", "auditor").json()["payslips"]
    assert [slip["employee_id"] for slip in slips] == employees
    for slip in slips:
        codes = [line["code"] for line in slip["lines"]]
        assert "regular" in codes and set(US_CODES) <= set(codes)
        one = api.get(f"/v1/payroll/runs/{run_id}/payslips/{slip['employee_id']}", "payroll")
        assert one.status_code == 200 and one.json() == slip
        payment = payroll_api.desk.payments.get(payout_id(UUID(run_id), slip["employee_id"]))
        assert payment.status == FUNDS_RESERVED
        assert payment.amount_minor == int(slip["net"].replace(".", ""))
    listed = api.get("/v1/payroll/runs", "payroll", params={"status": "paid"}).json()["runs"]
    assert [item["id"] for item in listed] == [run_id]
    # A paid run is never changed: recalculation and cancellation are refused.
    for step, body in (("calculate", None), ("cancel", {"reason": "late"})):
        refused = api.post(f"/v1/payroll/runs/{run_id}/{step}", "payroll", body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "invalid_payroll_run_transition"
    missing = api.get(f"/v1/payroll/runs/{run_id}/payslips/{run_id}", "payroll")
    assert missing.status_code == 404


def test_employee_changes_and_answers_without_personal_data(payroll_api: PayrollApi) -> None:
    api = payroll_api.api
    employee_id = hire(api, "US-0007", "5000.00")
    base = f"/v1/payroll/employees/{employee_id}"
    changed = api.post(
        f"{base}/pay-changes",
        "payroll",
        {"pay": {"basis": "salary", "amount": "5200.00"}, "effective_date": "2025-03-01"},
    )
    assert changed.status_code == 200, changed.text
    profile = {"filing_status": "married_filing_jointly", "w4": {"version": 2020}}
    changed = api.post(
        f"{base}/tax-profile-changes",
        "payroll",
        {"tax_profile": profile, "effective_date": "2025-04-01"},
    )
    assert changed.status_code == 200, changed.text
    bad = api.post(
        f"{base}/tax-profile-changes",
        "payroll",
        {
            "tax_profile": {"filing_status": "widowed", "w4": {"version": 2020}},
            "effective_date": "2025-04-01",
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "tax_profile.filing_status"
    ended = api.post(
        f"{base}/termination", "payroll", {"termination_date": "2025-06-30", "reason": "resigned"}
    )
    assert ended.status_code == 200, ended.text
    view = api.get(base, "auditor")
    assert view.status_code == 200
    employee = view.json()
    assert employee["termination_date"] == "2025-06-30"
    assert [change["amount"] for change in employee["pay_changes"]] == ["5000.00", "5200.00"]
    listed = api.get("/v1/payroll/employees", "approver").text
    for personal in ("Jordan Example", "123-45-0007", "Main Street", "12345678"):
        assert personal not in view.text and personal not in listed
    after = api.post(
        f"{base}/pay-changes",
        "payroll",
        {"pay": {"basis": "salary", "amount": "1.00"}, "effective_date": "2025-07-01"},
    )
    assert after.status_code == 409 and after.json()["code"] == "employee_terminated"
    assert api.get(base, "poster").status_code == 403


def test_writes_are_idempotent_and_a_reused_key_for_another_body_is_refused(
    payroll_api: PayrollApi,
) -> None:
    api = payroll_api.api
    body = hire_body("US-0042")
    first = api.post("/v1/payroll/employees", "payroll", body, key="hire-42")
    assert first.status_code == 201, first.text
    size = payroll_api.count()
    again = api.post("/v1/payroll/employees", "payroll", body, key="hire-42")
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotency-replayed"] == "true"
    assert payroll_api.count() == size
    other = api.post("/v1/payroll/employees", "payroll", hire_body("US-0043"), key="hire-42")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    duplicate = api.post("/v1/payroll/employees", "payroll", body, key="hire-42-b")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "employee_already_hired"
    assert payroll_api.count() == size
    # The idempotency record keeps no personal value in the clear.
    assert (
        b"Jordan Example"
        not in payroll_api.desk.app.recorder.select_notifications(start=size, limit=1)[0].state
    )
    opened = api.post("/v1/payroll/runs", "payroll", RUN_BODY, key="run-1")
    replayed = api.post("/v1/payroll/runs", "payroll", RUN_BODY, key="run-1")
    assert opened.status_code == replayed.status_code == 201
    assert opened.json() == replayed.json()
    assert len(api.get("/v1/payroll/runs", "payroll").json()["runs"]) == 1
    missing_key = api.client.post("/v1/payroll/runs", json=RUN_BODY, headers=api.headers("payroll"))
    assert missing_key.status_code == 400
    assert missing_key.json()["code"] == "idempotency_key_required"
