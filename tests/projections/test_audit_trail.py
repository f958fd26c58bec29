"""The audit trail: every event once, filters, pages, exports, timelines; on both backends."""

from __future__ import annotations

import csv
import inspect
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
import pytest

import projections.audit.trail as audit_module
from adapters.database import parse_database_url
from adapters.log_reader import LogEvent
from api.error_status import status_for
from domain.application import BackOffice
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput, UnknownEntity
from projections.audit.store import COLUMNS
from projections.audit.trail import AuditTrail, audit_row, encode_cursor, entity_timeline
from tests.ledger.support import (
    CLERK,
    CONTROLLER,
    DAY_IN_APRIL,
    entry,
    head,
    logged_events,
    spend_from_bank,
    transfer,
)

AUDITOR_EVENTS = 60
"""Enough events that page sizes 1 and 7 need many pages."""


@pytest.fixture
def trail(app: BackOffice, database_url: str) -> Iterator[AuditTrail]:
    built = AuditTrail(parse_database_url(database_url))
    yield built
    built.close()


def trading_month(app: BackOffice) -> dict[str, UUID]:
    """A month of business from two actors: spending, two-phase entries, a
    reversal, an asset, a period closed and reopened."""
    ids: dict[str, UUID] = {}
    for index in range(3):
        spend_from_bank(app, f"rent-{index}", "1.00")
    pending = app.post_journal_entry(
        entry("reserve-rent", transfer("Expenses:Rent", "Assets:Bank", "5.00"), pending=True)
    )
    app.post_pending(CONTROLLER, pending.entry_id)
    ids["posted_pending"] = pending.entry_id
    voided = app.post_journal_entry(
        entry("reserve-more", transfer("Expenses:Rent", "Assets:Bank", "2.00"), pending=True)
    )
    app.void_pending(CONTROLLER, voided.entry_id, "not needed")
    mistake = app.post_journal_entry(
        entry("sale", transfer("Assets:Receivables", "Income:Sales", "9.99"), DAY_IN_APRIL)
    )
    app.reverse_entry(CONTROLLER, mistake.entry_id, "wrong customer")
    ids["reversed"] = mistake.entry_id
    app.register_asset(CLERK, "HOURS", 2, "Consulting hours")
    app.close_period(CONTROLLER, "2026-02", "month end")
    app.reopen_period(CONTROLLER, "2026-02", "late invoice")
    other = Context(actor="treasurer@example.test", correlation_id="corr-treasury")
    for index in range(AUDITOR_EVENTS):
        if head(app) >= AUDITOR_EVENTS:
            break
        app.post_journal_entry(
            entry(
                f"capital-{index}", transfer("Assets:Bank", "Equity:Capital", "1.00"), context=other
            )
        )
    return ids


def everything(trail: AuditTrail, **filters: Any) -> list[dict[str, Any]]:
    """All matching events, following the cursors."""
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = trail.query(**filters, cursor=cursor, limit=1000)
        events.extend(page.events)
        if page.next_cursor is None:
            return events
        cursor = page.next_cursor


# --- rows -------------------------------------------------------------------


def test_every_event_of_the_log_appears_once_with_its_fields(
    app: BackOffice, trail: AuditTrail
) -> None:
    trading_month(app)
    logged = logged_events(app)
    assert trail.catch_up() == head(app) == logged[-1].position
    events = everything(trail)
    assert [event["position"] for event in events] == [event.position for event in logged]
    for row, event in zip(events, logged, strict=True):
        assert list(row) == list(COLUMNS)
        qualname = event.topic.partition(":")[2].split(".")
        assert row["aggregate_type"] == qualname[-2]
        assert row["event_type"] == event.name == qualname[-1]
        assert row["aggregate_id"] == str(event.originator_id)
        assert row["aggregate_version"] == event.originator_version
        assert row["actor"] == event.state["actor"]
        assert row["correlation_id"] == event.state["correlation_id"]
        assert row["effective_date"] == event.state.get("effective_date")
        assert row["recorded_at"].endswith("+00:00")
        assert datetime.fromisoformat(row["recorded_at"]) == datetime.fromisoformat(
            event.state["timestamp"]
        )
        assert row["payload"] == {k: v for k, v in event.state.items() if k != "timestamp"}
    assert {event["aggregate_type"] for event in events} == {
        "Account",
        "JournalEntry",
        "Period",
        "AssetDefinition",
    }
    assert trail.position() == head(app)


