"""A back-dated movement corrects exactly the later outflows whose cost changed,
by new events and entries under the item's own method; on both backends.

January, worked by hand: R1 10 @ 1.00 on the 1st, I1 6 on the 10th, R2 10 @
2.00 on the 20th, I2 6 on the 25th; then R0 10 @ 0.50 recorded last but
effective the 5th.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.inventory.results import CorrectionView
from domain.inventory.service import Inventory
from domain.inventory.stock import ItemStock, stock_id
from tests.inventory.service_support import Desk, ledger_balance, lines_of, open_warehouse

COGS = "Expenses:COGS"
VARIANCE = "Expenses:PriceVariance"


@pytest.fixture
def inventory(system: Any) -> Inventory:
    return open_warehouse(system.app)


def _january(inventory: Inventory, sku: str) -> tuple[Desk, list[Any]]:
    desk = Desk(sku)
    done = [
        inventory.record(desk.receipt("10", "1.00", "2024-01-01")),
        inventory.record(desk.issue("6", "2024-01-10")),
        inventory.record(desk.receipt("10", "2.00", "2024-01-20")),
        inventory.record(desk.issue("6", "2024-01-25")),
    ]
    return desk, done


def _correction_entries(system: Any, sku: str) -> list[Any]:
    events = system.app.repository.event_store.get(stock_id(sku))
    return [event for event in events if isinstance(event, ItemStock.MovementCostCorrected)]


def test_a_backdated_receipt_corrects_the_later_fifo_issue_whose_cost_changed(
    system: Any, inventory: Inventory
) -> None:
    desk, (_r1, i1, _r2, i2) = _january(inventory, "BOLT")
    assert (i1.cost, i2.cost) == (600, 800)  # I2: R1 4 (4.00) + R2 2 (4.00)
    backdated = inventory.record(desk.receipt("10", "0.50", "2024-01-05"))
    # I1 still takes 6 of R1; I2 takes R1's last 4 and then R0, now older than R2: 1.00
    assert backdated.corrections == (CorrectionView(i2.id, 800, 500, -300),)
    assert backdated.value == 500
    assert backdated.on_hand_after == {"MAIN": 20}
    [corrected] = _correction_entries(system, "BOLT")
    assert (corrected.movement_id, corrected.caused_by, corrected.effective_date) == (
        i2.id,
        backdated.id,
        "2024-01-25",
    )
    assert lines_of(system.app, UUID(corrected.entry_id)) == [
        ("Assets:Inventory:BOLT", "debit", 300),
        (COGS, "credit", 300),
    ]
    # R0 keeps 8 (4.00) and R2 all 10 (20.00)
    assert inventory.valuation("BOLT").value == 2400
    assert inventory.check(ledger_balance(system)) == []


def test_a_backdated_receipt_corrects_every_later_moving_average_issue(
    system: Any, inventory: Inventory
) -> None:
    desk, (_r1, i1, _r2, i2) = _january(inventory, "NUT")
    assert (i1.cost, i2.cost) == (600, 1029)  # ROUND(2400 x 6/14 = 1028.57)
    backdated = inventory.record(desk.receipt("10", "0.50", "2024-01-05"))
    # (20, 15.00): I1 ROUND(1500 x 6/20) = 4.50 -> (14, 10.50); + R2 (24, 30.50);
    # I2 ROUND(3050 x 6/24 = 762.5) = 7.62, half to even
    assert backdated.corrections == (
        CorrectionView(i1.id, 600, 450, -150),
        CorrectionView(i2.id, 1029, 762, -267),
    )
    entries = {
        c.movement_id: lines_of(system.app, UUID(c.entry_id))
        for c in _correction_entries(system, "NUT")
    }
    assert entries == {
        i1.id: [("Assets:Inventory:NUT", "debit", 150), (COGS, "credit", 150)],
        i2.id: [("Assets:Inventory:NUT", "debit", 267), (COGS, "credit", 267)],
    }
    assert inventory.check(ledger_balance(system)) == []
    # The correction is dated at the outflow: the ledger as of any date equals the layers.
    for day in ("2024-01-09", "2024-01-10", "2024-01-24", "2024-01-25"):
        balance = system.projections.balance("Assets:Inventory:NUT", as_of_date=day)
        ledger = sum(line.net_minor for line in balance.lines)
        assert ledger == inventory.valuation("NUT", as_of_date=day).value, day


def test_a_backdated_receipt_sends_a_returns_cost_change_to_price_variance(
    system: Any, inventory: Inventory
) -> None:
    desk = Desk("NUT")
    first = inventory.record(desk.receipt("10", "1.00", "2024-01-01"))
    returned = inventory.record(desk.ret(first.id, "4", "2024-01-10"))
    assert (returned.cost, returned.price_variance) == (400, 0)
    backdated = inventory.record(desk.receipt("10", "2.00", "2024-01-05"))
    # (20, 30.00): the return now relieves ROUND(3000 x 4/20) = 6.00; the credit stays 4.00
    assert backdated.corrections == (CorrectionView(returned.id, 400, 600, 200),)
    [corrected] = _correction_entries(system, "NUT")
    assert lines_of(system.app, UUID(corrected.entry_id)) == [
        ("Assets:Inventory:NUT", "credit", 200),
        (VARIANCE, "debit", 200),
    ]
    assert inventory.check(ledger_balance(system)) == []


def test_a_backdated_receipt_that_changes_no_cost_posts_no_correction(
    system: Any, inventory: Inventory
) -> None:
    desk, _done = _january(inventory, "BOLT")
    later = inventory.record(desk.receipt("1", "9.00", "2024-01-26"))
    assert later.corrections == ()
    moved = inventory.record(desk.transfer("2", "2024-01-27"))
    backdated = inventory.record(desk.receipt("5", "0.10", "2024-01-02"))
    # FIFO: I1 takes 6 of R1 still; I2 now takes R1 4 and R0 2 (0.20): corrected; the
    # transfer (R0 3, 0.30 instead of R2 2 = 4.00) is corrected without an entry
    assert [c.movement for c in backdated.corrections] == [_done[3].id, moved.id]
    transfer_correction = [
        c for c in _correction_entries(system, "BOLT") if c.movement_id == moved.id
    ]
    assert transfer_correction[0].entry_id == ""
    assert inventory.check(ledger_balance(system)) == []


def test_the_history_lists_movements_as_recorded_with_the_corrections_they_caused(
    system: Any, inventory: Inventory
) -> None:
    desk, done = _january(inventory, "BOLT")
    backdated = inventory.record(desk.receipt("10", "0.50", "2024-01-05"))
    history = inventory.movements("BOLT")
    assert [m.id for m in history] == [*(m.id for m in done), backdated.id]
    assert history[3].cost == 800  # as posted then; the correction is its own fact
    assert history[-1].corrections == backdated.corrections


def test_valuation_as_of_a_log_position_leaves_out_later_recorded_movements(
    system: Any, inventory: Inventory
) -> None:
    desk, done = _january(inventory, "BOLT")
    before = inventory.valuation("BOLT", as_of_position=done[-1].position)
    inventory.record(desk.receipt("10", "0.50", "2024-01-05"))
    again = inventory.valuation("BOLT", as_of_position=done[-1].position)
    assert again == before
    assert (before.qty, before.value) == (8, 1600)
    assert inventory.valuation("BOLT", as_of_position=done[0].position).value == 1000
