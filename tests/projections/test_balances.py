"""Balances answered by the projection, as of any effective date and log position.

One small ledger with a backdated sale, a reversal, and two-phase entries
(one posted, one voided), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from backoffice.container import System, build_system
from domain.kernel.errors import InvalidInput
from domain.ledger.errors import AccountNotEmpty, UnknownAccount
from projections.ledger.views import AccountBalance
from tests.ledger.support import CLERK, entry, transfer

CHART = [
    ("Assets:Bank", "asset", ["no_overdraft"]),
    ("Equity:Capital", "equity", []),
    ("Expenses:Rent", "expense", []),
    ("Income:Sales", "income", []),
]


@dataclass
class Ledger:
    """Positions of the events of the example ledger."""

    funded: int
    rent: int
    rent_id: UUID
    backdated_sale: int
    card_reserved: int
    card_posted: int
    hold_reserved: int
    hold_voided: int
    reversal: int
    reversal_id: UUID


@pytest.fixture
def system(database_url: str) -> Iterator[System]:
    built = build_system(database_url)
    for code, account_type, flags in CHART:
        built.app.open_account(CLERK, code, code, account_type, ["USD"], flags)
    yield built
    built.close()


def build_ledger(system: System) -> Ledger:
    app = system.app
    post = app.post_journal_entry
    funded = post(entry("fund", transfer("Assets:Bank", "Equity:Capital", "1000.00"), "2026-03-01"))
    rent = post(entry("rent", transfer("Expenses:Rent", "Assets:Bank", "200.00"), "2026-03-10"))
    sale = post(entry("sale", transfer("Assets:Bank", "Income:Sales", "50.00"), "2026-02-15"))
    card = post(
        entry("card", transfer("Expenses:Rent", "Assets:Bank", "30.00"), "2026-03-12", pending=True)
    )
    card_posted = app.post_pending(CLERK, card.entry_id)
    hold = post(
        entry("hold", transfer("Expenses:Rent", "Assets:Bank", "40.00"), "2026-03-13", pending=True)
    )
    hold_voided = app.void_pending(CLERK, hold.entry_id, "released")
    reversal = app.reverse_entry(CLERK, rent.entry_id, "wrong month", "2026-03-20")
    assert reversal.position is not None
    return Ledger(
        funded.position, rent.position, rent.entry_id, sale.position, card.position,  # type: ignore[arg-type]
        card_posted, hold.position, hold_voided, reversal.position, reversal.entry_id,  # type: ignore[arg-type]
    )  # fmt: skip


def counters(balance: AccountBalance) -> list[tuple[str, int, int, int, int, str]]:
    return [
        (b.asset, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending, b.net)
        for b in balance.lines
    ]


def test_the_current_balance_counts_every_entry_once(system: System) -> None:
    build_ledger(system)
    bank = system.projections.balance("Assets:Bank")
    # funded 1000 + sale 50 + reversed rent 200 in; rent 200 + card 30 out
    assert counters(bank) == [("USD", 125_000, 23_000, 0, 0, "1020.00")]
    assert bank.account_type == "asset"
    sales = system.projections.balance("Income:Sales")
    assert counters(sales) == [("USD", 0, 5_000, 0, 0, "50.00")]  # credit-normal


def test_as_of_an_effective_date_backdated_entries_count_and_later_ones_do_not(
    system: System,
) -> None:
    build_ledger(system)
    balance = system.projections.balance
    assert counters(balance("Assets:Bank", as_of_date="2026-02-28")) == [
        ("USD", 5_000, 0, 0, 0, "50.00")
    ]
    assert counters(balance("Assets:Bank", as_of_date="2026-03-10")) == [
        ("USD", 105_000, 20_000, 0, 0, "850.00")
    ]
    # The card entry (dated the 12th) was posted later in the log, and counts
    # as posted on its own date; the voided hold leaves nothing behind.
    assert counters(balance("Assets:Bank", as_of_date="2026-03-13")) == [
        ("USD", 105_000, 23_000, 0, 0, "820.00")
    ]
    assert counters(balance("Assets:Bank", as_of_date="2026-03-20")) == [
        ("USD", 125_000, 23_000, 0, 0, "1020.00")
    ]
    assert balance("Assets:Bank", as_of_date="2026-01-31").lines == []


def test_as_of_a_log_position_later_events_do_not_count(system: System) -> None:
    ledger = build_ledger(system)
    balance = system.projections.balance
    assert counters(balance("Assets:Bank", at_position=ledger.rent)) == [
        ("USD", 100_000, 20_000, 0, 0, "800.00")
    ]
    at_reservation = balance("Assets:Bank", at_position=ledger.card_reserved)
    assert counters(at_reservation) == [("USD", 105_000, 20_000, 0, 3_000, "850.00")]
    assert at_reservation.position == ledger.card_reserved
    assert counters(balance("Assets:Bank", at_position=ledger.card_posted)) == [
        ("USD", 105_000, 23_000, 0, 0, "820.00")
    ]
    assert counters(balance("Assets:Bank", at_position=ledger.hold_reserved)) == [
        ("USD", 105_000, 23_000, 0, 4_000, "820.00")
    ]
    assert balance("Assets:Bank", at_position=ledger.funded - 1).lines == []


def test_as_of_a_date_and_a_position_together_both_bounds_hold(system: System) -> None:
    ledger = build_ledger(system)
    balance = system.projections.balance
    # At the rent's position the backdated sale was not yet recorded.
    assert balance("Assets:Bank", as_of_date="2026-02-28", at_position=ledger.rent).lines == []
    assert counters(
        balance("Assets:Bank", as_of_date="2026-03-12", at_position=ledger.card_reserved)
    ) == [("USD", 105_000, 20_000, 0, 3_000, "850.00")]
    assert counters(
        balance("Assets:Bank", as_of_date="2026-03-19", at_position=ledger.reversal)
    ) == [("USD", 105_000, 23_000, 0, 0, "820.00")]


def test_the_trial_balance_nets_to_zero_per_asset_at_every_position_and_date(
    system: System,
) -> None:
    ledger = build_ledger(system)
    trial = system.projections.trial_balance
    current = trial()
    assert current.balanced
    assert [line.account for line in current.lines] == [
        "Assets:Bank", "Equity:Capital", "Expenses:Rent", "Income:Sales"
    ]  # fmt: skip
    assert [(t.asset, t.debits_posted, t.credits_posted) for t in current.totals] == [
        ("USD", 148_000, 148_000)
    ]
    for position in range(ledger.funded, ledger.reversal + 1):
        assert trial(at_position=position).balanced
        assert trial(as_of_date="2026-03-12", at_position=position).balanced
    for day in ("2026-02-15", "2026-03-01", "2026-03-12", "2026-03-31"):
        assert trial(as_of_date=day).balanced
    assert trial(at_position=ledger.card_reserved).totals[0].debits_pending == 3_000


def test_the_projection_finds_an_entry_position_by_its_id(system: System) -> None:
    ledger = build_ledger(system)
    assert system.projections.entry_position(ledger.rent_id) == ledger.rent
    assert system.projections.entry_position(str(ledger.reversal_id)) == ledger.reversal
    assert system.projections.entry_position(uuid4()) is None
    with pytest.raises(InvalidInput):
        system.projections.entry_position("not-a-uuid")


def test_queries_name_what_is_wrong_with_their_bounds(system: System) -> None:
    with pytest.raises(UnknownAccount):
        system.projections.balance("Assets:Nowhere")
    with pytest.raises(InvalidInput):
        system.projections.balance("Assets:Bank", as_of_date="2026-02-30")
    with pytest.raises(InvalidInput):
        system.projections.trial_balance(at_position=-1)


def test_the_account_list_shows_types_flags_and_closing(system: System) -> None:
    accounts = {info.code: info for info in system.projections.accounts()}
    assert accounts["Assets:Bank"].flags == ["no_overdraft"]
    assert accounts["Income:Sales"].account_type == "income"
    assert accounts["Income:Sales"].closed_position is None


def test_an_account_with_a_balance_cannot_be_closed_one_that_nets_to_zero_can(
    system: System,
) -> None:
    app = system.app
    app.open_account(CLERK, "Expenses:Travel", "Travel", "expense", ["USD"])
    app.post_journal_entry(entry("fund", transfer("Assets:Bank", "Equity:Capital", "100.00")))
    app.post_journal_entry(entry("sale", transfer("Assets:Bank", "Income:Sales", "5.00")))
    trip = app.post_journal_entry(entry("trip", transfer("Expenses:Travel", "Assets:Bank", "9.00")))
    with pytest.raises(AccountNotEmpty):
        app.close_account(CLERK, "Income:Sales", "year end")
    with pytest.raises(AccountNotEmpty):
        app.close_account(CLERK, "Expenses:Travel", "no more trips")
    app.reverse_entry(CLERK, trip.entry_id, "trip cancelled")
    position = app.close_account(CLERK, "Expenses:Travel", "no more trips")
    closed = {info.code: info for info in system.projections.accounts()}["Expenses:Travel"]
    assert closed.closed_position == position


def test_answers_as_json_carry_every_amount_as_a_decimal_string(system: System) -> None:
    ledger = build_ledger(system)
    bank = system.projections.balance("Assets:Bank", at_position=ledger.card_reserved).as_dict()
    assert bank["position"] == ledger.card_reserved
    assert bank["balances"] == [
        {"account": "Assets:Bank", "account_type": "asset", "asset": "USD",
         "debits_posted": "1050.00", "credits_posted": "200.00", "debits_pending": "0.00",
         "credits_pending": "30.00", "net": "850.00"}
    ]  # fmt: skip
    trial = system.projections.trial_balance().as_dict()
    assert trial["balanced"] is True
    assert trial["totals"] == [
        {"asset": "USD", "debits_posted": "1480.00", "credits_posted": "1480.00",
         "debits_pending": "0.00", "credits_pending": "0.00", "net": "0.00"}
    ]  # fmt: skip