def test_catching_up_again_writes_nothing_and_stops_where_asked(
    app: BackOffice, database_url: str
) -> None:
    trail = AuditTrail(parse_database_url(database_url), catch_up_on_query=False)
    try:
        assert trail.catch_up(up_to=4) == 4
        assert [event["position"] for event in everything(trail)] == [1, 2, 3, 4]
        spend_from_bank(app, "later", "1.00")
        assert trail.position() == 4  # no catch-up on query
        assert trail.catch_up() == head(app)
        assert trail.catch_up() == head(app)
        assert len(everything(trail)) == len(logged_events(app))
    finally:
        trail.close()


def test_types_come_from_the_topic_for_any_aggregate_and_times_are_fixed_width_utc() -> None:
    event = LogEvent(
        7,
        "5beb5a13-a6f1-5e42-8192-7d92b443e8b3",
        3,
        "domain.payments:Payment.PaymentApproved",
        {"approver": "ann", "actor": "ann", "timestamp": "2026-05-01T10:00:00+02:00"},
    )
    row = dict(zip(COLUMNS, audit_row(event), strict=True))
    assert (row["aggregate_type"], row["event_type"]) == ("Payment", "PaymentApproved")
    assert row["recorded_at"] == "2026-05-01T08:00:00.000000+00:00"
    assert row["effective_date"] is None and row["correlation_id"] is None
    assert orjson.loads(row["payload"]) == {"actor": "ann", "approver": "ann"}


# --- filters and pages -----------------------------------------------------


