"""Denials and audited reads go to an access log of their own: the business
log keeps its positions and digests whoever knocks, a stranger cannot grow
anything without bound, and what is kept is chained and append-only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from adapters.access_log import AccessLog
from tests.api.support import ApiHarness, entry_body, open_usd_chart, running_api
from tests.api.test_problems import assert_problem

GARBAGE = {"Authorization": "Bearer bo_garbage"}


def access_log_of(api: ApiHarness) -> AccessLog:
    log: AccessLog = api.client.app.state.backoffice.access.access_log  # type: ignore[attr-defined]
    return log


def _provenance(api: ApiHarness, name: str, **params: Any) -> dict[str, Any]:
    response = api.get(
        f"/v1/reports/{name}", "compliance", params={**params, "format": "provenance"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_denials_and_audited_reads_leave_the_business_log_as_it_was(database_url: str) -> None:
    with running_api(database_url) as api:
        open_usd_chart(api)
        head = api.event_count()
        extract = _provenance(api, "audit-extract", date_from="2000-01-01", date_to="2199-12-31")
        for _ in range(5):
            assert api.client.get("/v1/audit/events", headers=GARBAGE).status_code == 401
            assert api.get("/v1/audit/events", "poster").status_code == 403
            assert api.get("/v1/audit/events", params={"limit": 1}).status_code == 200
        assert api.event_count() == head
        again = _provenance(api, "audit-extract", date_from="2000-01-01", date_to="2199-12-31")
        assert again == extract  # the extract at the head does not move with reads
        outcomes = [stored.entry.outcome for stored in access_log_of(api).all_entries()]
        assert outcomes.count("denied") == 10 and outcomes.count("read") >= 5
        verified = api.get("/v1/audit/access/verify").json()
        assert verified["ok"] and verified["entries_checked"] == access_log_of(api).head() - 1


def test_anonymous_denials_past_the_limit_are_429_and_counted_not_stored(
    database_url: str,
) -> None:
    with running_api(database_url, access_records_per_minute=3) as api:
        statuses = [
            api.client.get(
                "/v1/audit/events", headers={"Authorization": f"Bearer bo_{uuid.uuid4().hex}"}
            ).status_code
            for _ in range(10)
        ]
        assert statuses == [401] * 3 + [429] * 7
        limited = api.client.get("/v1/audit/events", headers=GARBAGE)
        body = assert_problem(limited, 429, "too_many_requests")
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "retry after" in body["detail"]
        log = access_log_of(api)
        assert log.head() == 3  # three stored, one by one
        (counter,) = log.counts()
        assert (counter["client"], counter["actor"], counter["outcome"], counter["status"]) == (
            "testclient", "", "denied", 401)  # fmt: skip
        assert counter["count"] == 8  # one row for the window, however many came


def test_audited_reads_past_the_limit_of_a_token_are_refused_not_served_unrecorded(
    database_url: str,
) -> None:
    with running_api(database_url, access_records_per_minute=2) as api:
        assert [api.get("/v1/audit/events").status_code for _ in range(3)] == [200, 200, 429]


def test_the_access_log_refuses_changes_to_its_history(database_url: str) -> None:
    with running_api(database_url, access_records_per_minute=1) as api:
        api.client.get("/v1/audit/events", headers=GARBAGE)
        api.client.get("/v1/audit/events", headers=GARBAGE)  # past the limit: counted
        log = access_log_of(api)
        assert log.head() == 1 and log.counts()[0]["count"] == 1
        for statement in (
            f"UPDATE {log.log_table} SET actor = 'someone'",
            f"DELETE FROM {log.log_table}",
            f"UPDATE {log.counts_table} SET count = 0",
            f"DELETE FROM {log.counts_table}",
        ):
            with pytest.raises(Exception, match=r"append-only|only grows") as refused:
                log._in_transaction(lambda connection, sql=statement: connection.execute(sql))
            assert not isinstance(refused.value, AssertionError), statement
        assert log.verify() == (1, [])
        assert log.counts()[0]["count"] == 1


def test_a_denied_approval_is_reported_from_the_access_log_and_the_report_stays_put(
    database_url: str,
) -> None:
    with running_api(database_url) as api:
        open_usd_chart(api)
        approve = f"/v1/payments/{uuid.uuid4()}/approve"
        assert api.post(approve, "poster", {}).status_code == 403
        denied_at = api.event_count()
        at_denial = _provenance(api, "segregation-of-duties", as_of_position=denied_at)
        # Recorded while the head was at denied_at: it joins reports from the next position.
        assert at_denial["row_count"] == 0
        posted = api.post(
            "/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Equity:Capital", "1.00")
        )
        assert posted.status_code == 201
        assert api.post(approve, "poster", {}).status_code == 403  # at the new head
        report = api.get("/v1/reports/segregation-of-duties", "compliance").json()
        (row,) = report["rows"]
        assert (row["kind"], row["actor"], row["route"], row["status"]) == (
            "denied_attempt", "poster-actor", "/v1/payments/{payment_id}/approve", 403)  # fmt: skip
        assert row["key"].startswith("access/")
        # The same report at the same position, after more denials: the same digest.
        first = _provenance(api, "segregation-of-duties", as_of_position=report["as_of_position"])
        assert api.post(approve, "poster", {}).status_code == 403
        later = _provenance(api, "segregation-of-duties", as_of_position=report["as_of_position"])
        assert later == first
