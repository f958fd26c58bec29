"""Ledger rule 1 and the limits: what a journal entry must be to be accepted.

Every refusal carries a stable code and writes nothing: the log's head
position is the same before and after.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.errors import DomainError
from domain.ledger.commands import PostJournalEntry
from tests.ledger.support import (
    CLERK,
    entry,
    head,
    line,
    logged_events,
    transfer,
)


def rent(amount: str = "10.00") -> list[dict[str, str]]:
    return transfer("Expenses:Rent", "Income:Sales", amount)


REFUSALS: dict[str, tuple[Callable[[], PostJournalEntry], str, str]] = {
    "an entry with no postings": (
        lambda: entry("k", []), "unbalanced_entry", "postings"),
    "an entry with a single posting": (
        lambda: entry("k", [line("Expenses:Rent", "debit", "10.00")]), "unbalanced_entry", "postings"),
    "an entry whose debits exceed its credits": (
        lambda: entry("k", [line("Expenses:Rent", "debit", "10.01"),
                            line("Income:Sales", "credit", "10.00")]),
        "unbalanced_entry", "postings"),
    "an entry balanced overall but not per asset": (
        lambda: entry("k", [line("Equity:Capital", "debit", "10.00", "USD"),
                            line("Equity:Capital", "credit", "10.00", "EUR")]),
        "unbalanced_entry", "postings"),
    "an entry with two assets each unbalanced": (
        lambda: entry("k", [line("Equity:Trading:FX", "debit", "10.00", "USD"),
                            line("Equity:Trading:FX", "credit", "5.00", "USD"),
                            line("Equity:Trading:FX", "debit", "5.00", "EUR"),
                            line("Equity:Trading:FX", "credit", "10.00", "EUR")]),
        "unbalanced_entry", "postings"),
    "an entry debiting and crediting the same account and asset": (
        lambda: entry("k", transfer("Expenses:Rent", "Expenses:Rent", "10.00")),
        "entry_moves_nothing", "postings"),
    "an entry whose every account nets to zero": (
        lambda: entry("k", [line("Expenses:Rent", "debit", "10.00"),
                            line("Income:Sales", "credit", "4.00"),
                            line("Expenses:Rent", "credit", "10.00"),
                            line("Income:Sales", "debit", "4.00")]),
        "entry_moves_nothing", "postings"),
    "an amount with leading zeros": (
        lambda: entry("k", rent("0012.00")), "invalid_amount", "postings[0].amount"),
    "an amount without an integer part": (
        lambda: entry("k", rent(".5")), "invalid_amount", "postings[0].amount"),
    "a zero amount": (
        lambda: entry("k", rent("0.00")), "invalid_amount", "postings[0].amount"),
    "a negative amount": (
        lambda: entry("k", [line("Expenses:Rent", "debit", "-10.00"),
                            line("Income:Sales", "credit", "-10.00")]),
        "invalid_amount", "postings[0].amount"),
    "an amount given as a JSON number": (
        lambda: entry("k", [line("Expenses:Rent", "debit", 10),  # type: ignore[arg-type]
                            line("Income:Sales", "credit", "10")]),
        "invalid_amount", "postings[0].amount"),
    "an amount with more decimals than the currency": (
        lambda: entry("k", rent("10.001")), "invalid_amount", "postings[0].amount"),
    "an unknown account": (
        lambda: entry("k", transfer("Expenses:Rent", "Income:Nowhere", "10.00")),
        "unknown_account", "postings[1].account"),
    "an asset the account may not hold": (
        lambda: entry("k", transfer("Equity:Trading:FX", "Assets:Bank:EUR", "10.00", "USD")),
        "asset_not_allowed", "postings[1].asset"),
    "an unknown asset": (
        lambda: entry("k", transfer("Expenses:Rent", "Income:Sales", "10.00", "XXQ")),
        "unknown_asset", "postings[0].asset"),
    "a direction other than debit or credit": (
        lambda: entry("k", [line("Expenses:Rent", "withdraw", "10.00"),
                            line("Income:Sales", "credit", "10.00")]),
        "invalid_input", "postings[0].direction"),
    "a posting with an unknown field": (
        lambda: entry("k", [{**line("Expenses:Rent", "debit", "10.00"), "memo": "x"},
                            line("Income:Sales", "credit", "10.00")]),
        "invalid_input", "postings[0]"),
    "more postings than an entry may carry": (
        lambda: entry("k", [line("Expenses:Rent", "debit", "1.00"),
                            line("Income:Sales", "credit", "1.00")]
                      * (limits.POSTINGS_PER_ENTRY_MAX // 2 + 1)),
        "invalid_input", "postings"),
    "an over-long description": (
        lambda: entry("k", rent(), description="d" * (limits.DESCRIPTION_LENGTH_MAX + 1)),
        "invalid_input", "description"),
    "a description with a control character": (
        lambda: entry("k", rent(), description="rent\n"), "invalid_input", "description"),
    "an over-long reference": (
        lambda: entry("k", rent(), reference="r" * (limits.REFERENCE_LENGTH_MAX + 1)),
        "invalid_input", "reference"),
    "an over-long idempotency key": (
        lambda: entry("k" * (limits.IDEMPOTENCY_KEY_LENGTH_MAX + 1), rent()),
        "invalid_input", "idempotency_key"),
    "an empty idempotency key": (
        lambda: entry("", rent()), "invalid_input", "idempotency_key"),
    "metadata larger than allowed": (
        lambda: entry("k", rent(), metadata={f"key{n}": "v" * 400 for n in range(12)}),
        "invalid_input", "metadata"),
    "metadata with too many keys": (
        lambda: entry("k", rent(), metadata={f"k{n}": "v" for n in range(limits.METADATA_KEYS_MAX + 1)}),
        "invalid_input", "metadata"),
    "metadata with a non-string value": (
        lambda: entry("k", rent(), metadata={"invoice": 42}),
        "invalid_input", "metadata.invoice"),
    "a date that is not on the calendar": (
        lambda: entry("k", rent(), "2026-02-30"), "invalid_input", "effective_date"),
    "a date without zero padding": (
        lambda: entry("k", rent(), "2026-1-5"), "invalid_input", "effective_date"),
    "a date with a time": (
        lambda: entry("k", rent(), "2026-01-05T10:00:00"), "invalid_input", "effective_date"),
    "a date beyond the supported years": (
        lambda: entry("k", rent(), "2200-01-01"), "invalid_input", "effective_date"),
    "a pending flag that is not a boolean": (
        lambda: entry("k", rent(), pending="yes"), "invalid_input", "pending"),
}


@pytest.mark.parametrize(
    ("make_command", "code", "field"), REFUSALS.values(), ids=list(REFUSALS.keys())
)
def test_an_entry_breaking_a_rule_is_refused_with_a_stable_code_and_writes_nothing(
    app: BackOffice, make_command: Callable[[], PostJournalEntry], code: str, field: str
) -> None:
    before = head(app)
    with pytest.raises(DomainError) as refusal:
        app.post_journal_entry(make_command())
    assert (refusal.value.code, refusal.value.field) == (code, field)
    assert head(app) == before


def test_a_balanced_entry_is_accepted_and_recorded_with_its_postings_in_minor_units(
    app: BackOffice,
) -> None:
    outcome = app.post_journal_entry(
        entry("rent-march", rent("1250.50"), description="March rent", reference="INV-7",
              metadata={"invoice": "INV-7"})
    )
    recorded = app.get_entry(outcome.entry_id)
    assert outcome.replayed is False
    assert outcome.position == head(app)
    assert recorded.status == "posted"
    assert recorded.postings == [["Expenses:Rent", "debit", 125050, "USD"],
                                 ["Income:Sales", "credit", 125050, "USD"]]
    assert (recorded.description, recorded.reference, recorded.metadata) == (
        "March rent", "INV-7", {"invoice": "INV-7"})


def test_a_balanced_entry_that_also_nets_within_one_account_is_accepted_when_something_moves(
    app: BackOffice,
) -> None:
    postings = [
        line("Expenses:Rent", "debit", "10.00"),
        line("Expenses:Rent", "credit", "4.00"),
        line("Income:Sales", "credit", "6.00"),
    ]
    assert app.post_journal_entry(entry("partial-netting", postings)).position is not None


def test_an_entry_with_the_maximum_number_of_postings_is_accepted(app: BackOffice) -> None:
    postings = [line("Expenses:Rent", "debit", "1.00"),
                line("Income:Sales", "credit", "1.00")] * (limits.POSTINGS_PER_ENTRY_MAX // 2)
    outcome = app.post_journal_entry(entry("many-lines", postings))
    assert len(app.get_entry(outcome.entry_id).postings) == limits.POSTINGS_PER_ENTRY_MAX


def test_a_cross_currency_movement_through_trading_accounts_is_accepted(app: BackOffice) -> None:
    # Sell 92.00 EUR for 100.00 USD: each currency balances on its own leg,
    # the trading account carries the position in both.
    app.post_journal_entry(entry("eur-capital", transfer("Assets:Bank:EUR", "Equity:Capital", "500.00", "EUR")))
    outcome = app.post_journal_entry(
        entry("fx-sell-eur", [
            line("Assets:Bank", "debit", "100.00", "USD"),
            line("Equity:Trading:FX", "credit", "100.00", "USD"),
            line("Equity:Trading:FX", "debit", "92.00", "EUR"),
            line("Assets:Bank:EUR", "credit", "92.00", "EUR"),
        ])
    )
    assert app.get_entry(outcome.entry_id).status == "posted"
    assert app.get_account("Assets:Bank").funds["USD"].debits_posted == 200_00
    assert app.get_account("Assets:Bank:EUR").funds["EUR"].credits_posted == 92_00


def test_an_entry_to_a_closed_account_is_refused_and_writes_nothing(app: BackOffice) -> None:
    app.open_account(CLERK, "Expenses:Travel", "Travel", "expense", ["USD"])
    app.close_account(CLERK, "Expenses:Travel", "no more travel")
    before = head(app)
    with pytest.raises(DomainError) as refusal:
        app.post_journal_entry(entry("trip", transfer("Expenses:Travel", "Income:Sales", "10.00")))
    assert (refusal.value.code, refusal.value.field) == ("account_closed", "postings[0].account")
    assert head(app) == before


def test_an_entry_overdrawing_a_no_overdraft_account_is_refused_and_writes_nothing(
    app: BackOffice,
) -> None:
    before = head(app)
    with pytest.raises(DomainError) as refusal:
        app.post_journal_entry(entry("big-rent", transfer("Expenses:Rent", "Assets:Bank", "100.01")))
    assert refusal.value.code == "insufficient_funds"
    assert head(app) == before


def test_an_entry_spending_exactly_the_available_funds_is_accepted(app: BackOffice) -> None:
    app.post_journal_entry(entry("all-rent", transfer("Expenses:Rent", "Assets:Bank", "100.00")))
    funds = app.get_account("Assets:Bank").funds["USD"]
    assert funds.available(debit_normal=True) == 0


def test_an_accepted_entry_records_the_guarded_accounts_counters_in_the_same_commit(
    app: BackOffice,
) -> None:
    before = head(app)
    outcome = app.post_journal_entry(entry("rent", transfer("Expenses:Rent", "Assets:Bank", "30.00")))
    written = logged_events(app, after=before)
    assert [event.name for event in written] == ["JournalEntryPosted", "PostingRecorded"]
    assert written[1].state["entry_id"] == str(outcome.entry_id)
    assert written[1].state["credits_posted"] == 30_00


def test_a_refused_command_in_a_batch_does_not_refuse_its_neighbours(app: BackOffice) -> None:
    outcomes = app.post_entries([
        entry("ok-1", rent("1.00")),
        entry("bad", transfer("Expenses:Rent", "Income:Nowhere", "1.00")),
        entry("ok-2", rent("2.00")),
    ])
    assert [getattr(outcome, "code", "accepted") for outcome in outcomes] == [
        "accepted", "unknown_account", "accepted"]


def test_two_entries_in_one_batch_cannot_both_spend_the_same_guarded_funds(app: BackOffice) -> None:
    outcomes = app.post_entries([
        entry("spend-60-a", transfer("Expenses:Rent", "Assets:Bank", "60.00")),
        entry("spend-60-b", transfer("Expenses:Rent", "Assets:Bank", "60.00")),
    ])
    assert [getattr(outcome, "code", "accepted") for outcome in outcomes] == [
        "accepted", "insufficient_funds"]
    assert app.get_account("Assets:Bank").funds["USD"].available(debit_normal=True) == 40_00
