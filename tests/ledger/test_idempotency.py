"""Ledger rule 5: the same key with the same body returns the original result;
the same key with a different body is refused. Neither writes anything."""

from __future__ import annotations

from typing import Any

import pytest

from domain.application import BackOffice
from domain.kernel.errors import DomainError, IdempotencyConflict
from domain.ledger.commands import PostingOutcome, PostJournalEntry
from domain.ledger.journal import entry_id_for_key
from tests.ledger.support import (
    CLERK,
    CONTROLLER,
    entry,
    head,
    logged_events,
    transfer,
)


def sale(key: str, amount: str = "25.00", **fields: Any) -> PostJournalEntry:
    return entry(key, transfer("Assets:Receivables", "Income:Sales", amount), **fields)


def test_a_retried_entry_returns_the_original_entry_and_writes_nothing(app: BackOffice) -> None:
    original = app.post_journal_entry(sale("invoice-1"))
    before = head(app)
    retried = app.post_journal_entry(sale("invoice-1"))
    assert retried.entry_id == original.entry_id
    assert retried.replayed is True
    assert original.replayed is False
    assert head(app) == before


def test_a_retry_spelling_the_same_amount_differently_is_the_same_entry(app: BackOffice) -> None:
    original = app.post_journal_entry(sale("invoice-1", "25.00"))
    retried = app.post_journal_entry(sale("invoice-1", "25.0"))
    assert (retried.entry_id, retried.replayed) == (original.entry_id, True)


def test_a_key_reused_for_a_different_body_is_refused_and_writes_nothing(app: BackOffice) -> None:
    app.post_journal_entry(sale("invoice-1", "25.00"))
    before = head(app)
    with pytest.raises(IdempotencyConflict) as refusal:
        app.post_journal_entry(sale("invoice-1", "26.00"))
    assert refusal.value.code == "idempotency_key_reused"
    assert refusal.value.field == "idempotency_key"
    assert head(app) == before


@pytest.mark.parametrize(
    "changed",
    [{"effective_date": "2026-03-11"}, {"description": "other"}, {"reference": "X-1"},
     {"metadata": {"a": "b"}}, {"pending": True}],
    ids=["another date", "another description", "another reference", "other metadata",
         "pending instead of posted"],
)
def test_every_field_of_the_body_is_part_of_the_idempotency_promise(
    app: BackOffice, changed: dict[str, Any]
) -> None:
    app.post_journal_entry(sale("invoice-1"))
    with pytest.raises(IdempotencyConflict):
        app.post_journal_entry(sale("invoice-1", **changed))


def test_a_key_reused_with_an_invalid_body_is_refused(app: BackOffice) -> None:
    app.post_journal_entry(sale("invoice-1"))
    before = head(app)
    with pytest.raises(DomainError):
        app.post_journal_entry(entry("invoice-1", transfer("Nowhere", "Income:Sales", "25.00")))
    assert head(app) == before


def test_a_retry_by_another_actor_returns_the_original_entry(app: BackOffice) -> None:
    original = app.post_journal_entry(sale("invoice-1"))
    retried = app.post_journal_entry(sale("invoice-1", context=CONTROLLER))
    assert (retried.entry_id, retried.replayed) == (original.entry_id, True)
    assert app.get_entry(original.entry_id).actor == CLERK.actor


def test_a_retry_is_answered_even_after_the_rules_would_refuse_the_entry(app: BackOffice) -> None:
    # The client never saw the acknowledgement; its retry must not be told
    # "period closed" for an entry that is in the books.
    original = app.post_journal_entry(sale("invoice-1"))
    app.close_period(CONTROLLER, "2026-03", "month end")
    before = head(app)
    retried = app.post_journal_entry(sale("invoice-1"))
    assert (retried.entry_id, retried.replayed) == (original.entry_id, True)
    assert head(app) == before


def test_a_retry_of_a_spend_is_answered_even_when_the_funds_are_gone(app: BackOffice) -> None:
    spend = entry("rent", transfer("Expenses:Rent", "Assets:Bank", "100.00"))
    original = app.post_journal_entry(spend)
    retried = app.post_journal_entry(spend)
    assert (retried.entry_id, retried.replayed) == (original.entry_id, True)
    assert app.get_account("Assets:Bank").funds["USD"].credits_posted == 100_00


def test_the_entry_id_is_derived_from_the_idempotency_key(app: BackOffice) -> None:
    outcome = app.post_journal_entry(sale("invoice-1"))
    assert outcome.entry_id == entry_id_for_key("invoice-1")


