"""The account ledger projection: postings in ledger order with running balances."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backoffice.container import System, build_system
from domain.kernel.errors import InvalidInput
from projections.ledger.account_ledger import AccountLedger, LedgerQuery
from projections.registry import names
from tests.ledger.support import (
    CLERK,
    entry,
    fund_bank,
    open_chart,
    spend_from_bank,
    transfer,
)


@pytest.fixture
def company(database_url: str) -> Iterator[System]:
    system = build_system(database_url)
    open_chart(system.app)
    fund_bank(system.app, "100.00")
    yield system
    system.close()


def ledger_of(system: System) -> AccountLedger:
    found = system.tracked["account_ledger"]
    assert isinstance(found, AccountLedger)
    return found


def test_the_account_ledger_is_a_registered_projection() -> None:
    assert "account_ledger" in names()


def test_each_posting_carries_its_running_balance_and_counterparts(company: System) -> None:
    spend_from_bank(company.app, "rent-1", "30.00", description="March rent", reference="R-1")
    spend_from_bank(company.app, "rent-2", "20.00", effective_date="2026-03-20")

    page = ledger_of(company).ledger(LedgerQuery("Assets:Bank"))

    assert page["opening_balance"] == "0.00"
    assert [p["amount"] for p in page["postings"]] == ["100.00", "30.00", "20.00"]
    assert [p["direction"] for p in page["postings"]] == ["debit", "credit", "credit"]
    assert [p["running_balance"] for p in page["postings"]] == ["100.00", "70.00", "50.00"]
    assert page["closing_balance"] == "50.00"
    rent = page["postings"][1]
    assert rent["counterparts"] == ["Expenses:Rent"]
    assert (rent["description"], rent["reference"]) == ("March rent", "R-1")
    assert rent["position"] > page["postings"][0]["position"]


def test_a_date_range_starts_from_the_opening_balance(company: System) -> None:
    spend_from_bank(company.app, "rent-1", "30.00", effective_date="2026-03-15")
    spend_from_bank(company.app, "rent-2", "20.00", effective_date="2026-04-15")

    page = ledger_of(company).ledger(
        LedgerQuery("Assets:Bank", date_from="2026-04-01", date_to="2026-04-30")
    )

    assert page["opening_balance"] == "70.00"
    assert [p["running_balance"] for p in page["postings"]] == ["50.00"]
    assert page["closing_balance"] == "50.00"


def test_as_of_a_position_later_postings_are_not_there(company: System) -> None:
    before = ledger_of(company).ledger(LedgerQuery("Assets:Bank"))["as_of_position"]
    spend_from_bank(company.app, "rent-1", "30.00")

    page = ledger_of(company).ledger(LedgerQuery("Assets:Bank", as_of_position=before))

    assert [p["amount"] for p in page["postings"]] == ["100.00"]
    assert page["closing_balance"] == "100.00"


def test_pages_continue_the_running_balance(company: System) -> None:
    for number in range(5):
        spend_from_bank(company.app, f"rent-{number}", "10.00")
    ledger = ledger_of(company)

    first = ledger.ledger(LedgerQuery("Assets:Bank", limit=4))
    second = ledger.ledger(LedgerQuery("Assets:Bank", limit=4, cursor=first["next_cursor"]))

    assert [p["running_balance"] for p in first["postings"]] == [
        "100.00",
        "90.00",
        "80.00",
        "70.00",
    ]
    assert [p["running_balance"] for p in second["postings"]] == ["60.00", "50.00"]
    assert second["next_cursor"] is None


def test_a_pending_entry_posts_at_its_posting_and_a_voided_one_never(company: System) -> None:
    app = company.app
    held = app.post_journal_entry(
        entry("pending-1", transfer("Expenses:Rent", "Assets:Bank", "25.00"), pending=True)
    )
    voided = app.post_journal_entry(
        entry("pending-2", transfer("Expenses:Rent", "Assets:Bank", "5.00"), pending=True)
    )
    ledger = ledger_of(company)
    assert len(ledger.ledger(LedgerQuery("Assets:Bank"))["postings"]) == 1

    posted_at = app.post_pending(CLERK, held.entry_id)
    app.void_pending(CLERK, voided.entry_id, "not needed")

    postings = ledger.ledger(LedgerQuery("Assets:Bank"))["postings"]
    assert [(p["amount"], p["position"]) for p in postings][1] == ("25.00", posted_at)
    assert len(postings) == 2


def test_a_multi_asset_account_needs_an_asset(company: System) -> None:
    with pytest.raises(InvalidInput, match="asset"):
        ledger_of(company).ledger(LedgerQuery("Equity:Capital"))
    page = ledger_of(company).ledger(LedgerQuery("Equity:Capital", asset="USD"))
    assert page["closing_balance"] == "100.00"  # credit-normal: capital paid in


def test_a_forged_cursor_is_refused(company: System) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        ledger_of(company).ledger(LedgerQuery("Assets:Bank", cursor="not-a-cursor"))


def test_a_rebuild_gives_the_same_rows(company: System) -> None:
    spend_from_bank(company.app, "rent-1", "30.00")
    ledger = ledger_of(company)
    live = ledger.ledger(LedgerQuery("Assets:Bank"))
    with ledger.store.read_snapshot():
        digests = ledger.store.table_digests()

    ledger.rebuild()

    assert ledger.ledger(LedgerQuery("Assets:Bank")) == live
    with ledger.store.read_snapshot():
        assert ledger.store.table_digests() == digests
