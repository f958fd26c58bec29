"""The audit trail over HTTP: filters, cursors, timelines, exports, reads and
denials recorded; read-your-writes with a separate projection worker."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator

import orjson
import pytest

from backoffice.container import build_system
from projections.audit.trail import AuditTrail
from tests.api.support import ApiHarness, entry_body, open_usd_chart, running_api


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url) as harness:
        open_usd_chart(harness)
        yield harness


def test_events_filtered_by_entity_actor_type_time_and_position(api: ApiHarness) -> None:
    posted = api.post(
        "/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Equity:Capital", "3.00")
    ).json()
    by_entity = api.get("/v1/audit/events", params={"entity_id": posted["id"]}).json()["events"]
    assert [event["event_type"] for event in by_entity] == ["JournalEntryPosted"]
    event = by_entity[0]
    assert event["position"] == posted["position"] and event["aggregate_type"] == "JournalEntry"
    assert event["aggregate_version"] == 1 and event["effective_date"] == "2026-01-15"
    assert event["actor"] == "poster-actor" and event["correlation_id"]
    assert event["payload"]["postings"][0][:2] == ["Expenses:Rent", "debit"]

    by_actor = api.get(
        "/v1/audit/events", params={"actor": "admin-actor", "event_type": "AccountOpened"}
    ).json()
    assert len(by_actor["events"]) == 4
    window = api.get(
        "/v1/audit/events",
        params={"position_from": posted["position"], "position_to": posted["position"]},
    ).json()["events"]
    assert [e["position"] for e in window] == [posted["position"]]
    later = api.get("/v1/audit/events", params={"recorded_from": "2999-01-01T00:00:00Z"}).json()[
        "events"
    ]
    assert later == []
    bad = api.get("/v1/audit/events", params={"recorded_from": "yesterday"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "recorded_from"


def test_cursor_pagination_walks_every_event_once(api: ApiHarness) -> None:
    for amount in ("1.00", "2.00", "3.00"):
        api.post(
            "/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Equity:Capital", amount)
        )
    head = api.event_count()
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2, "position_to": head}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/v1/audit/events", params=params).json()
        seen += [event["position"] for event in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(set(seen)) and seen[-1] == head
    assert api.get("/v1/audit/events", params={"cursor": "!!"}).status_code == 422


def test_entity_history_gives_the_state_after_each_event(api: ApiHarness) -> None:
    api.post("/v1/journal-entries", "poster", entry_body("Assets:Bank", "Equity:Capital", "50.00"))
    pending = api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Assets:Bank", "20.00", pending=True),
    ).json()
    api.post(f"/v1/journal-entries/{pending['id']}/post", "approver")
    history = api.get(f"/v1/audit/entities/{pending['id']}/history").json()
    assert [event["event_type"] for event in history["events"]] == [
        "PendingEntryRecorded",
        "PendingEntryPosted",
    ]
    assert [event["state_after"]["status"] for event in history["events"]] == ["pending", "posted"]
    assert history["events"][1]["actor"] == "approver-actor"
    missing = api.get("/v1/audit/entities/00000000-0000-0000-0000-000000000000/history")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_entity"


def test_export_streams_csv_and_json_lines_equal_to_the_events(api: ApiHarness) -> None:
    head = api.event_count()
    listed = api.get("/v1/audit/events", params={"position_to": head, "limit": 1000}).json()[
        "events"
    ]
    jsonl = api.get("/v1/audit/export", params={"format": "jsonl", "position_to": head})
    assert jsonl.status_code == 200 and jsonl.headers["content-type"].startswith(
        "application/x-ndjson"
    )
    assert [orjson.loads(line) for line in jsonl.content.splitlines()] == listed
    exported_csv = api.get("/v1/audit/export", params={"format": "csv", "position_to": head})
    assert exported_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported_csv.text)))
    assert [int(row["position"]) for row in rows] == [event["position"] for event in listed]
    assert orjson.loads(rows[0]["payload"]) == listed[0]["payload"]


def test_every_read_of_the_audit_trail_and_every_denial_is_recorded(api: ApiHarness) -> None:
    api.get("/v1/audit/events", params={"limit": 1})
    api.client.get("/v1/audit/events", headers={"Authorization": "Bearer bo_nonsense"})
    api.get("/v1/audit/events", "poster")
    records = api.get("/v1/audit/access").json()["entries"]
    outcomes = [(r["outcome"], r["status"], r["actor"], r["route"]) for r in records]
    assert ("read", 200, "auditor-actor", "/v1/audit/events") in outcomes
    assert ("denied", 401, "", "/v1/audit/events") in outcomes
    assert ("denied", 403, "poster-actor", "/v1/audit/events") in outcomes
    assert all(r["client"] == "testclient" for r in records)
    # Kept in the access log, not the business log's positions and digests.
    assert (
        api.get("/v1/audit/events", params={"event_type": "AccessRecorded"}).json()["events"] == []
    )


def test_with_a_worker_reads_wait_for_min_position(database_url: str) -> None:
    with running_api(database_url, projections="worker", read_wait_s=10.0) as api:
        open_usd_chart(api)
        written = api.post(
            "/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Equity:Capital", "8.00")
        ).json()
        # Nothing folds in worker mode until the worker runs: the read waits for it.
        stop = threading.Event()

        def worker() -> None:
            time.sleep(0.5)
            system = build_system(api.system.database.url)
            audit = AuditTrail(system.database, catch_up_on_query=False)
            try:
                while not stop.is_set():
                    system.projections.catch_up()
                    audit.catch_up()
                    stop.wait(0.05)
            finally:
                audit.close()
                system.close()

        thread = threading.Thread(target=worker)
        thread.start()
        try:
            started = time.monotonic()
            balance = api.get(
                "/v1/accounts/Expenses:Rent/balance", params={"min_position": written["position"]}
            ).json()
            assert balance["position"] >= written["position"]
            assert balance["balances"][0]["net"] == "8.00"
            assert time.monotonic() - started >= 0.4
            events = api.get(
                "/v1/audit/events",
                params={"entity_id": written["id"], "min_position": written["position"]},
            ).json()["events"]
            assert len(events) == 1
        finally:
            stop.set()
            thread.join()