def test_a_duplicate_within_one_batch_is_posted_once_and_both_get_the_entry(app: BackOffice) -> None:
    before = head(app)
    first, second = app.post_entries([sale("invoice-1"), sale("invoice-1")])
    assert isinstance(first, PostingOutcome) and isinstance(second, PostingOutcome)
    assert first.entry_id == second.entry_id
    assert (first.replayed, second.replayed) == (False, True)
    assert second.position == first.position
    assert len(logged_events(app, after=before)) == 1


def test_a_key_reused_with_another_body_within_one_batch_is_refused(app: BackOffice) -> None:
    before = head(app)
    first, second = app.post_entries([sale("invoice-1", "25.00"), sale("invoice-1", "99.00")])
    assert isinstance(first, PostingOutcome)
    assert isinstance(second, IdempotencyConflict)
    assert len(logged_events(app, after=before)) == 1
    assert app.get_entry(first.entry_id).postings[0][2] == 25_00


def test_a_batch_retrying_an_old_entry_replays_it_and_commits_the_rest(app: BackOffice) -> None:
    original = app.post_journal_entry(sale("invoice-1"))
    before = head(app)
    outcomes = app.post_entries([sale("invoice-2"), sale("invoice-1"), sale("invoice-3")])
    assert [type(outcome) for outcome in outcomes] == [PostingOutcome] * 3
    assert [outcome.replayed for outcome in outcomes] == [False, True, False]  # type: ignore[union-attr]
    assert outcomes[1].entry_id == original.entry_id  # type: ignore[union-attr]
    assert len(logged_events(app, after=before)) == 2


def test_a_batch_reusing_an_old_key_for_another_body_still_commits_the_rest(app: BackOffice) -> None:
    app.post_journal_entry(sale("invoice-1", "25.00"))
    before = head(app)
    outcomes = app.post_entries(
        [sale("invoice-2"), sale("invoice-1", "99.00"), sale("invoice-3")]
    )
    assert isinstance(outcomes[0], PostingOutcome)
    assert isinstance(outcomes[1], IdempotencyConflict)
    assert isinstance(outcomes[2], PostingOutcome)
    assert len(logged_events(app, after=before)) == 2
    assert app.get_entry(entry_id_for_key("invoice-1")).postings[0][2] == 25_00


def test_a_retried_spend_in_a_batch_does_not_refuse_a_neighbour_for_funds_it_never_took(
    app: BackOffice,
) -> None:
    # 100.00 in the bank; a 10.00 rent was paid. Its retry rides in a batch
    # with an 85.00 payment: 90.00 is available, and the retry takes nothing.
    rent = entry("rent", transfer("Expenses:Rent", "Assets:Bank", "10.00"))
    app.post_journal_entry(rent)
    retried, payment = app.post_entries(
        [rent, entry("supplier", transfer("Expenses:Rent", "Assets:Bank", "85.00"))])
    assert isinstance(retried, PostingOutcome) and retried.replayed
    assert isinstance(payment, PostingOutcome), payment
    assert app.get_account("Assets:Bank").funds["USD"].available(debit_normal=True) == 5_00


def test_a_reused_key_in_a_batch_does_not_refuse_a_neighbour_for_funds_it_never_took(
    app: BackOffice,
) -> None:
    app.post_journal_entry(entry("rent", transfer("Expenses:Rent", "Assets:Bank", "10.00")))
    reused, payment = app.post_entries([
        entry("rent", transfer("Expenses:Rent", "Assets:Bank", "80.00")),
        entry("supplier", transfer("Expenses:Rent", "Assets:Bank", "85.00")),
    ])
    assert isinstance(reused, IdempotencyConflict)
    assert isinstance(payment, PostingOutcome), payment


def test_many_retries_of_one_entry_in_a_batch_all_get_the_original_entry(app: BackOffice) -> None:
    original = app.post_journal_entry(sale("invoice-1"))
    before = head(app)
    outcomes = app.post_entries([sale("invoice-1")] * 12 + [sale("invoice-2")])
    assert all(isinstance(outcome, PostingOutcome) for outcome in outcomes), outcomes
    assert [outcome.entry_id for outcome in outcomes[:12]] == [original.entry_id] * 12  # type: ignore[union-attr]
    assert all(outcome.replayed for outcome in outcomes[:12])  # type: ignore[union-attr]
    assert len(logged_events(app, after=before)) == 1
