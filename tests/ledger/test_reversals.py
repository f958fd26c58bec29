"""Ledger rule 3: nothing is edited; a mistake is corrected by a reversal entry
that references the original, once."""

from __future__ import annotations

import pytest

from domain.application import BackOffice
from domain.ledger.errors import (
    EntryAlreadyReversed,
    EntryNotReversible,
    InsufficientFunds,
    PeriodClosed,
)
from tests.ledger.support import (
    CONTROLLER,
    DAY_IN_APRIL,
    available_minor,
    entry,
    head,
    logged_events,
    spend_from_bank,
    transfer,
)


def test_a_reversal_is_a_new_entry_referencing_the_original(app: BackOffice) -> None:
    original = spend_from_bank(app, "rent", "30.00")
    reversal = app.reverse_entry(CONTROLLER, original.entry_id, "paid twice")
    reversing = app.get_entry(reversal.entry_id)
    assert reversal.entry_id != original.entry_id
    assert reversing.reverses == str(original.entry_id)
    assert app.get_entry(original.entry_id).reversed_by == str(reversal.entry_id)
    assert reversing.postings == [["Expenses:Rent", "credit", 30_00, "USD"],
                                  ["Assets:Bank", "debit", 30_00, "USD"]]
    assert available_minor(app, "Assets:Bank") == 100_00


def test_the_reversed_entry_keeps_its_original_postings(app: BackOffice) -> None:
    original = spend_from_bank(app, "rent", "30.00")
    app.reverse_entry(CONTROLLER, original.entry_id, "paid twice")
    assert app.get_entry(original.entry_id).postings == [
        ["Expenses:Rent", "debit", 30_00, "USD"], ["Assets:Bank", "credit", 30_00, "USD"]]
    assert app.get_entry(original.entry_id).status == "posted"


def test_an_entry_is_reversed_once(app: BackOffice) -> None:
    original = spend_from_bank(app, "rent", "30.00")
    app.reverse_entry(CONTROLLER, original.entry_id, "paid twice")
    before = head(app)
    with pytest.raises(EntryAlreadyReversed) as refusal:
        app.reverse_entry(CONTROLLER, original.entry_id, "paid twice")
    assert refusal.value.code == "entry_already_reversed"
    assert head(app) == before


def test_a_reversal_can_itself_be_reversed(app: BackOffice) -> None:
    original = spend_from_bank(app, "rent", "30.00")
    reversal = app.reverse_entry(CONTROLLER, original.entry_id, "wrong correction")
    app.reverse_entry(CONTROLLER, reversal.entry_id, "the rent was due after all")
    assert available_minor(app, "Assets:Bank") == 70_00


def test_a_pending_entry_is_not_reversible(app: BackOffice) -> None:
    pending = app.post_journal_entry(
        entry("card", transfer("Expenses:Rent", "Assets:Bank", "30.00"), pending=True))
    before = head(app)
    with pytest.raises(EntryNotReversible):
        app.reverse_entry(CONTROLLER, pending.entry_id, "wrong")
    assert head(app) == before


def test_a_voided_entry_is_not_reversible(app: BackOffice) -> None:
    pending = app.post_journal_entry(
        entry("card", transfer("Expenses:Rent", "Assets:Bank", "30.00"), pending=True))
    app.void_pending(CONTROLLER, pending.entry_id, "declined")
    before = head(app)
    with pytest.raises(EntryNotReversible):
        app.reverse_entry(CONTROLLER, pending.entry_id, "wrong")
    assert head(app) == before


def test_a_posted_pending_entry_is_reversible(app: BackOffice) -> None:
    pending = app.post_journal_entry(
        entry("card", transfer("Expenses:Rent", "Assets:Bank", "30.00"), pending=True))
    app.post_pending(CONTROLLER, pending.entry_id)
    app.reverse_entry(CONTROLLER, pending.entry_id, "refunded")
    assert available_minor(app, "Assets:Bank") == 100_00


def test_a_reversal_that_would_overdraw_a_no_overdraft_account_is_refused(app: BackOffice) -> None:
    # The funding entry brought 100.00 in; 60.00 has been spent since.
    spend_from_bank(app, "rent", "60.00")
    funding = app.get_entry(next(
        event.originator_id for event in logged_events(app)
        if event.name == "JournalEntryPosted" and event.state["idempotency_key"] == "funding"))
    before = head(app)
    with pytest.raises(InsufficientFunds):
        app.reverse_entry(CONTROLLER, funding.id, "capital returned")
    assert head(app) == before
    assert app.get_entry(funding.id).reversed_by is None


def test_a_reversal_dated_in_a_closed_period_is_refused(app: BackOffice) -> None:
    original = spend_from_bank(app, "rent", "30.00")
    app.close_period(CONTROLLER, "2026-03", "month end")
    before = head(app)
    with pytest.raises(PeriodClosed):
        app.reverse_entry(CONTROLLER, original.entry_id, "paid twice")
    assert head(app) == before


def test_an_entry_of_a_closed_period_is_reversed_in_an_open_one(app: BackOffice) -> None:
    original = spend_from_bank(app, "rent", "30.00")
    app.close_period(CONTROLLER, "2026-03", "month end")
    reversal = app.reverse_entry(CONTROLLER, original.entry_id, "paid twice", DAY_IN_APRIL)
    assert app.get_entry(reversal.entry_id).effective_date == DAY_IN_APRIL


def test_the_reversal_is_recorded_with_reason_and_actor(app: BackOffice) -> None:
    original = spend_from_bank(app, "rent", "30.00")
    before = head(app)
    app.reverse_entry(CONTROLLER, original.entry_id, "paid twice")
    reversed_event = next(
        event for event in logged_events(app, after=before) if event.name == "JournalEntryReversed")
    assert reversed_event.originator_id == original.entry_id
    assert (reversed_event.state["reason"], reversed_event.state["actor"]) == (
        "paid twice", CONTROLLER.actor)