def test_each_filter_selects_exactly_the_matching_events(
    app: BackOffice, trail: AuditTrail
) -> None:
    ids = trading_month(app)
    every = everything(trail)
    entry_id = str(ids["posted_pending"])
    middle = every[len(every) // 2]
    cases: list[tuple[dict[str, Any], Any]] = [
        ({"entity_id": entry_id}, lambda e: e["aggregate_id"] == entry_id),
        ({"entity_id": entry_id.upper()}, lambda e: e["aggregate_id"] == entry_id),
        ({"actor": CONTROLLER.actor}, lambda e: e["actor"] == CONTROLLER.actor),
        ({"event_type": "PostingRecorded"}, lambda e: e["event_type"] == "PostingRecorded"),
        ({"position_from": 5}, lambda e: e["position"] >= 5),
        ({"position_to": 9}, lambda e: e["position"] <= 9),
        (
            {"recorded_from": middle["recorded_at"]},
            lambda e: e["recorded_at"] >= middle["recorded_at"],
        ),
        (
            {"recorded_to": middle["recorded_at"]},
            lambda e: e["recorded_at"] <= middle["recorded_at"],
        ),
        ({"recorded_from": "2000-01-01"}, lambda e: True),
        ({"recorded_to": datetime(2000, 1, 1, tzinfo=UTC)}, lambda e: False),
    ]
    for filters, keep in cases:
        expected = [event for event in every if keep(event)]
        assert everything(trail, **filters) == expected, filters
    assert everything(trail, event_type="PendingEntryPosted")[0]["aggregate_id"] == entry_id


def test_filters_combine(app: BackOffice, trail: AuditTrail) -> None:
    trading_month(app)
    every = everything(trail)
    found = everything(
        trail, actor=CLERK.actor, event_type="PostingRecorded", position_from=10, position_to=40
    )
    expected = [
        event
        for event in every
        if event["actor"] == CLERK.actor
        and event["event_type"] == "PostingRecorded"
        and 10 <= event["position"] <= 40
    ]
    assert found == expected and expected
    assert everything(trail, actor=CLERK.actor, event_type="PeriodClosed") == []


@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_pages_walk_every_event_exactly_once(
    app: BackOffice, trail: AuditTrail, limit: int
) -> None:
    trading_month(app)
    positions: list[int] = []
    pages = 0
    cursor = None
    while True:
        page = trail.query(cursor=cursor, limit=limit)
        pages += 1
        assert len(page.events) <= limit
        positions.extend(event["position"] for event in page.events)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert positions == [event.position for event in logged_events(app)]
    assert pages == -(-len(positions) // limit)  # the last page is never an empty one


def test_pages_of_a_filtered_query_resume_after_the_cursor(
    app: BackOffice, trail: AuditTrail
) -> None:
    trading_month(app)
    expected = everything(trail, event_type="PostingRecorded")
    first = trail.query(event_type="PostingRecorded", limit=2)
    second = trail.query(event_type="PostingRecorded", limit=2, cursor=first.next_cursor)
    assert first.events + second.events == expected[:4]


@pytest.mark.parametrize("limit", [0, 1001, -1, True, "10", 2.0])
def test_a_limit_outside_one_to_a_thousand_is_refused(trail: AuditTrail, limit: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        trail.query(limit=limit)
    assert refused.value.field == "limit"


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": encode_cursor(5)[:-1] + "!"}, "cursor"),
        ({"cursor": "eDo1"}, "cursor"),  # base64 of another format
        ({"cursor": 5}, "cursor"),
        ({"recorded_from": "yesterday"}, "recorded_from"),
        ({"recorded_to": "2026-13-01"}, "recorded_to"),
        ({"recorded_to": 20260101}, "recorded_to"),
        ({"entity_id": "Assets:Bank"}, "entity_id"),
        ({"position_from": -1}, "position_from"),
        ({"position_to": "9"}, "position_to"),
        ({"actor": ""}, "actor"),
        ({"event_type": "x" * 500}, "event_type"),
    ],
)
def test_malformed_filters_are_refused_naming_the_field(
    trail: AuditTrail, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        trail.query(**filters)
    assert refused.value.field == field


# --- exactly once ------------------------------------------------------------


def test_a_crash_in_the_middle_of_a_page_resumes_without_gaps_or_duplicates(
    app: BackOffice, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trading_month(app)
    database = parse_database_url(database_url)
    crashing = AuditTrail(database, page_size=5, catch_up_on_query=False)
    insert_events = crashing.store.insert_events
    pages: list[int] = []

    def crash_in_second_page(rows: list[tuple[Any, ...]]) -> None:
        insert_events(rows)  # the rows of the page are written...
        pages.append(1)
        if len(pages) == 2:
            raise RuntimeError("power cut")  # ...and the position never moves with them

    monkeypatch.setattr(crashing.store, "insert_events", crash_in_second_page)
    with pytest.raises(RuntimeError, match="power cut"):
        crashing.catch_up()
    crashing.close()

    resumed = AuditTrail(database, page_size=5, catch_up_on_query=False)
    try:
        assert resumed.position() == 5
        assert [event["position"] for event in everything(resumed)] == [1, 2, 3, 4, 5]
        assert resumed.catch_up() == head(app)
        assert [event["position"] for event in everything(resumed)] == [
            event.position for event in logged_events(app)
        ]
    finally:
        resumed.close()


def test_a_trail_that_finds_its_page_written_by_another_process_goes_on_from_there(
    app: BackOffice, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trading_month(app)
    database = parse_database_url(database_url)
    late, early = AuditTrail(database, page_size=4), AuditTrail(database, page_size=4)
    try:
        early.catch_up(up_to=2)
        write_page = late.write_page
        overtaken: list[int] = []

        def overtaken_once(events: list[Any], start: int, end: int) -> None:
            if not overtaken:
                overtaken.append(start)
                early.catch_up(up_to=10)  # another process writes the same events first
            write_page(events, start, end)

        monkeypatch.setattr(late, "write_page", overtaken_once)
        assert late.catch_up() == head(app)
        assert overtaken == [2]
        assert [event["position"] for event in everything(late)] == [
            event.position for event in logged_events(app)
        ]
    finally:
        late.close()
        early.close()


def test_two_trails_catching_up_at_once_write_each_event_once(
    app: BackOffice, database_url: str
) -> None:
    trading_month(app)
    database = parse_database_url(database_url)
    trails = [AuditTrail(database, page_size=3) for _ in range(2)]
    for trail in trails:
        trail.catch_up(up_to=0)  # tables ready before the race
    start = threading.Barrier(len(trails))
    errors: list[BaseException] = []

    def race(trail: AuditTrail) -> None:
        try:
            start.wait()
            trail.catch_up()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=race, args=(trail,)) for trail in trails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        expected = [event.position for event in logged_events(app)]
        for trail in trails:
            assert trail.position() == head(app)
            assert [event["position"] for event in everything(trail)] == expected
    finally:
        for trail in trails:
            trail.close()


# --- exports ----------------------------------------------------------------


def test_exports_hold_exactly_the_query_results(app: BackOffice, trail: AuditTrail) -> None:
    trading_month(app)
    for filters in ({}, {"actor": CONTROLLER.actor}, {"event_type": "PostingRecorded"}):
        expected = everything(trail, **filters)
        lines = b"".join(trail.export("jsonl", **filters)).splitlines()
        assert [orjson.loads(line) for line in lines] == expected
        table = list(csv.reader(io.StringIO(b"".join(trail.export("csv", **filters)).decode())))
        assert table[0] == list(COLUMNS)
        assert table[1:] == [_as_csv(event) for event in expected]


def _as_csv(event: dict[str, Any]) -> list[str]:
    fields = ["" if event[column] is None else str(event[column]) for column in COLUMNS]
    fields[-1] = orjson.dumps(event["payload"], option=orjson.OPT_SORT_KEYS).decode()
    return fields


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_an_export_streams_page_by_page_up_to_the_position_it_started_at(
    app: BackOffice, trail: AuditTrail, monkeypatch: pytest.MonkeyPatch, format: str
) -> None:
    trading_month(app)
    monkeypatch.setattr(audit_module, "EXPORT_PAGE_ROWS", 7)
    started_at = trail.position()
    chunks = trail.export(format)  # type: ignore[arg-type]
    assert inspect.isgenerator(chunks)
    first = next(chunks)
    spend_from_bank(app, "during-the-export", "1.00")  # appended after the export began
    rest = list(chunks)
    assert len(rest) >= started_at // 7
    body = b"".join([first, *rest])
    if format == "jsonl":
        positions = [orjson.loads(line)["position"] for line in body.splitlines()]
    else:
        positions = [int(row[0]) for row in list(csv.reader(io.StringIO(body.decode())))[1:]]
    assert positions == list(range(1, started_at + 1))


def test_an_unknown_export_format_or_filter_is_refused(trail: AuditTrail) -> None:
    with pytest.raises(InvalidInput) as refused:
        trail.export("xml")  # type: ignore[arg-type]
    assert refused.value.field == "format"
    with pytest.raises(InvalidInput) as refused:
        trail.export("csv", colour="red")
    assert refused.value.field == "colour"
    with pytest.raises(InvalidInput) as refused:
        trail.export("csv", recorded_from="soon")
    assert refused.value.field == "recorded_from"


# --- history and timelines ----------------------------------------------------


def test_an_entity_history_is_its_events_in_version_order(
    app: BackOffice, trail: AuditTrail
) -> None:
    ids = trading_month(app)
    history = trail.history(str(ids["reversed"]))
    assert [event["event_type"] for event in history] == [
        "JournalEntryPosted",
        "JournalEntryReversed",
    ]
    assert [event["aggregate_version"] for event in history] == [1, 2]
    assert history == everything(trail, entity_id=str(ids["reversed"]))
    assert trail.history("00000000-0000-0000-0000-000000000000") == []


def test_a_timeline_shows_the_state_after_each_event(app: BackOffice, trail: AuditTrail) -> None:
    ids = trading_month(app)
    timeline = entity_timeline(app, trail, str(ids["posted_pending"]))
    assert [(step["event_type"], step["state_after"]["status"]) for step in timeline] == [
        ("PendingEntryRecorded", "pending"),
        ("PendingEntryPosted", "posted"),
    ]
    first = timeline[0]["state_after"]
    assert first["id"] == str(ids["posted_pending"]) and first["version"] == 1
    assert first["postings"][0] == ["Expenses:Rent", "debit", 500, "USD"]
    assert not any(name.startswith("_") for name in first)
    orjson.dumps(timeline)  # JSON-ready throughout


def test_a_guarded_account_timeline_shows_its_funds_after_each_posting(
    app: BackOffice, trail: AuditTrail
) -> None:
    bank = str(app.get_account("Assets:Bank").id)
    spend_from_bank(app, "rent", "30.00")
    timeline = entity_timeline(app, trail, bank)
    assert [step["event_type"] for step in timeline] == [
        "AccountOpened",
        "PostingRecorded",
        "PostingRecorded",
    ]
    assert timeline[0]["state_after"]["funds"] == {}
    funds = [step["state_after"]["funds"]["USD"] for step in timeline[1:]]
    assert [(f["debits_posted"], f["credits_posted"]) for f in funds] == [
        (10_000, 0),
        (10_000, 3_000),
    ]


def test_a_timeline_of_an_unknown_entity_is_refused_with_a_stable_code(
    app: BackOffice, trail: AuditTrail
) -> None:
    with pytest.raises(UnknownEntity) as refused:
        entity_timeline(app, trail, "00000000-0000-0000-0000-000000000000")
    assert (refused.value.code, status_for(refused.value)) == ("unknown_entity", 404)
    with pytest.raises(InvalidInput) as malformed:
        entity_timeline(app, trail, "Assets:Bank")
    assert malformed.value.field == "entity_id"
