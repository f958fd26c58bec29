"""Old event versions still load: a version-1 ``JournalEntryPosted`` (before
``reference`` and ``metadata`` existed) is upcast when the entry is read."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from backoffice.container import build_system
from domain.application import BackOffice
from domain.ledger.journal import JournalEntry, entry_id_for_key
from tests.ledger.support import CONTROLLER, available_minor, fund_bank, open_chart


@pytest.fixture
def app(database_url: str) -> Iterator[BackOffice]:
    system = build_system(database_url)
    open_chart(system.app)
    yield system.app
    system.close()


def store_version_1_entry(app: BackOffice, key: str, postings: list[list[object]]) -> UUID:
    """Write an entry as the first release stored it: no class_version, no
    reference, no metadata."""
    entry_id = entry_id_for_key(key)
    state = {
        "originator_topic": get_topic(JournalEntry),
        "timestamp": "2025-01-31T09:00:00+00:00",
        "idempotency_key": key,
        "fingerprint": "0" * 64,
        "effective_date": "2025-01-31",
        "description": "January rent",
        "postings": postings,
        "reverses": None,
        "actor": "legacy@example.test",
        "correlation_id": "legacy-import",
    }
    app.recorder.insert_events([
        StoredEvent(
            originator_id=entry_id,
            originator_version=1,
            topic=get_topic(JournalEntry.JournalEntryPosted),
            state=orjson.dumps(state),
        )
    ])
    return entry_id


def test_a_version_1_posted_entry_is_read_with_an_empty_reference_and_metadata(
    app: BackOffice,
) -> None:
    entry_id = store_version_1_entry(
        app, "legacy-rent", [["Expenses:Rent", "debit", 1000, "USD"],
                             ["Income:Sales", "credit", 1000, "USD"]])
    loaded: JournalEntry = app.repository.get(entry_id)
    assert isinstance(loaded, JournalEntry)
    assert (loaded.reference, loaded.metadata) == ("", {})
    assert (loaded.description, loaded.effective_date, loaded.status) == (
        "January rent", "2025-01-31", "posted")
    assert loaded.postings[0] == ["Expenses:Rent", "debit", 1000, "USD"]


def test_a_version_1_entry_can_still_be_reversed(app: BackOffice) -> None:
    fund_bank(app, "100.00")
    entry_id = store_version_1_entry(
        app, "legacy-refund", [["Assets:Bank", "debit", 1000, "USD"],
                               ["Income:Sales", "credit", 1000, "USD"]])
    reversal = app.reverse_entry(CONTROLLER, entry_id, "imported twice", "2026-03-01")
    reversing = app.get_entry(reversal.entry_id)
    assert reversing.reverses == str(entry_id)
    assert reversing.reference == ""
    assert app.get_entry(entry_id).reversed_by == str(reversal.entry_id)
    assert available_minor(app, "Assets:Bank") == 100_00 - 10_00
