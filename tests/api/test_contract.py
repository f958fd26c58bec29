"""The /v1 contract through a TestClient, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.support import ApiHarness, entry_body, new_key, open_usd_chart, running_api


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url) as harness:
        open_usd_chart(harness)
        funded = harness.post(
            "/v1/journal-entries", "poster", entry_body("Assets:Bank", "Equity:Capital", "100.00")
        )
        assert funded.status_code == 201, funded.text
        yield harness


def test_post_entry_returns_id_and_position_then_reads_it_back(api: ApiHarness) -> None:
    body = entry_body(
        "Expenses:Rent",
        "Assets:Bank",
        "40.00",
        description="January rent",
        reference="INV-7",
        metadata={"k": "v"},
    )
    written = api.post("/v1/journal-entries", "poster", body)
    assert written.status_code == 201
    assert written.headers["content-type"] == "application/json"
    created = written.json()
    assert created["status"] == "posted" and created["position"] > 0

    read = api.get(
        f"/v1/journal-entries/{created['id']}", params={"min_position": created["position"]}
    )
    assert read.status_code == 200
    entry = read.json()
    assert entry["postings"] == body["postings"]
    assert entry["description"] == "January rent" and entry["reference"] == "INV-7"
    assert entry["metadata"] == {"k": "v"}
    assert entry["recorded_by"] == "poster-actor"  # from the token, never from the body
    assert entry["position"] == created["position"]


def test_balance_and_trial_balance_as_of_date_and_position(api: ApiHarness) -> None:
    first = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "10.00", date="2026-02-01"),
    )
    second = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "5.50", date="2026-03-01"),
    )
    assert first.status_code == second.status_code == 201

    now = api.get(
        "/v1/accounts/Assets:Bank/balance", params={"min_position": second.json()["position"]}
    ).json()
    assert now["balances"][0]["net"] == "84.50"
    by_date = api.get("/v1/accounts/Assets:Bank/balance", params={"as_of": "2026-02-15"}).json()
    assert by_date["balances"][0]["net"] == "90.00" and by_date["as_of_date"] == "2026-02-15"
    by_position = api.get(
        "/v1/accounts/Assets:Bank/balance", params={"at_position": first.json()["position"]}
    ).json()
    assert by_position["balances"][0]["net"] == "90.00"

    trial = api.get("/v1/trial-balance").json()
    assert trial["balanced"] is True
    assert [total["net"] for total in trial["totals"]] == ["0.00"]
    assert {line["account"] for line in trial["lines"]} == {
        "Assets:Bank",
        "Equity:Capital",
        "Expenses:Rent",
    }


def test_accounts_open_list_page_get_and_close(api: ApiHarness) -> None:
    opened = api.post(
        "/v1/accounts",
        "admin",
        {"code": "Liabilities:Card", "name": "Card", "type": "liability", "assets": ["USD", "EUR"]},
    )
    assert opened.status_code == 201
    assert opened.json()["assets"] == ["EUR", "USD"] and opened.json()["status"] == "open"

    codes: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/accounts", "poster", params=params).json()
        codes += [account["code"] for account in page["accounts"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert codes == sorted(codes) and len(codes) == 5 and "Liabilities:Card" in codes

    assert api.get("/v1/accounts/Liabilities:Card").json()["type"] == "liability"
    closed = api.post("/v1/accounts/Liabilities:Card/close", "admin", {"reason": "card cancelled"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert api.get("/v1/accounts/Liabilities:Card").json()["status"] == "closed"
    refused = api.post("/v1/accounts/Assets:Bank/close", "admin", {"reason": "x"})
    assert refused.status_code == 409 and refused.json()["code"] == "account_not_empty"
    assert api.get("/v1/accounts/Nope:Nope").status_code == 404


def test_registered_asset_scale_applies_to_amounts(api: ApiHarness) -> None:
    assert api.post("/v1/assets", "admin", {"code": "VBMPX", "scale": 3}).status_code == 201
    again = api.post("/v1/assets", "admin", {"code": "VBMPX", "scale": 3})
    assert again.status_code == 409 and again.json()["code"] == "asset_already_registered"
    for code, kind in (("Assets:Fund", "asset"), ("Equity:Fund", "equity")):
        api.post(
            "/v1/accounts", "admin", {"code": code, "name": code, "type": kind, "assets": ["VBMPX"]}
        )
    body = entry_body("Assets:Fund", "Equity:Fund", "1.234")
    for posting in body["postings"]:
        posting["asset"] = "VBMPX"
    assert api.post("/v1/journal-entries", "poster", body).status_code == 201
    for posting in body["postings"]:
        posting["amount"] = "1.2345"
    over = api.post("/v1/journal-entries", "poster", body)
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "postings[0].amount"


def test_pending_entry_posted_once_and_another_voided(api: ApiHarness) -> None:
    pending = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "30.00", pending=True),
    )
    assert pending.status_code == 201 and pending.json()["status"] == "pending"
    entry_id = pending.json()["id"]
    balance = api.get("/v1/accounts/Assets:Bank/balance").json()["balances"][0]
    assert balance["credits_pending"] == "30.00"

    posted = api.post(f"/v1/journal-entries/{entry_id}/post", "approver")
    assert posted.status_code == 200 and posted.json()["status"] == "posted"
    twice = api.post(f"/v1/journal-entries/{entry_id}/post", "approver")
    assert twice.status_code == 409 and twice.json()["code"] == "entry_not_pending"

    other = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "70.00", pending=True),
    )
    # 30 posted + 70 reserved = the whole 100: a further reservation is refused.
    refused = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "0.01", pending=True),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_funds"
    voided = api.post(
        f"/v1/journal-entries/{other.json()['id']}/void", "approver", {"reason": "not needed"}
    )
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    assert api.get(f"/v1/journal-entries/{other.json()['id']}").json()["status"] == "voided"


def test_reversal_once_and_periods_close_and_reopen(api: ApiHarness) -> None:
    original = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "12.00", date="2026-01-20"),
    )
    entry_id = original.json()["id"]
    reversal = api.post(
        f"/v1/journal-entries/{entry_id}/reversal", "approver", {"reason": "duplicate"}
    )
    assert reversal.status_code == 201
    assert reversal.json()["reverses"] == entry_id
    assert api.get(f"/v1/journal-entries/{entry_id}").json()["reversed_by"] == reversal.json()["id"]
    again = api.post(f"/v1/journal-entries/{entry_id}/reversal", "approver", {"reason": "again"})
    assert again.status_code == 409 and again.json()["code"] == "entry_already_reversed"

    closed = api.post("/v1/periods/2026-01/close", "admin", {"reason": "month end"})
    assert closed.status_code == 200 and closed.json() == {
        "period": "2026-01",
        "status": "closed",
        "position": closed.json()["position"],
    }
    late = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "1.00", date="2026-01-31"),
    )
    assert late.status_code == 409 and late.json()["code"] == "period_closed"
    assert (
        api.post("/v1/periods/2026-01/reopen", "admin", {"reason": "audit adjustment"}).status_code
        == 200
    )
    assert (
        api.post(
            "/v1/journal-entries",
            "poster",
            entry_body("Expenses:Rent", "Assets:Bank", "1.00", date="2026-01-31"),
        ).status_code
        == 201
    )
    assert api.post("/v1/periods/2026-13/close", "admin", {"reason": "x"}).status_code == 422


def test_tokens_issue_list_revoke_and_identity(api: ApiHarness) -> None:
    issued = api.post("/v1/tokens", "admin", {"actor": "erp-2", "role": "poster", "note": "ERP"})
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert token.startswith("bo_")
    me = api.client.get("/v1/me", headers=api.headers(token=token))
    assert me.json() == {"actor": "erp-2", "role": "poster", "token_id": issued.json()["token_id"]}
    listed = api.get("/v1/tokens", "admin").json()["tokens"]
    assert any(item["actor"] == "erp-2" for item in listed)
    assert all("secret" not in str(item) and "token" not in item for item in listed)

    revoked = api.post(
        f"/v1/tokens/{issued.json()['token_id']}/revoke", "admin", {"reason": "rotated"}
    )
    assert revoked.status_code == 200
    after = api.client.get("/v1/me", headers=api.headers(token=token))
    assert after.status_code == 401


def test_idempotent_replay_same_body_and_refusal_of_other_body(api: ApiHarness) -> None:
    key = new_key("rent")
    body = entry_body("Expenses:Rent", "Assets:Bank", "9.99")
    first = api.post("/v1/journal-entries", "poster", body, key=key)
    replay = api.post("/v1/journal-entries", "poster", body, key=key)
    assert first.status_code == replay.status_code == 201
    assert replay.content == first.content
    assert (
        replay.headers["Idempotency-Replayed"] == "true"
        and "Idempotency-Replayed" not in first.headers
    )
    other = api.post("/v1/journal-entries", "poster", {**body, "description": "changed"}, key=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert "6:poster" not in other.text  # the client's key, not the internal scoped one

    account_key = new_key("acct")
    account = {"code": "Assets:Petty", "name": "Petty", "type": "asset", "assets": ["USD"]}
    first = api.post("/v1/accounts", "admin", account, key=account_key)
    count = api.event_count()
    replay = api.post("/v1/accounts", "admin", account, key=account_key)
    assert replay.content == first.content and replay.headers["Idempotency-Replayed"] == "true"
    assert api.event_count() == count  # a replay writes nothing
    changed = api.post("/v1/accounts", "admin", {**account, "name": "Other"}, key=account_key)
    assert changed.status_code == 422


def test_min_position_beyond_the_head_waits_then_503(database_url: str) -> None:
    with running_api(database_url, read_wait_s=0.2) as api:
        response = api.get("/v1/trial-balance", params={"min_position": 10**9})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json()["code"] == "position_not_reached"


def test_health_and_metrics(api: ApiHarness) -> None:
    assert api.client.get("/health/live").json() == {"status": "ok"}
    ready = api.client.get("/health/ready").json()
    assert ready["status"] == "ok" and ready["log_position"] > 0
    metrics = api.client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert (
        'backoffice_http_requests_total{method="POST",route="/v1/journal-entries",status="201"}'
        in text
    )
    assert "backoffice_http_request_duration_seconds_bucket" in text
    assert "backoffice_projection_lag_events" in text and "backoffice_events_appended_total" in text


def test_openapi_and_docs_are_served(api: ApiHarness) -> None:
    schema = api.client.get("/openapi.json").json()
    assert schema["info"]["version"] == "1.0.0"
    assert "/v1/journal-entries" in schema["paths"]
    assert api.client.get("/docs").status_code == 200


def test_correlation_id_is_echoed_and_recorded(api: ApiHarness) -> None:
    response = api.client.post(
        "/v1/journal-entries",
        json=entry_body("Expenses:Rent", "Assets:Bank", "1.00"),
        headers={**api.headers("poster", new_key()), "X-Correlation-ID": "trace-123"},
    )
    assert response.headers["X-Correlation-ID"] == "trace-123"
    events = api.get("/v1/audit/events", params={"entity_id": response.json()["id"]}).json()[
        "events"
    ]
    assert events[0]["correlation_id"] == "trace-123" and events[0]["actor"] == "poster-actor"
