"""Ledger rule 4: closed periods are closed; reopening is explicit and audited.
And every event says who did it and under which correlation id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backoffice.container import build_system
from domain.application import BackOffice
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.ledger.commands import PostJournalEntry
from domain.ledger.errors import PeriodAlreadyClosed, PeriodClosed, PeriodNotClosed
from tests.ledger.support import (
    CLERK,
    CONTROLLER,
    DAY_IN_APRIL,
    DAY_IN_MARCH,
    entry,
    fund_bank,
    head,
    logged_events,
    open_chart,
    spend_from_bank,
    transfer,
)


@pytest.fixture
def app(database_url: str) -> Iterator[BackOffice]:
    system = build_system(database_url)
    open_chart(system.app)
    fund_bank(system.app, "100.00", key="funding")
    yield system.app
    system.close()


def sale(key: str, effective_date: str = DAY_IN_MARCH) -> PostJournalEntry:
    return entry(key, transfer("Assets:Receivables", "Income:Sales", "25.00"), effective_date)


def test_an_entry_dated_in_a_closed_period_is_refused_and_writes_nothing(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-03", "month end")
    before = head(app)
    with pytest.raises(PeriodClosed) as refusal:
        app.post_journal_entry(sale("late-invoice", "2026-03-31"))
    assert (refusal.value.code, refusal.value.field) == ("period_closed", "effective_date")
    assert head(app) == before


def test_an_entry_dated_the_day_after_a_closed_period_is_accepted(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-03", "month end")
    before = head(app)
    outcome = app.post_journal_entry(sale("april-invoice", "2026-04-01"))
    assert not outcome.replayed and outcome.position is not None and outcome.position > before
    posted = app.get_entry(outcome.entry_id)
    assert (posted.status, posted.effective_date) == ("posted", "2026-04-01")
    names = [event.name for event in logged_events(app, after=before)]
    assert "JournalEntryPosted" in names
    with pytest.raises(PeriodClosed):  # March itself stays closed
        app.post_journal_entry(sale("late-invoice", "2026-03-31"))


def test_a_reopened_period_accepts_entries_again(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-03", "month end")
    app.reopen_period(CONTROLLER, "2026-03", "auditor adjustment")
    outcome = app.post_journal_entry(sale("adjustment"))
    assert app.get_entry(outcome.entry_id).effective_date == DAY_IN_MARCH


def test_reopening_a_period_is_an_audited_event_with_reason_and_actor(app: BackOffice) -> None:
    app.close_period(CLERK, "2026-03", "month end")
    before = head(app)
    app.reopen_period(CONTROLLER, "2026-03", "auditor adjustment")
    (reopened,) = logged_events(app, after=before)
    assert reopened.name == "PeriodReopened"
    assert (reopened.state["reason"], reopened.state["actor"], reopened.state["correlation_id"]) == (
        "auditor adjustment", CONTROLLER.actor, CONTROLLER.correlation_id)


def test_a_period_closed_again_after_reopening_refuses_entries_again(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-03", "month end")
    app.reopen_period(CONTROLLER, "2026-03", "auditor adjustment")
    app.close_period(CONTROLLER, "2026-03", "month end, again")
    with pytest.raises(PeriodClosed):
        app.post_journal_entry(sale("too-late"))


def test_closing_a_closed_period_is_refused_and_writes_nothing(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-03", "month end")
    before = head(app)
    with pytest.raises(PeriodAlreadyClosed):
        app.close_period(CONTROLLER, "2026-03", "month end")
    assert head(app) == before


def test_reopening_a_period_that_was_never_closed_is_refused(app: BackOffice) -> None:
    before = head(app)
    with pytest.raises(PeriodNotClosed):
        app.reopen_period(CONTROLLER, "2026-03", "why not")
    assert head(app) == before


def test_reopening_an_open_period_is_refused_and_writes_nothing(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-03", "month end")
    app.reopen_period(CONTROLLER, "2026-03", "adjustment")
    before = head(app)
    with pytest.raises(PeriodNotClosed):
        app.reopen_period(CONTROLLER, "2026-03", "adjustment")
    assert head(app) == before


@pytest.mark.parametrize("period", ["2026-13", "2026-3", "2026-03-01", "2026-03\n", ""])
def test_a_period_that_is_not_a_calendar_month_is_refused(app: BackOffice, period: str) -> None:
    before = head(app)
    with pytest.raises(InvalidInput) as refusal:
        app.close_period(CONTROLLER, period, "month end")
    assert refusal.value.field == "period"
    assert head(app) == before


def test_closing_a_period_needs_a_reason(app: BackOffice) -> None:
    with pytest.raises(InvalidInput) as refusal:
        app.close_period(CONTROLLER, "2026-03", "  ")
    assert refusal.value.field == "reason"


def test_posting_a_pending_entry_whose_period_closed_meanwhile_is_refused(app: BackOffice) -> None:
    pending = app.post_journal_entry(
        entry("card", transfer("Expenses:Rent", "Assets:Bank", "30.00"), pending=True))
    app.close_period(CONTROLLER, "2026-03", "month end")
    before = head(app)
    with pytest.raises(PeriodClosed):
        app.post_pending(CONTROLLER, pending.entry_id)
    assert head(app) == before
    assert app.get_entry(pending.entry_id).status == "pending"


def test_a_pending_entry_whose_period_closed_can_still_be_voided(app: BackOffice) -> None:
    pending = app.post_journal_entry(
        entry("card", transfer("Expenses:Rent", "Assets:Bank", "30.00"), pending=True))
    app.close_period(CONTROLLER, "2026-03", "month end")
    app.void_pending(CONTROLLER, pending.entry_id, "expired")
    assert app.get_entry(pending.entry_id).status == "voided"


def test_every_event_carries_the_actor_and_correlation_id_of_its_command(app: BackOffice) -> None:
    before = head(app)
    contexts = [Context(f"user-{n}@example.test", f"corr-{n}") for n in range(10)]
    app.register_asset(contexts[0], "HOURS", 2, "Hours worked")
    app.open_account(contexts[1], "Expenses:Travel", "Travel", "expense", ["USD"])
    spent = app.post_journal_entry(entry(
        "rent", transfer("Expenses:Rent", "Assets:Bank", "10.00"), context=contexts[2]))
    card = app.post_journal_entry(entry(
        "card", transfer("Expenses:Travel", "Assets:Bank", "5.00"), pending=True,
        context=contexts[3]))
    app.post_pending(contexts[4], card.entry_id)
    declined = app.post_journal_entry(entry(
        "declined", transfer("Expenses:Travel", "Assets:Bank", "5.00"), pending=True,
        context=contexts[3]))
    app.void_pending(contexts[5], declined.entry_id, "declined")
    app.reverse_entry(contexts[6], spent.entry_id, "paid twice")
    app.close_period(contexts[7], "2026-02", "month end")
    app.reopen_period(contexts[8], "2026-02", "adjustment")
    app.close_account(contexts[9], "Income:Sales", "discontinued")
    written = logged_events(app, after=before)
    carried = {(event.state.get("actor"), event.state.get("correlation_id")) for event in written}
    missing = [event.name for event in written
               if not event.state.get("actor") or not event.state.get("correlation_id")]
    assert missing == []
    assert carried == {(context.actor, context.correlation_id) for context in contexts}


def test_an_event_carries_the_effective_date_of_its_entry(app: BackOffice) -> None:
    before = head(app)
    spend_from_bank(app, "rent", "10.00", effective_date=DAY_IN_APRIL)
    posted = next(event for event in logged_events(app, after=before)
                  if event.name == "JournalEntryPosted")
    assert posted.state["effective_date"] == DAY_IN_APRIL
