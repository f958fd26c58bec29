"""Refused movements write nothing; a retried movement posts once; a batch of
movements commits together with each refusal refusing only its own command.
On SQLite and PostgreSQL; the log is counted before and after each refusal."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from domain.inventory.commands import IssueGoods
from domain.inventory.errors import (
    InsufficientStock,
    InvalidMovement,
    ReturnExceedsReceipt,
    UnknownGoodsReceipt,
    UnknownItem,
    UnknownLocation,
)
from domain.inventory.results import MovementOutcome
from domain.inventory.service import Inventory
from domain.kernel.errors import DomainError, IdempotencyConflict, InvalidAmount
from domain.ledger.errors import PeriodClosed
from tests.inventory.service_support import CLERK, Desk, ledger_balance, log_size, open_warehouse


@pytest.fixture
def inventory(system: Any) -> Inventory:
    return open_warehouse(system.app)


def _refused(
    system: Any, inventory: Inventory, command: Any, error: type[DomainError]
) -> DomainError:
    before = log_size(system.app)
    with pytest.raises(error) as refused:
        inventory.record(command)
    assert log_size(system.app) == before, "a refusal wrote to the log"
    return refused.value


def test_an_issue_beyond_the_stock_at_its_date_is_refused_and_writes_nothing(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("BOLT")
    inventory.record(desk.receipt("5", "1.00", "2024-01-10"))
    short = _refused(system, inventory, desk.issue("6", "2024-01-11"), InsufficientStock)
    assert isinstance(short, InsufficientStock) and short.shortage_qty == 1
    # Before the receipt's date there is nothing on hand at all.
    _refused(system, inventory, desk.issue("1", "2024-01-09"), InsufficientStock)
    _refused(system, inventory, desk.transfer("6", "2024-01-12"), InsufficientStock)
    _refused(system, inventory, desk.adjust("-6", "2024-01-12"), InsufficientStock)


def test_a_backdated_issue_that_would_leave_a_later_outflow_short_is_refused(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("NUT")
    inventory.record(desk.receipt("10", "1.00", "2024-01-01"))
    later = inventory.record(desk.issue("8", "2024-01-20"))
    short = _refused(system, inventory, desk.issue("5", "2024-01-10"), InsufficientStock)
    assert isinstance(short, InsufficientStock)
    assert (short.movement_id, short.shortage_qty) == (later.id, 3)
    assert inventory.check(ledger_balance(system)) == []


def test_unknown_items_locations_and_receipts_are_refused(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("BOLT")
    received = inventory.record(desk.receipt("5", "1.00", "2024-01-01"))
    _refused(system, inventory, Desk("NOPE").receipt("1", "1.00", "2024-01-02"), UnknownItem)
    _refused(
        system,
        inventory,
        desk.receipt("1", "1.00", "2024-01-02", location="ATTIC"),
        UnknownLocation,
    )
    _refused(
        system, inventory, desk.transfer("1", "2024-01-02", destination="ATTIC"), UnknownLocation
    )
    _refused(system, inventory, desk.ret("R-nothing", "1", "2024-01-02"), UnknownGoodsReceipt)
    # A return dated before its receipt names a receipt not yet in the history.
    _refused(system, inventory, desk.ret(received.id, "1", "2023-12-31"), UnknownGoodsReceipt)
    _refused(system, inventory, desk.ret(received.id, "6", "2024-01-02"), ReturnExceedsReceipt)


@pytest.mark.parametrize("qty", ["0", "-1", "1.5", "1e3", "abc", "NaN"])
def test_bad_quantities_are_refused(system: Any, inventory: Inventory, qty: str) -> None:
    _refused(system, inventory, Desk("BOLT").receipt(qty, "1.00", "2024-01-01"), InvalidAmount)


def test_malformed_adjustments_and_unit_costs_are_refused(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("BOLT")
    inventory.record(desk.receipt("5", "1.00", "2024-01-01"))
    _refused(system, inventory, desk.adjust("2", "2024-01-02"), InvalidMovement)  # gain, no cost
    _refused(system, inventory, desk.adjust("-2", "2024-01-02", unit_cost="1.00"), InvalidMovement)
    _refused(system, inventory, desk.count("9", "2024-01-02"), InvalidMovement)  # gain, no cost
    both = replace(desk.adjust("1", "2024-01-02", unit_cost="1.00"), counted_qty="6")
    _refused(system, inventory, both, InvalidMovement)
    _refused(system, inventory, desk.receipt("1", "1.0000001", "2024-01-02"), InvalidAmount)
    _refused(system, inventory, desk.issue("1", "2024-01-02", reason="theft"), InvalidMovement)
    _refused(
        system, inventory, desk.transfer("1", "2024-01-02", destination="MAIN"), InvalidMovement
    )


def test_a_movement_whose_entry_falls_in_a_closed_period_is_refused(
    system: Any, inventory: Inventory
) -> None:
    system.app.close_period(CLERK, "2024-01", "January closed")
    _refused(system, inventory, Desk("BOLT").receipt("1", "1.00", "2024-01-31"), PeriodClosed)


def test_a_retried_movement_answers_the_original_outcome_and_posts_once(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("BOLT")
    inventory.record(desk.receipt("5", "1.00", "2024-01-01"))
    issue = desk.issue("2", "2024-01-02")
    first = inventory.record(issue)
    before = log_size(system.app)
    again = inventory.record(issue)
    assert log_size(system.app) == before
    assert again == replace(first, replayed=True)
    other_body = replace(issue, qty="3")
    _refused(system, inventory, other_body, IdempotencyConflict)
    # A fresh service (another process) knows the movement from the log.
    assert Inventory(system.app).record(issue) == again


def test_a_batch_commits_together_and_a_refusal_refuses_only_its_own_command(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("BOLT")
    inventory.record(desk.receipt("5", "1.00", "2024-01-01"))
    first = desk.issue("3", "2024-01-02")
    commands: list[Any] = [
        first,
        desk.issue("3", "2024-01-02"),  # only 2 left after the first
        Desk("NUT").receipt("4", "0.25", "2024-01-02"),
        first,  # the same movement twice in one batch: posted once
        replace(first, qty="1"),  # its id with another body
        desk.issue("2", "2024-01-03"),
    ]
    before = log_size(system.app)
    outcomes = inventory.record_movements(commands)
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "MovementOutcome",
        "InsufficientStock",
        "MovementOutcome",
        "MovementOutcome",
        "IdempotencyConflict",
        "MovementOutcome",
    ]
    assert isinstance(outcomes[3], MovementOutcome) and outcomes[3].replayed
    # Three movements and their three entries, in one commit.
    assert log_size(system.app) == before + 6
    positions = [o.position for o in outcomes if isinstance(o, MovementOutcome) and not o.replayed]
    # The stock log's events come first in the commit, then the entries.
    assert sorted(positions) == [before + 1, before + 2, before + 3]
    assert inventory.valuation("BOLT").qty == 0
    assert inventory.check(ledger_balance(system)) == []


def test_two_issues_of_the_last_units_in_one_batch_let_only_the_first_through(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("NUT")
    inventory.record(desk.receipt("2", "1.00", "2024-01-01"))
    outcomes = inventory.record_movements(
        [IssueGoods(CLERK, f"last-{n}", "NUT", "MAIN", "2", "sale", "2024-01-02") for n in (1, 2)]
    )
    assert isinstance(outcomes[0], MovementOutcome) and outcomes[0].cost == 200
    assert isinstance(outcomes[1], InsufficientStock)
