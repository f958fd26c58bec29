"""Idempotency keys survive a restart of the database itself (a private cluster)."""

from __future__ import annotations

import time

import pytest

from tests.api.support import entry_body, new_key, open_usd_chart, running_api
from tests.pg_cluster import available, throwaway_cluster

pytestmark = pytest.mark.slow


def test_keys_survive_a_restart_of_the_database() -> None:
    reason = available()
    if reason is not None:
        pytest.fail(f"cannot make a throwaway cluster: {reason}")
    with throwaway_cluster() as cluster, running_api(f"{cluster.url}?schema=restart_test") as api:
        open_usd_chart(api)
        key = new_key("restart")
        body = entry_body("Expenses:Rent", "Equity:Capital", "12.00")
        first = api.post("/v1/journal-entries", "poster", body, key=key)
        assert first.status_code == 201
        account = {"code": "Assets:Vault", "name": "Vault", "type": "asset", "assets": ["USD"]}
        account_key = new_key("account")
        opened = api.post("/v1/accounts", "admin", account, key=account_key)
        assert opened.status_code == 201

        cluster.restart()

        # Connections in the pool died with the server: a request may get a 503
        # (never a 500) until the pool has reconnected; the retry gets the replay.
        deadline = time.monotonic() + 30
        while True:
            again = api.post("/v1/journal-entries", "poster", body, key=key)
            if again.status_code != 503 or time.monotonic() > deadline:
                break
            assert again.json()["code"] == "database_unavailable"
            time.sleep(0.2)
        assert again.status_code == 201, again.text
        assert again.content == first.content and again.headers["Idempotency-Replayed"] == "true"
        replayed = api.post("/v1/accounts", "admin", account, key=account_key)
        assert replayed.status_code == 201 and replayed.content == opened.content
        other = api.post("/v1/journal-entries", "poster", {**body, "reference": "changed"}, key=key)
        assert other.status_code == 422
