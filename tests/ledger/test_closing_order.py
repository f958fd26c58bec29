"""Months close in order and reopen in reverse order; the year-end close moves
income and expense to retained earnings by one entry. Both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backoffice.container import build_system
from domain.application import BackOffice
from domain.ledger.closing import journal_entries
from domain.ledger.errors import (
    EntryManagedElsewhere,
    NothingToClose,
    PeriodClosed,
    PeriodsOutOfOrder,
    UnknownAccount,
    YearAlreadyClosed,
)
from tests.api.support import running_api
from tests.ledger.support import CLERK, CONTROLLER, entry, fund_bank, head, open_chart, transfer

RETAINED = "Equity:RetainedEarnings"


def net_of(app: BackOffice, account: str, year: str) -> int:
    """Debits minus credits of ``account`` over the posted entries dated in ``year``."""
    return sum(
        amount if direction == "debit" else -amount
        for entry_ in journal_entries(app)
        if entry_.status == "posted" and entry_.effective_date.startswith(f"{year}-")
        for code, direction, amount, _asset in entry_.postings
        if code == account
    )


@pytest.fixture
def app(database_url: str) -> Iterator[BackOffice]:
    system = build_system(database_url)
    open_chart(system.app)
    fund_bank(system.app, "1000.00", key="funding")  # dated in March 2026
    yield system.app
    system.close()


def test_a_month_closes_only_after_every_earlier_month_with_entries(app: BackOffice) -> None:
    app.post_journal_entry(
        entry("may", transfer("Assets:Bank", "Income:Sales", "5.00"), "2026-05-02")
    )
    before = head(app)
    with pytest.raises(PeriodsOutOfOrder) as refusal:
        app.close_period(CONTROLLER, "2026-06", "month end")
    assert "2026-03, 2026-05" in refusal.value.message
    with pytest.raises(PeriodsOutOfOrder):
        app.close_period(CONTROLLER, "2099-01", "far ahead")
    assert head(app) == before
    app.close_period(CONTROLLER, "2026-03", "month end")
    app.close_period(CONTROLLER, "2026-05", "month end")  # April had no entries
    app.close_period(CONTROLLER, "2026-06", "month end")
    assert app.is_period_closed("2026-06")


def test_a_month_before_any_entry_may_close(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-01", "before trading began")
    assert app.is_period_closed("2026-01")


def test_a_month_reopens_only_while_no_later_month_is_closed(app: BackOffice) -> None:
    app.close_period(CONTROLLER, "2026-03", "month end")
    app.close_period(CONTROLLER, "2026-04", "month end")
    with pytest.raises(PeriodsOutOfOrder) as refusal:
        app.reopen_period(CONTROLLER, "2026-03", "a late invoice")
    assert "reopen 2026-04 first" in refusal.value.message
    app.reopen_period(CONTROLLER, "2026-04", "a late invoice")
    app.reopen_period(CONTROLLER, "2026-03", "a late invoice")
    assert not app.is_period_closed("2026-03")


def test_the_year_end_close_moves_income_and_expense_to_retained_earnings(
    app: BackOffice,
) -> None:
    app.open_account(CLERK, RETAINED, "Retained earnings", "equity", ["USD"])
    app.post_journal_entry(
        entry("sale", transfer("Assets:Bank", "Income:Sales", "300.00"), "2026-04-01")
    )
    app.post_journal_entry(
        entry("rent", transfer("Expenses:Rent", "Assets:Bank", "120.00"), "2026-05-01")
    )
    app.post_journal_entry(
        entry("next-year", transfer("Assets:Bank", "Income:Sales", "7.00"), "2027-01-05")
    )
    outcome = app.close_year(CONTROLLER, "2026", "year end 2026")
    closing_entry = app.get_entry(outcome.entry_id)
    assert (closing_entry.effective_date, closing_entry.metadata["year_end"]) == (
        "2026-12-31",
        "2026",
    )
    assert sorted(map(tuple, closing_entry.postings)) == [
        ("Equity:RetainedEarnings", "credit", 18000, "USD"),  # the net income, 180.00
        ("Expenses:Rent", "credit", 12000, "USD"),
        ("Income:Sales", "debit", 30000, "USD"),
    ]
    assert net_of(app, "Income:Sales", "2026") == 0
    assert net_of(app, "Expenses:Rent", "2026") == 0
    assert net_of(app, "Income:Sales", "2027") == -700  # 2027's sale stays in 2027
    assert net_of(app, RETAINED, "2026") == -18000  # credited by the net income
    with pytest.raises(YearAlreadyClosed):
        app.close_year(CONTROLLER, "2026", "again")
    with pytest.raises(EntryManagedElsewhere):
        app.reverse_entry(CONTROLLER, outcome.entry_id, "undo")


def test_the_year_end_close_needs_the_retained_earnings_account_and_a_balance(
    app: BackOffice,
) -> None:
    with pytest.raises(UnknownAccount) as refusal:
        app.close_year(CONTROLLER, "2026", "year end")
    assert RETAINED in refusal.value.message
    app.open_account(CLERK, RETAINED, "Retained earnings", "equity", ["USD"])
    with pytest.raises(NothingToClose):
        app.close_year(CONTROLLER, "2025", "nothing happened")


def test_the_year_end_entry_needs_december_open(app: BackOffice) -> None:
    app.open_account(CLERK, RETAINED, "Retained earnings", "equity", ["USD"])
    app.post_journal_entry(
        entry("sale", transfer("Assets:Bank", "Income:Sales", "3.00"), "2026-04-01")
    )
    for month in ("2026-03", "2026-04", "2026-12"):
        app.close_period(CONTROLLER, month, "month end")
    with pytest.raises(PeriodClosed):
        app.close_year(CONTROLLER, "2026", "year end")


def test_the_year_end_close_over_http_is_for_admin(database_url: str) -> None:
    with running_api(database_url) as api:
        open_chart(api.system.app)
        api.system.app.open_account(CLERK, RETAINED, "Retained earnings", "equity", ["USD"])
        api.system.app.post_journal_entry(
            entry("sale", transfer("Assets:Receivables", "Income:Sales", "40.00"), "2026-02-03")
        )
        body = {"reason": "year end 2026"}
        assert api.post("/v1/periods/2026/year-end", "poster", body).status_code == 403
        closed = api.post("/v1/periods/2026/year-end", "admin", body)
        assert closed.status_code == 201, closed.text
        assert (closed.json()["year"], closed.json()["status"]) == ("2026", "closed")
        assert net_of(api.system.app, "Income:Sales", "2026") == 0
        assert net_of(api.system.app, RETAINED, "2026") == -4000
        again = api.post("/v1/periods/2026/year-end", "admin", body)
        assert again.status_code == 409 and again.json()["code"] == "year_already_closed"
        bad = api.post("/v1/periods/26/year-end", "admin", body)
        assert bad.status_code == 422
