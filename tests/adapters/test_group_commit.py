"""Group commit: concurrent callers share commits, and each gets its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from adapters.group_commit import CommitterStopped, GroupCommitter
from backoffice.container import build_system
from domain.application import BackOffice
from domain.kernel.errors import DomainError
from domain.ledger.commands import PostingOutcome
from domain.ledger.errors import InsufficientFunds, UnknownAccount
from domain.ledger.journal import entry_id_for_key
from tests.ledger.support import (
    available_minor,
    entry,
    fund_bank,
    head,
    logged_events,
    open_chart,
    transfer,
)

THREADS = 8
COMMANDS_PER_THREAD = 12


@pytest.fixture
def app(database_url: str) -> Iterator[BackOffice]:
    system = build_system(database_url)
    open_chart(system.app)
    fund_bank(system.app, "100.00")
    yield system.app
    system.close()


def command_for(thread: int, number: int) -> tuple[str, object, str | None]:
    """Every third command names an account that does not exist: (key, command, refusal code)."""
    key = f"t{thread}-n{number}"
    if number % 3 == 2:
        return key, entry(key, transfer("Assets:Receivables", f"Income:Nowhere:{thread}", "1.00")), "unknown_account"
    return key, entry(key, transfer("Assets:Receivables", "Income:Sales", f"{thread + 1}.{number:02d}")), None


def test_each_caller_gets_its_own_outcome_and_batches_are_shared(app: BackOffice) -> None:
    mismatches: list[str] = []
    start = threading.Barrier(THREADS)

    with GroupCommitter(app) as committer:
        def caller(thread: int) -> None:
            start.wait()
            # Submit everything first so the queue fills while a commit runs.
            pending: list[tuple[str, str | None, Future[PostingOutcome]]] = []
            for number in range(COMMANDS_PER_THREAD):
                key, command, refusal = command_for(thread, number)
                pending.append((key, refusal, committer.submit(command)))  # type: ignore[arg-type]
            for key, refusal, future in pending:
                error = future.exception(timeout=30)
                if refusal is None and error is not None:
                    mismatches.append(f"{key}: refused with {error!r}")
                elif refusal is None and future.result().entry_id != entry_id_for_key(key):
                    mismatches.append(f"{key}: got another caller's entry")
                elif refusal is not None and not (
                    isinstance(error, UnknownAccount) and f"Income:Nowhere:{thread}" in error.message
                ):
                    mismatches.append(f"{key}: expected its own refusal, got {error!r}")

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    total = THREADS * COMMANDS_PER_THREAD
    assert mismatches == []
    assert committer.commands_committed == total
    assert committer.batches_committed < total, "no two commands ever shared a commit"
    posted = [event for event in logged_events(app) if event.name == "JournalEntryPosted"]
    assert len(posted) == 1 + THREADS * (COMMANDS_PER_THREAD - COMMANDS_PER_THREAD // 3)


def test_a_refusal_in_a_shared_commit_goes_to_its_caller_only(app: BackOffice) -> None:
    with GroupCommitter(app) as committer:
        # While the application's writer lock is held no commit can finish, so
        # the three commands are drained into at most two batches: the refused
        # one shares a commit with an accepted one whatever the timing.
        with app.write_lock:
            futures = [
                committer.submit(entry("sale", transfer("Assets:Receivables", "Income:Sales", "5.00"))),
                committer.submit(entry("overdraw", transfer("Expenses:Rent", "Assets:Bank", "100.01"))),
                committer.submit(entry("rent", transfer("Expenses:Rent", "Assets:Bank", "60.00"))),
            ]
        outcomes = [future.exception(timeout=30) or future.result() for future in futures]
    assert committer.batches_committed <= 2
    assert isinstance(outcomes[0], PostingOutcome)
    assert isinstance(outcomes[1], InsufficientFunds)
    assert isinstance(outcomes[2], PostingOutcome)
    assert available_minor(app, "Assets:Bank") == 40_00


def test_post_waits_for_the_callers_own_outcome(app: BackOffice) -> None:
    with GroupCommitter(app) as committer:
        outcome = committer.post(entry("sale", transfer("Assets:Receivables", "Income:Sales", "5.00")))
        with pytest.raises(DomainError) as refusal:
            committer.post(entry("overdraw", transfer("Expenses:Rent", "Assets:Bank", "500.00")))
    assert outcome.entry_id == entry_id_for_key("sale")
    assert outcome.position == head(app)
    assert refusal.value.code == "insufficient_funds"


def test_a_stopped_committer_refuses_new_commands_and_writes_nothing(app: BackOffice) -> None:
    committer = GroupCommitter(app).start()
    committer.stop()
    before = head(app)
    with pytest.raises(CommitterStopped):
        committer.submit(entry("late", transfer("Assets:Receivables", "Income:Sales", "5.00")))
    assert head(app) == before


def test_a_committer_never_started_refuses_commands(app: BackOffice) -> None:
    with pytest.raises(CommitterStopped):
        GroupCommitter(app).submit(entry("early", transfer("Assets:Receivables", "Income:Sales", "5.00")))
