"""The fold pipeline: batches written in order, and any failure stops it and surfaces."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from eventsourcing.utils import get_topic

from adapters.log_reader import LogEvent
from domain.ledger.journal import JournalEntry
from projections.ledger.balances import BalanceState, Changes
from projections.tracking.pipeline import fold_pages

TOPIC = get_topic(JournalEntry.JournalEntryPosted)


def pages(count: int, page_size: int = 3) -> Iterator[list[LogEvent]]:
    position = 0
    for _ in range(count):
        page = []
        for _ in range(page_size):
            position += 1
            state = {
                "class_version": 2, "effective_date": "2026-03-01", "reverses": None,
                "postings": [["A", "debit", position, "USD"], ["B", "credit", position, "USD"]],
            }  # fmt: skip
            page.append(LogEvent(position, f"e{position}", 1, TOPIC, state))
        yield page


@pytest.mark.parametrize("overlap", [False, True])
def test_every_batch_is_written_once_in_log_order(overlap: bool) -> None:
    written: list[tuple[int, int]] = []
    state = BalanceState()
    position = fold_pages(
        state, pages(5), lambda c: written.append((c.from_position, c.to_position)), overlap=overlap
    )
    assert position == 15
    assert written == [(0, 3), (3, 6), (6, 9), (9, 12), (12, 15)]
    assert state.counters[("A", "USD")][0] == sum(range(16))


def test_a_failed_write_stops_the_pipeline_and_nothing_after_it_is_written() -> None:
    written: list[int] = []

    def write(changes: Changes) -> None:
        if changes.from_position == 6:
            raise OSError("connection lost")
        written.append(changes.to_position)

    with pytest.raises(OSError, match="connection lost"):
        fold_pages(BalanceState(), pages(50), write, overlap=True)
    assert written == [3, 6]


def test_a_failed_read_surfaces_in_the_caller() -> None:
    def failing() -> Iterator[list[LogEvent]]:
        yield from pages(2)
        raise TimeoutError("database went away")

    written: list[int] = []
    with pytest.raises(TimeoutError):
        fold_pages(BalanceState(), failing(), lambda c: written.append(c.to_position), overlap=True)
    # The writer runs beside the reader: when the read fails it may not have
    # written the pages before it yet (the projection resumes from its tracked
    # position), but what it wrote is those pages, in order, and nothing more.
    assert written in ([], [3], [3, 6])


def test_an_event_the_fold_cannot_read_stops_reader_and_writer() -> None:
    broken = [[LogEvent(1, "e1", 1, TOPIC, {"class_version": 2})]]  # no postings
    before = threading.active_count()
    with pytest.raises(KeyError):
        fold_pages(BalanceState(), iter([*broken, *pages(3)]), lambda c: None, overlap=True)
    assert threading.active_count() == before
