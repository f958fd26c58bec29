"""Ledger rule 2: accounts have a type, the assets they may hold, and flags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backoffice.container import build_system
from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.errors import DomainError
from domain.ledger.errors import AccountAlreadyExists, AccountClosed, AccountNotEmpty
from tests.ledger.support import (
    CLERK,
    CONTROLLER,
    entry,
    fund_bank,
    head,
    open_chart,
    spend_from_bank,
    transfer,
)


@pytest.fixture
def app(database_url: str) -> Iterator[BackOffice]:
    system = build_system(database_url)
    open_chart(system.app)
    yield system.app
    system.close()


def test_an_opened_account_keeps_its_type_assets_and_flags(app: BackOffice) -> None:
    app.open_account(CLERK, "Assets:Petty", "Petty cash", "asset", ["USD", "EUR"], ["no_overdraft"])
    account = app.get_account("Assets:Petty")
    assert (account.account_type, account.assets, account.flags, account.closed) == (
        "asset", ["EUR", "USD"], ["no_overdraft"], False)
    assert account.guarded and account.debit_normal


def test_opening_an_account_twice_is_refused_and_writes_nothing(app: BackOffice) -> None:
    before = head(app)
    with pytest.raises(AccountAlreadyExists) as refusal:
        app.open_account(CLERK, "Assets:Bank", "Another bank", "asset", ["EUR"])
    assert refusal.value.code == "account_already_exists"
    assert head(app) == before
    assert app.get_account("Assets:Bank").assets == ["USD"]


BAD_ACCOUNTS: dict[str, tuple[dict[str, Any], str, str]] = {
    "an empty code": ({"code": ""}, "invalid_input", "code"),
    "a code with a space": ({"code": "Assets Bank"}, "invalid_input", "code"),
    "a code starting with a colon": ({"code": ":Assets"}, "invalid_input", "code"),
    "a code with a trailing newline": ({"code": "Assets:Cash\n"}, "invalid_input", "code"),
    "an over-long code": ({"code": "A" * (limits.ACCOUNT_CODE_LENGTH_MAX + 1)}, "invalid_input", "code"),
    "an unknown type": ({"account_type": "cash"}, "invalid_input", "type"),
    "an unknown flag": ({"flags": ["overdraft_ok"]}, "invalid_input", "flags"),
    "flags given as a string": ({"flags": "no_overdraft"}, "invalid_input", "flags"),
    "no assets": ({"assets": []}, "invalid_input", "assets"),
    "an asset listed twice": ({"assets": ["USD", "USD"]}, "invalid_input", "assets"),
    "an unknown asset": ({"assets": ["USD", "ZZZ"]}, "unknown_asset", "assets[1]"),
    "a lower-case asset code": ({"assets": ["usd"]}, "invalid_input", "assets[0]"),
    "too many assets": (
        {"assets": ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK",
                    "PLN", "CZK", "HUF", "RON", "BGN", "TRY", "ZAR", "BRL", "MXN", "ARS", "CLP",
                    "COP", "PEN", "INR", "IDR", "THB", "MYR", "SGD", "HKD", "KRW", "CNY", "TWD"]},
        "invalid_input", "assets"),
    "an empty name": ({"name": " "}, "invalid_input", "name"),
}


@pytest.mark.parametrize(("changes", "code", "field"), BAD_ACCOUNTS.values(), ids=list(BAD_ACCOUNTS))
def test_an_account_with_a_bad_definition_is_refused_and_writes_nothing(
    app: BackOffice, changes: dict[str, Any], code: str, field: str
) -> None:
    definition: dict[str, Any] = {
        "code": "Assets:Cash", "name": "Cash", "account_type": "asset", "assets": ["USD"],
        "flags": [], **changes}
    before = head(app)
    with pytest.raises(DomainError) as refusal:
        app.open_account(CLERK, **definition)
    assert (refusal.value.code, refusal.value.field) == (code, field)
    assert head(app) == before


def test_closing_a_guarded_account_with_a_balance_is_refused(app: BackOffice) -> None:
    fund_bank(app, "100.00")
    before = head(app)
    with pytest.raises(AccountNotEmpty) as refusal:
        app.close_account(CONTROLLER, "Assets:Bank", "moving banks")
    assert refusal.value.code == "account_not_empty"
    assert head(app) == before
    assert app.get_account("Assets:Bank").closed is False


def test_closing_a_guarded_account_with_a_pending_reservation_is_refused(app: BackOffice) -> None:
    fund_bank(app, "100.00")
    spend_from_bank(app, "rent", "100.00", pending=True)
    app.post_journal_entry(entry("refund", transfer("Assets:Bank", "Expenses:Rent", "100.00")))
    with pytest.raises(AccountNotEmpty):
        app.close_account(CONTROLLER, "Assets:Bank", "moving banks")


def test_a_guarded_account_emptied_to_zero_can_be_closed(app: BackOffice) -> None:
    fund_bank(app, "100.00")
    spend_from_bank(app, "rent", "100.00")
    app.close_account(CONTROLLER, "Assets:Bank", "moving banks")
    assert app.get_account("Assets:Bank").closed is True


def test_a_closed_account_refuses_later_postings(app: BackOffice) -> None:
    app.close_account(CONTROLLER, "Assets:Bank", "moving banks")
    with pytest.raises(AccountClosed):
        fund_bank(app, "100.00")


def test_closing_a_closed_account_is_refused(app: BackOffice) -> None:
    app.close_account(CONTROLLER, "Assets:Bank", "moving banks")
    before = head(app)
    with pytest.raises(AccountClosed):
        app.close_account(CONTROLLER, "Assets:Bank", "moving banks")
    assert head(app) == before


def test_a_liability_flagged_against_overdraft_cannot_be_debited_below_zero(
    app: BackOffice,
) -> None:
    # A customer deposit account: credit-normal, must never owe the customer less than zero.
    app.open_account(CLERK, "Liabilities:Deposits:Ann", "Ann's deposit", "liability", ["USD"],
                     ["no_overdraft"])
    app.post_journal_entry(entry("deposit", transfer("Assets:Receivables", "Liabilities:Deposits:Ann", "50.00")))
    before = head(app)
    with pytest.raises(DomainError) as refusal:
        app.post_journal_entry(
            entry("withdraw", transfer("Liabilities:Deposits:Ann", "Assets:Receivables", "50.01")))
    assert refusal.value.code == "insufficient_funds"
    assert head(app) == before
    app.post_journal_entry(entry("withdraw-all", transfer("Liabilities:Deposits:Ann", "Assets:Receivables", "50.00")))
