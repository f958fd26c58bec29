"""Replay: a rebuild gives the live projection to the byte; verify notices when not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from backoffice.container import System, build_system
from domain.ledger.journal import JournalEntry, entry_id_for_key
from projections.ledger.runner import open_store
from projections.ledger.schema import PREFIX_SHADOW
from replay.rebuild import UnknownProjection, rebuild
from replay.verify import verify
from tests.ledger.support import CLERK, entry, head, transfer


@pytest.fixture
def system(database_url: str) -> Iterator[System]:
    built = build_system(database_url)
    app = built.app
    app.open_account(CLERK, "Assets:Bank", "Bank", "asset", ["USD"], ["no_overdraft"])
    app.open_account(CLERK, "Equity:Capital", "Capital", "equity", ["USD"])
    app.open_account(CLERK, "Expenses:Rent", "Rent", "expense", ["USD"])
    app.register_asset(CLERK, "VBMPX", 3, "Index fund")
    app.open_account(CLERK, "Assets:Fund", "Fund units", "asset", ["VBMPX"])
    app.open_account(CLERK, "Equity:Units", "Units issued", "equity", ["VBMPX"])
    yield built
    built.close()


def busy_ledger(system: System) -> None:
    """Entries of every kind, spread so that rebuild pages split them."""
    app = system.app
    app.post_entries(
        [entry(f"fund{i}", transfer("Assets:Bank", "Equity:Capital", "100.00"), f"2026-03-{i + 1:02d}")
         for i in range(6)]
    )  # fmt: skip
    app.post_journal_entry(
        entry("units", transfer("Assets:Fund", "Equity:Units", "1.250", "VBMPX"))
    )
    rent = app.post_journal_entry(entry("rent", transfer("Expenses:Rent", "Assets:Bank", "70.00")))
    held = [
        app.post_journal_entry(
            entry(f"hold{i}", transfer("Expenses:Rent", "Assets:Bank", "5.00"), pending=True)
        )
        for i in range(3)
    ]
    app.post_pending(CLERK, held[0].entry_id)
    app.void_pending(CLERK, held[1].entry_id, "released")
    app.reverse_entry(CLERK, rent.entry_id, "wrong account", "2026-03-31")
    app.close_period(CLERK, "2026-02", "month end")
    app.reopen_period(CLERK, "2026-02", "late invoice")
    app.close_period(CLERK, "2026-02", "month end again")


def test_a_rebuild_gives_the_live_tables_to_the_byte(system: System) -> None:
    busy_ledger(system)
    system.projections.catch_up()
    live = system.projections.store.table_digests()
    reported: list[tuple[int, int]] = []
    stats = rebuild(
        system.database,
        progress=lambda position, target: reported.append((position, target)),
        page_size=3,
    )
    assert stats.position == head(system.app)
    assert stats.events == head(system.app)
    assert stats.events_per_s > 0
    assert reported[-1] == (head(system.app), head(system.app))
    assert system.projections.store.table_digests() == live


def test_the_live_projection_keeps_going_after_a_rebuild_swapped_its_tables(system: System) -> None:
    busy_ledger(system)
    before = system.projections.balance("Assets:Bank")
    rebuild(system.database)
    assert system.projections.balance("Assets:Bank") == before
    system.app.post_journal_entry(entry("late", transfer("Assets:Bank", "Equity:Capital", "1.00")))
    after = system.projections.balance("Assets:Bank").lines[0]
    assert after.debits_posted == before.lines[0].debits_posted + 100
    assert verify(system.database).findings == []


def test_verify_finds_nothing_wrong_with_an_untouched_projection(system: System) -> None:
    busy_ledger(system)
    report = verify(system.database)
    assert report.ok, report.findings
    assert report.position == head(system.app)
    assert report.live_digests == report.shadow_digests
    assert not open_store(system.database, PREFIX_SHADOW).tables_exist()


def test_verify_compares_at_the_position_the_live_projection_reached(system: System) -> None:
    busy_ledger(system)
    system.projections.catch_up()
    report = verify(system.database)
    assert report.ok, report.findings
    assert report.position == system.projections.store.tracked_position()


def test_verify_names_the_table_someone_edited(system: System) -> None:
    busy_ledger(system)
    system.projections.catch_up()
    store = system.projections.store
    with store.write_transaction():
        store._execute(
            f"UPDATE {store.table('balances')} SET debits_posted = debits_posted + 1 "
            "WHERE account = ?",
            ("Assets:Bank",),
        )
    report = verify(system.database)
    assert [finding.invariant for finding in report.findings] == ["digest:balances"]
    assert "bal_balances" in report.findings[0].detail


def store_raw_entry(system: System, key: str, state: dict[str, Any]) -> None:
    """An entry written straight into the log, as an old release or a bug might have."""
    base: dict[str, Any] = {
        "originator_topic": get_topic(JournalEntry),
        "timestamp": "2025-01-31T09:00:00+00:00",
        "idempotency_key": key,
        "fingerprint": "0" * 64,
        "effective_date": "2025-01-31",
        "description": "imported",
        "reverses": None,
        "actor": "legacy@example.test",
        "correlation_id": "legacy-import",
    }
    system.app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=entry_id_for_key(key),
                originator_version=1,
                topic=get_topic(JournalEntry.JournalEntryPosted),
                state=orjson.dumps({**base, **state}, option=orjson.OPT_SORT_KEYS),
            )
        ]
    )


def test_verify_reports_an_invariant_broken_in_the_log_itself(system: System) -> None:
    busy_ledger(system)
    store_raw_entry(
        system,
        "bad-import",
        {"class_version": 2, "reference": "", "metadata": {},
         "postings": [["Expenses:Rent", "debit", 1_000, "USD"], ["Assets:Bank", "credit", 900, "USD"]]},
    )  # fmt: skip
    report = verify(system.database)
    invariants = [finding.invariant for finding in report.findings]
    assert invariants == ["balanced_entry", "trial_balance"]
    assert report.findings[0].position == head(system.app)


def test_a_version_1_entry_is_folded_and_read_back_with_empty_reference_and_metadata(
    system: System,
) -> None:
    store_raw_entry(
        system,
        "legacy-capital",
        {
            "postings": [
                ["Assets:Bank", "debit", 4_200, "USD"],
                ["Equity:Capital", "credit", 4_200, "USD"],
            ]
        },
    )
    entry_id = entry_id_for_key("legacy-capital")
    loaded = system.app.get_entry(entry_id)
    assert (loaded.reference, loaded.metadata) == ("", {})
    assert system.projections.entry_position(entry_id) == head(system.app)
    bank = system.projections.balance("Assets:Bank", as_of_date="2025-01-31").lines[0]
    assert (bank.debits_posted, bank.net) == (4_200, "42.00")
    assert verify(system.database).ok


def test_amounts_of_registered_assets_are_shown_with_their_scale(system: System) -> None:
    busy_ledger(system)
    units = system.projections.balance("Assets:Fund").lines[0]
    assert (units.asset, units.debits_posted, units.net) == ("VBMPX", 1_250, "1.250")


def test_only_known_projections_are_rebuilt(system: System) -> None:
    with pytest.raises(UnknownProjection):
        rebuild(system.database, projection=f"audit-{uuid4().hex[:4]}")


def test_the_verify_report_reads_as_one_line_per_table(system: System) -> None:
    busy_ledger(system)
    lines = verify(system.database).summary_lines()
    assert lines[0] == f"balances at log position {head(system.app)}:"
    assert len(lines) == 2 + 8 and all(line.endswith("same") for line in lines[1:-1])


def test_a_rebuild_that_fails_midway_leaves_the_live_projection_and_the_next_rebuild_works(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    import projections.tracking.pipeline as pipeline

    busy_ledger(system)
    system.projections.catch_up()
    live = system.projections.store.table_digests()
    folded_pages: list[int] = []
    fold_page = pipeline.apply_all

    def fail_on_third_page(state: Any, events: Any) -> None:
        folded_pages.append(len(events))
        if len(folded_pages) == 3:
            raise RuntimeError("disk on fire")
        fold_page(state, events)

    monkeypatch.setattr(pipeline, "apply_all", fail_on_third_page)
    with pytest.raises(RuntimeError, match="disk on fire"):
        rebuild(system.database, page_size=3)
    monkeypatch.setattr(pipeline, "apply_all", fold_page)
    assert system.projections.store.table_digests() == live
    rebuild(system.database, page_size=3)
    assert system.projections.store.table_digests() == live
