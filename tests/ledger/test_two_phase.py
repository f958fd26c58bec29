"""Two-phase entries: a pending entry reserves, posting it moves the funds once,
voiding it releases them."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.application import BackOffice
from domain.ledger.errors import EntryNotPending, InsufficientFunds, UnknownEntry
from domain.ledger.journal import entry_id_for_key
from tests.ledger.support import (
    CLERK,
    CONTROLLER,
    available_minor,
    entry,
    head,
    logged_events,
    spend_from_bank,
    transfer,
)


def reserve(app: BackOffice, key: str, amount: str) -> UUID:
    """A card payment authorised out of the bank account, not yet captured."""
    command = entry(key, transfer("Expenses:Rent", "Assets:Bank", amount), pending=True)
    return app.post_journal_entry(command).entry_id


def test_a_pending_entry_reserves_funds_of_a_no_overdraft_account(app: BackOffice) -> None:
    reserve(app, "card-1", "80.00")
    funds = app.get_account("Assets:Bank").funds["USD"]
    assert (funds.credits_pending, funds.credits_posted) == (80_00, 0)
    assert available_minor(app, "Assets:Bank") == 20_00


def test_a_spend_beyond_what_a_reservation_left_available_is_refused(app: BackOffice) -> None:
    reserve(app, "card-1", "80.00")
    before = head(app)
    with pytest.raises(InsufficientFunds):
        spend_from_bank(app, "rent", "30.00")
    assert head(app) == before


def test_a_reservation_beyond_the_available_funds_is_refused(app: BackOffice) -> None:
    reserve(app, "card-1", "80.00")
    with pytest.raises(InsufficientFunds):
        reserve(app, "card-2", "20.01")


def test_an_incoming_pending_amount_is_not_available_to_spend(app: BackOffice) -> None:
    app.post_journal_entry(
        entry("incoming", transfer("Assets:Bank", "Income:Sales", "50.00"), pending=True)
    )
    with pytest.raises(InsufficientFunds):
        spend_from_bank(app, "rent", "100.01")


def test_posting_a_pending_entry_moves_the_reserved_amount_in_full(app: BackOffice) -> None:
    entry_id = reserve(app, "card-1", "80.00")
    app.post_pending(CONTROLLER, entry_id)
    funds = app.get_account("Assets:Bank").funds["USD"]
    assert (funds.credits_pending, funds.credits_posted) == (0, 80_00)
    assert available_minor(app, "Assets:Bank") == 20_00
    assert app.get_entry(entry_id).status == "posted"


def test_a_pending_entry_is_posted_exactly_once(app: BackOffice) -> None:
    entry_id = reserve(app, "card-1", "80.00")
    app.post_pending(CONTROLLER, entry_id)
    before = head(app)
    with pytest.raises(EntryNotPending) as refusal:
        app.post_pending(CONTROLLER, entry_id)
    assert refusal.value.code == "entry_not_pending"
    assert head(app) == before
    assert app.get_account("Assets:Bank").funds["USD"].credits_posted == 80_00


def test_a_posted_pending_entry_cannot_be_voided(app: BackOffice) -> None:
    entry_id = reserve(app, "card-1", "80.00")
    app.post_pending(CONTROLLER, entry_id)
    before = head(app)
    with pytest.raises(EntryNotPending):
        app.void_pending(CONTROLLER, entry_id, "customer cancelled")
    assert head(app) == before


def test_voiding_a_pending_entry_releases_its_reservation(app: BackOffice) -> None:
    entry_id = reserve(app, "card-1", "80.00")
    app.void_pending(CONTROLLER, entry_id, "customer cancelled")
    assert app.get_entry(entry_id).status == "voided"
    assert available_minor(app, "Assets:Bank") == 100_00
    spend_from_bank(app, "rent", "100.00")


def test_a_voided_entry_cannot_be_posted_or_voided_again(app: BackOffice) -> None:
    entry_id = reserve(app, "card-1", "80.00")
    app.void_pending(CONTROLLER, entry_id, "customer cancelled")
    before = head(app)
    with pytest.raises(EntryNotPending):
        app.post_pending(CONTROLLER, entry_id)
    with pytest.raises(EntryNotPending):
        app.void_pending(CONTROLLER, entry_id, "again")
    assert head(app) == before


def test_a_posted_entry_is_not_pending(app: BackOffice) -> None:
    outcome = spend_from_bank(app, "rent", "10.00")
    with pytest.raises(EntryNotPending):
        app.post_pending(CONTROLLER, outcome.entry_id)


def test_posting_an_unknown_entry_is_refused(app: BackOffice) -> None:
    with pytest.raises(UnknownEntry):
        app.post_pending(CONTROLLER, entry_id_for_key("never-posted"))


def test_resolving_a_pending_entry_is_recorded_with_who_did_it(app: BackOffice) -> None:
    entry_id = reserve(app, "card-1", "80.00")
    before = head(app)
    app.void_pending(CONTROLLER, entry_id, "customer cancelled")
    written = logged_events(app, after=before)
    assert [event.name for event in written] == ["PostingRecorded", "PendingEntryVoided"]
    voided = written[1].state
    assert (voided["actor"], voided["correlation_id"], voided["reason"]) == (
        CONTROLLER.actor, CONTROLLER.correlation_id, "customer cancelled")
    assert app.get_entry(entry_id).actor == CLERK.actor
