"""Keeping the projection current: incremental, idempotent, exactly once after a crash."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from backoffice.container import System, build_system
from domain.ledger.commands import PostJournalEntry
from projections.ledger.balances import Changes
from projections.ledger.runner import ProjectionService
from projections.ledger.store import ProjectionMoved
from replay.verify import verify
from tests.ledger.support import CLERK, entry, head, transfer


@pytest.fixture
def system(database_url: str) -> Iterator[System]:
    built = build_system(database_url)
    app = built.app
    app.open_account(CLERK, "Assets:Bank", "Bank", "asset", ["USD"], ["no_overdraft"])
    app.open_account(CLERK, "Equity:Capital", "Capital", "equity", ["USD"])
    app.open_account(CLERK, "Expenses:Rent", "Rent", "expense", ["USD"])
    yield built
    built.close()


def fund(key: str, amount: str = "10.00", day: int = 1) -> PostJournalEntry:
    return entry(key, transfer("Assets:Bank", "Equity:Capital", amount), f"2026-03-{day:02d}")


def bank_posted(service: ProjectionService) -> tuple[int, int]:
    line = service.balance("Assets:Bank").lines[0]
    return line.debits_posted, line.credits_posted


def test_catching_up_twice_writes_nothing_the_second_time(system: System) -> None:
    system.app.post_entries([fund("a"), fund("b")])
    service = system.projections
    first = service.catch_up()
    digests = service.store.table_digests()
    assert service.catch_up() == first == head(system.app)
    assert service.store.table_digests() == digests


def test_catch_up_folds_only_what_was_appended_since(system: System) -> None:
    service = system.projections
    system.app.post_journal_entry(fund("a", "10.00"))
    assert bank_posted(service) == (1_000, 0)
    system.app.post_journal_entry(fund("b", "2.50"))
    assert service.store.tracked_position() < head(system.app)
    assert bank_posted(service) == (1_250, 0)  # the query caught up first
    assert service.store.tracked_position() == head(system.app)


def test_catch_up_stops_at_the_requested_position(system: System) -> None:
    first = system.app.post_journal_entry(fund("a")).position
    system.app.post_journal_entry(fund("b"))
    assert first is not None
    assert system.projections.catch_up(up_to=first) == first
    assert system.projections.store.tracked_position() == first


def test_a_crash_in_the_middle_of_a_batch_leaves_no_half_batch_and_no_double_count(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = ProjectionService(system.database, page_size=2, catch_up_on_query=False)
    system.app.post_entries([fund(f"k{i}", "1.00", day=i + 1) for i in range(5)])
    store = service.store
    insert_rows = store._insert_rows
    batches: list[int] = []

    def crash_in_second_batch(name: str, rows: list[tuple[Any, ...]]) -> None:
        insert_rows(name, rows)  # the history rows of the batch are written...
        if name == "entries":
            batches.append(1)
            if len(batches) == 2:
                raise OSError("disk full")  # ...and the transaction dies after them

    monkeypatch.setattr(store, "_insert_rows", crash_in_second_batch)
    with pytest.raises(OSError):
        service.catch_up()
    committed = store.tracked_position()
    assert 0 < committed < head(system.app)
    # Only whole batches are visible: the counters match the tracked position.
    assert store.counters("Assets:Bank", None, None) == store.counters(
        "Assets:Bank", None, committed
    )
    monkeypatch.undo()
    assert service.catch_up() == head(system.app)
    assert bank_posted(service) == (500, 0)
    service.close()
    assert verify(system.database).findings == []


def test_a_fresh_process_resumes_from_the_tracked_position(system: System) -> None:
    system.app.post_entries([fund("a"), fund("b")])
    system.projections.catch_up()
    system.app.post_journal_entry(fund("c"))
    system.app.post_journal_entry(
        entry("pay", transfer("Expenses:Rent", "Assets:Bank", "4.00"), pending=True)
    )
    restarted = ProjectionService(system.database)
    try:
        assert restarted.catch_up() == head(system.app)
        pending = system.app.post_journal_entry(
            entry("pay2", transfer("Expenses:Rent", "Assets:Bank", "1.00"), pending=True)
        )
        system.app.post_pending(CLERK, pending.entry_id)
        assert [
            (line.debits_posted, line.credits_posted, line.credits_pending)
            for line in restarted.balance("Assets:Bank").lines
        ] == [(3_000, 100, 400)]
    finally:
        restarted.close()
    # The first service's memory is stale: it reloads rather than double counts.
    assert bank_posted(system.projections) == (3_000, 100)
    assert verify(system.database).findings == []


def test_a_batch_written_from_a_stale_position_is_refused_whole(system: System) -> None:
    system.app.post_journal_entry(fund("a"))
    store = system.projections.store
    position = system.projections.catch_up()
    stale = Changes(from_position=position - 1, to_position=position + 5)
    stale.history.append((99, position + 5, "2026-03-01", 1, 0, 0, 0, 1, 0, 0, 0))
    with pytest.raises(ProjectionMoved):
        store.write_batch(stale)
    assert store.tracked_position() == position
    assert store.counters(None, None, None) == store.counters(None, None, position)


def test_two_services_on_one_database_never_count_a_batch_twice(system: System) -> None:
    system.app.post_entries([fund(f"k{i}") for i in range(4)])
    other = ProjectionService(system.database, page_size=1)
    try:
        results: list[int] = []
        workers = [
            threading.Thread(target=lambda s=s: results.append(s.catch_up()))
            for s in (system.projections, other)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert results == [head(system.app)] * 2
        assert bank_posted(other) == (4_000, 0)
    finally:
        other.close()
    assert verify(system.database).findings == []


def test_many_entries_in_one_batch_take_the_bulk_write_paths(system: System) -> None:
    """Hundreds of daily rows and entry updates in one batch: COPY-and-merge on PostgreSQL."""
    app = system.app
    app.post_entries([fund(f"k{i}", "1.00", day=1 + i % 28) for i in range(90)])
    holds = app.post_entries(
        [
            entry(f"h{i}", transfer("Expenses:Rent", "Assets:Bank", "0.50"), f"2026-04-{1 + i % 28:02d}", pending=True)
            for i in range(80)
        ]
    )
    system.projections.catch_up()
    for index, outcome in enumerate(holds):
        if index % 2:
            app.post_pending(CLERK, outcome.entry_id)  # type: ignore[union-attr]
        else:
            app.void_pending(CLERK, outcome.entry_id, "released")  # type: ignore[union-attr]
    assert bank_posted(system.projections) == (9_000, 40 * 50)
    assert system.projections.trial_balance(as_of_date="2026-04-30").balanced
    assert verify(system.database).findings == []


def test_the_worker_loop_catches_up_until_told_to_stop(system: System) -> None:
    worker = ProjectionService(system.database, catch_up_on_query=False)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(0.01, stop))
    thread.start()
    try:
        system.app.post_journal_entry(fund("a"))
        for _ in range(500):
            if worker.position() == head(system.app):
                break
            stop.wait(0.01)
        assert worker.position() == head(system.app)
    finally:
        stop.set()
        thread.join()
        worker.close()
