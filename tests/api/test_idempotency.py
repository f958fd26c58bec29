"""Idempotency-Key under concurrency and across restarts, on both backends."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.api.support import ApiHarness, entry_body, new_key, open_usd_chart, running_api

CONCURRENT = 20


def _all_at_once(api: ApiHarness, path: str, role: str, body: Any, key: str) -> list[Any]:
    barrier = threading.Barrier(CONCURRENT)

    def one(_: int) -> Any:
        barrier.wait()
        return api.client.post(path, json=body, headers=api.headers(role, key))

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(one, range(CONCURRENT)))


def _events_of_type(api: ApiHarness, event_type: str) -> int:
    found = 0
    for notification in api.system.app.recorder.select_notifications(start=1, limit=100_000):
        found += notification.topic.endswith(f".{event_type}")
    return found


def test_twenty_concurrent_entry_posts_with_one_key_have_one_effect(database_url: str) -> None:
    with running_api(database_url) as api:
        open_usd_chart(api)
        before = _events_of_type(api, "JournalEntryPosted")
        responses = _all_at_once(
            api,
            "/v1/journal-entries",
            "poster",
            entry_body("Expenses:Rent", "Equity:Capital", "5.00"),
            new_key(),
        )
        statuses = Counter(response.status_code for response in responses)
        assert set(statuses) <= {201, 409}, statuses
        originals = [
            r for r in responses if r.status_code == 201 and "Idempotency-Replayed" not in r.headers
        ]
        assert len(originals) <= 1
        bodies = {r.content for r in responses if r.status_code == 201}
        assert len(bodies) == 1  # every success tells the same id and position
        assert _events_of_type(api, "JournalEntryPosted") == before + 1


def test_twenty_concurrent_account_opens_with_one_key_have_one_effect(database_url: str) -> None:
    with running_api(database_url) as api:
        account = {"code": "Assets:Till", "name": "Till", "type": "asset", "assets": ["USD"]}
        responses = _all_at_once(api, "/v1/accounts", "admin", account, new_key())
        statuses = Counter(response.status_code for response in responses)
        assert set(statuses) <= {201, 409}, statuses
        assert statuses[201] >= 1
        successes = [r for r in responses if r.status_code == 201]
        assert len({r.content for r in successes}) == 1
        assert sum("Idempotency-Replayed" not in r.headers for r in successes) == 1
        assert _events_of_type(api, "AccountOpened") == 1
        assert _events_of_type(api, "RequestCompleted") == 1


def test_twenty_concurrent_period_closes_with_one_key_have_one_effect(database_url: str) -> None:
    with running_api(database_url) as api:
        responses = _all_at_once(
            api, "/v1/periods/2026-01/close", "admin", {"reason": "month end"}, new_key()
        )
        statuses = Counter(response.status_code for response in responses)
        assert set(statuses) <= {200, 409}, statuses
        assert _events_of_type(api, "PeriodClosed") == 1
        replays = [r for r in responses if r.status_code == 200]
        assert len({r.content for r in replays}) == 1


def test_keys_survive_a_restart_of_the_server_and_the_store(database_url: str) -> None:
    key, account_key = new_key("entry"), new_key("account")
    body = entry_body("Expenses:Rent", "Equity:Capital", "7.00")
    account = {"code": "Assets:Safe", "name": "Safe", "type": "asset", "assets": ["USD"]}
    with running_api(database_url) as first:
        open_usd_chart(first)
        token = first.tokens["poster"]
        admin = first.tokens["admin"]
        entry = first.client.post(
            "/v1/journal-entries",
            json=body,
            headers={**first.headers(token=token), "Idempotency-Key": key},
        )
        opened = first.client.post(
            "/v1/accounts",
            json=account,
            headers={**first.headers(token=admin), "Idempotency-Key": account_key},
        )
        assert entry.status_code == opened.status_code == 201
    # A new process: new application, new connections, new caches.
    with running_api(database_url) as second:
        again = second.client.post(
            "/v1/journal-entries",
            json=body,
            headers={**second.headers(token=token), "Idempotency-Key": key},
        )
        assert again.status_code == 201 and again.content == entry.content
        assert again.headers["Idempotency-Replayed"] == "true"
        reopened = second.client.post(
            "/v1/accounts",
            json=account,
            headers={**second.headers(token=admin), "Idempotency-Key": account_key},
        )
        assert reopened.status_code == 201 and reopened.content == opened.content
        other = second.client.post(
            "/v1/journal-entries",
            json={**body, "reference": "x"},
            headers={**second.headers(token=token), "Idempotency-Key": key},
        )
        assert other.status_code == 422


def test_keys_are_scoped_to_the_actor(database_url: str) -> None:
    with running_api(database_url) as api:
        open_usd_chart(api)
        other_poster = api.issue("poster", "second-system")
        key = new_key()
        first = api.client.post(
            "/v1/journal-entries",
            json=entry_body("Expenses:Rent", "Equity:Capital", "1.00"),
            headers=api.headers("poster", key),
        )
        second = api.client.post(
            "/v1/journal-entries",
            json=entry_body("Expenses:Rent", "Equity:Capital", "2.00"),
            headers={**api.headers(token=other_poster), "Idempotency-Key": key},
        )
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] != second.json()["id"]


def test_a_request_whose_effect_writes_nothing_still_spends_its_key(database_url: str) -> None:
    """An effect that finds nothing to do (already so) saves the request's record by
    itself: the answer has a position, a retry replays, another body is refused."""
    with running_api(database_url) as api:
        api.system.app.close_period = lambda *args, **kwargs: None  # type: ignore[method-assign]
        key = new_key("noop")
        first = api.post("/v1/periods/2026-01/close", "admin", {"reason": "month end"}, key=key)
        assert first.status_code == 200 and isinstance(first.json()["position"], int)
        again = api.post("/v1/periods/2026-01/close", "admin", {"reason": "month end"}, key=key)
        assert again.content == first.content and again.headers["Idempotency-Replayed"] == "true"
        other = api.post("/v1/periods/2026-01/close", "admin", {"reason": "other"}, key=key)
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
