"""The raw log reader: every event once, in order, in the application's own shape."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from adapters.database import postgres_connect_kwargs
from adapters.log_reader import POSTGRES_EVENTS_TABLE, LogReader
from backoffice.container import System, build_system
from tests.ledger.support import CLERK, entry, head, logged_events, transfer


@pytest.fixture
def system(database_url: str) -> Iterator[System]:
    built = build_system(database_url)
    built.app.open_account(CLERK, "Assets:Bank", "Bank", "asset", ["USD"])
    built.app.open_account(CLERK, "Equity:Capital", "Capital", "equity", ["USD"])
    yield built
    built.close()


def post(system: System, count: int, prefix: str = "k") -> None:
    system.app.post_entries(
        [
            entry(f"{prefix}{i}", transfer("Assets:Bank", "Equity:Capital", "1.00"))
            for i in range(count)
        ]
    )


def test_pages_hold_every_event_once_in_log_order_as_the_application_stored_it(
    system: System,
) -> None:
    post(system, 7)
    with LogReader(system.database) as reader:
        pages = list(reader.pages(0, page_size=3))
        assert reader.head_position() == head(system.app)
    assert [len(page) for page in pages] == [3, 3, 3]
    events = [event for page in pages for event in page]
    expected = logged_events(system.app)
    assert [e.position for e in events] == [e.position for e in expected]
    assert [e.originator_id for e in events] == [str(e.originator_id) for e in expected]
    assert [(e.originator_version, e.topic, e.state) for e in events] == [
        (e.originator_version, e.topic, e.state) for e in expected
    ]


def test_reading_starts_after_a_position_and_stops_at_another(system: System) -> None:
    post(system, 6)
    with LogReader(system.database) as reader:
        positions = [event.position for page in reader.pages(2, 4, up_to=6) for event in page]
    assert positions == [3, 4, 5, 6]


def test_an_empty_log_has_no_pages_and_head_zero(tmp_path: object) -> None:
    from adapters.database import parse_database_url

    database = parse_database_url(f"sqlite:///{tmp_path}/absent.db")
    with LogReader(database) as reader:
        assert reader.head_position() == 0
        assert list(reader.pages()) == []


def test_page_sizes_are_bounded(system: System) -> None:
    with LogReader(system.database) as reader, pytest.raises(AssertionError):
        reader.read_page(0, page_size=50_001)


def test_gaps_in_postgres_notification_ids_are_stepped_over(postgres_url: str) -> None:
    """Rolled-back inserts leave gaps in the id sequence (SQLite reuses row ids)."""
    system = build_system(postgres_url)
    try:
        system.app.open_account(CLERK, "Assets:Bank", "Bank", "asset", ["USD"])
        system.app.open_account(CLERK, "Equity:Capital", "Capital", "equity", ["USD"])
        post(system, 2, "before")
        sequence = f"{system.database.schema}.{POSTGRES_EVENTS_TABLE}_notification_id_seq"
        with psycopg.connect(
            **postgres_connect_kwargs(system.database), autocommit=True
        ) as connection:  # type: ignore[arg-type]
            for _ in range(5):
                connection.execute("SELECT nextval(%s)", (sequence,))
        post(system, 2, "after")
        with LogReader(system.database) as reader:
            positions = [event.position for page in reader.pages(0, page_size=2) for event in page]
        assert positions == [event.position for event in logged_events(system.app)]
        assert positions[-1] - positions[0] + 1 == len(positions) + 5
    finally:
        system.close()


def test_reading_ahead_gives_the_same_pages_and_can_stop_early(system: System) -> None:
    post(system, 7)
    with LogReader(system.database) as reader:
        expected = list(reader.pages(1, page_size=2, up_to=8))
        assert list(reader.pages_ahead(1, page_size=2, up_to=8)) == expected
        ahead = reader.pages_ahead(0, page_size=2)
        first = next(ahead)
        ahead.close()  # the fetch under way finishes; the connection is usable again
        assert reader.head_position() == head(system.app)
    assert [event.position for event in first] == [1, 2]
