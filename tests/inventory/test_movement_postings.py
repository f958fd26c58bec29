"""Each movement posts its journal entry in the same commit, under the item's
own method, with amounts worked by hand; on SQLite and PostgreSQL.

BOLT is valued FIFO and NUT moving average; both on their own inventory
account, in USD (two decimals), whole units.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.inventory.costing import ConsumedLayer
from domain.inventory.service import Inventory
from tests.inventory.service_support import (
    Desk,
    ledger_balance,
    lines_of,
    open_warehouse,
)

INV_BOLT = "Assets:Inventory:BOLT"
INV_NUT = "Assets:Inventory:NUT"
COGS = "Expenses:COGS"
GRNI = "Liabilities:GRNI"
WRITE_OFF = "Expenses:StockWriteOff"
GAIN = "Income:StockCountGain"
VARIANCE = "Expenses:PriceVariance"


@pytest.fixture
def inventory(system: Any) -> Inventory:
    return open_warehouse(system.app)


def _entry_in_same_commit(system: Any, outcome: Any) -> None:
    """The entry's event is recorded right after the movement's, in its commit."""
    assert system.app.position_of(outcome.entry_id, 1) == outcome.position + 1


def test_a_receipt_debits_inventory_and_credits_goods_received_in_the_same_commit(
    system: Any, inventory: Inventory
) -> None:
    bolts = Desk("BOLT")
    outcome = inventory.record(bolts.receipt("3", "1.234567", "2024-01-02"))
    # ROUND(3 x 1.234567 = 3.703701) = 3.70
    assert (outcome.kind, outcome.value, outcome.cost) == ("receipt", 370, None)
    assert outcome.on_hand_after == {"MAIN": 3}
    assert lines_of(system.app, outcome.entry_id) == [
        (INV_BOLT, "debit", 370),
        (GRNI, "credit", 370),
    ]
    _entry_in_same_commit(system, outcome)


def test_a_fifo_issue_takes_whole_layers_then_part_of_the_next(
    system: Any, inventory: Inventory
) -> None:
    bolts = Desk("BOLT")
    first = inventory.record(bolts.receipt("4", "1.00", "2024-01-01"))  # 4.00
    second = inventory.record(
        bolts.receipt("3", "0.333333", "2024-01-02")
    )  # ROUND(0.999999) = 1.00
    outcome = inventory.record(bolts.issue("6", "2024-01-03"))
    # R1 whole (4.00) + R2 2 of 3: ROUND(2 x 0.333333 = 0.666666) = 0.67 -> 4.67; R2 keeps 0.33
    assert outcome.cost == 467
    assert outcome.layers_consumed == (
        ConsumedLayer(first.id, 4, 400),
        ConsumedLayer(second.id, 2, 67),
    )
    assert lines_of(system.app, outcome.entry_id) == [
        (INV_BOLT, "credit", 467),
        (COGS, "debit", 467),
    ]
    _entry_in_same_commit(system, outcome)
    last = inventory.record(bolts.issue("1", "2024-01-04", reason="consumption"))
    assert last.cost == 33  # the layer's remaining value: stock emptied without residue
    assert inventory.valuation("BOLT").locations == ()
    assert inventory.check(ledger_balance(system)) == []


def test_a_moving_average_issue_rounds_and_the_last_one_takes_the_whole_value(
    system: Any, inventory: Inventory
) -> None:
    nuts = Desk("NUT")
    inventory.record(nuts.receipt("3", "1.00", "2024-01-01"))
    inventory.record(nuts.receipt("3", "1.01", "2024-01-02"))  # (6, 6.03)
    first = inventory.record(nuts.issue("2", "2024-01-03"))  # ROUND(603 x 2/6 = 201) = 2.01
    second = inventory.record(nuts.issue("3", "2024-01-04"))  # ROUND(402 x 3/4 = 301.5) = 3.02
    last = inventory.record(nuts.issue("1", "2024-01-05"))  # the rest: 1.00
    assert [first.cost, second.cost, last.cost] == [201, 302, 100]
    assert first.layers_consumed == ()
    assert lines_of(system.app, second.entry_id) == [(INV_NUT, "credit", 302), (COGS, "debit", 302)]
    assert inventory.valuation("NUT").value == 0
    assert inventory.check(ledger_balance(system)) == []


def test_a_transfer_moves_layers_with_their_cost_and_posts_nothing(
    system: Any, inventory: Inventory
) -> None:
    bolts = Desk("BOLT")
    first = inventory.record(bolts.receipt("2", "1.00", "2024-01-01"))
    second = inventory.record(bolts.receipt("5", "3.00", "2024-01-02"))
    moved = inventory.record(bolts.transfer("4", "2024-01-03"))
    assert (moved.kind, moved.cost, moved.entry_id) == ("transfer", 800, None)
    assert moved.layers_consumed == (
        ConsumedLayer(first.id, 2, 200),
        ConsumedLayer(second.id, 2, 600),
    )
    assert moved.on_hand_after == {"MAIN": 3, "SHOP": 4}
    shop = inventory.valuation("BOLT", location="SHOP").locations[0]
    assert [(layer.receipt_id, layer.qty, layer.value) for layer in shop.layers] == [
        (first.id, 2, 200),
        (second.id, 2, 600),
    ]
    assert inventory.valuation("BOLT", method="moving_average", location="SHOP").value == 971
    # Moving average: (7, 17.00) -> 4 cost ROUND(1700 x 4/7 = 971.43) = 9.71 at SHOP
    assert inventory.valuation("NUT").locations == ()
    assert inventory.check(ledger_balance(system)) == []


def test_a_return_credits_the_cost_relieved_and_sends_the_difference_to_price_variance(
    system: Any, inventory: Inventory
) -> None:
    nuts = Desk("NUT")
    cheap = inventory.record(nuts.receipt("10", "1.00", "2024-01-01"))
    inventory.record(nuts.receipt("10", "2.00", "2024-01-02"))  # (20, 30.00): average 1.50
    returned = inventory.record(nuts.ret(cheap.id, "4", "2024-01-03"))
    # Moving average relieves ROUND(3000 x 4/20) = 6.00; the supplier credits 4 x 1.00
    assert (returned.cost, returned.price_variance) == (600, 200)
    assert lines_of(system.app, returned.entry_id) == [
        (INV_NUT, "credit", 600),
        (VARIANCE, "debit", 200),
        (GRNI, "debit", 400),
    ]
    bolts = Desk("BOLT")
    inventory.record(bolts.receipt("10", "1.00", "2024-01-01"))
    dear = inventory.record(bolts.receipt("10", "2.00", "2024-01-02"))
    own_layer = inventory.record(bolts.ret(dear.id, "4", "2024-01-03"))
    # FIFO takes R2's own layer: 8.00 relieved, 8.00 credited, no variance line
    assert (own_layer.cost, own_layer.price_variance) == (800, 0)
    assert lines_of(system.app, own_layer.entry_id) == [
        (INV_BOLT, "credit", 800),
        (GRNI, "debit", 800),
    ]
    assert inventory.check(ledger_balance(system)) == []


def test_a_fifo_return_beyond_its_layer_takes_the_oldest_and_credits_variance(
    system: Any, inventory: Inventory
) -> None:
    bolts = Desk("BOLT")
    old = inventory.record(bolts.receipt("5", "1.00", "2024-01-01"))
    dear = inventory.record(bolts.receipt("4", "2.00", "2024-01-02"))
    inventory.record(bolts.issue("5", "2024-01-03"))  # takes all of the old layer
    inventory.record(bolts.receipt("3", "0.50", "2024-01-04"))
    # R2 keeps 4 of its 4: return 4 of it, all from its own layer
    returned = inventory.record(bolts.ret(dear.id, "4", "2024-01-05"))
    assert returned.layers_consumed == (ConsumedLayer(dear.id, 4, 800),)
    assert old.id != dear.id
    bolts2 = Desk("BOLT")
    more = inventory.record(bolts2.receipt("2", "3.00", "2024-01-06"))
    inventory.record(bolts2.issue("1", "2024-01-07"))  # takes 1 of the 0.50 layer
    # Return 3 of `more` (holds 2): its own 2 (6.00), then 1 of the oldest (0.50 layer)
    partly = inventory.record(bolts2.ret(more.id, "2", "2024-01-08"))
    assert partly.cost == 600
    # Price variance credit when the cost relieved is below the supplier's credit
    cheap_more = inventory.record(bolts2.receipt("2", "4.00", "2024-01-09"))
    inventory.record(bolts2.issue("2", "2024-01-10"))  # the 0.50 layer's 2 units
    mixed = inventory.record(bolts2.ret(cheap_more.id, "2", "2024-01-11"))
    assert (mixed.cost, mixed.price_variance) == (800, 0)
    assert inventory.check(ledger_balance(system)) == []


def test_a_count_below_stock_writes_off_and_a_count_above_it_gains_at_the_given_cost(
    system: Any, inventory: Inventory
) -> None:
    bolts = Desk("BOLT")
    inventory.record(bolts.receipt("10", "1.25", "2024-01-01"))
    short = inventory.record(bolts.count("7", "2024-01-05"))  # 3 missing: 3.75
    assert (short.kind, short.cost) == ("write_off", 375)
    assert lines_of(system.app, short.entry_id) == [
        (INV_BOLT, "credit", 375),
        (WRITE_OFF, "debit", 375),
    ]
    found = inventory.record(bolts.adjust("2", "2024-01-06", unit_cost="1.125"))
    # ROUND(2 x 1.125 = 2.25) = 2.25; a layer of its own, named by the adjustment
    assert (found.kind, found.value) == ("gain", 225)
    assert lines_of(system.app, found.entry_id) == [(INV_BOLT, "debit", 225), (GAIN, "credit", 225)]
    same = inventory.record(bolts.count("9", "2024-01-07"))
    assert (same.kind, same.entry_id, same.on_hand_after) == ("count", None, {"MAIN": 9})
    layers = inventory.valuation("BOLT").locations[0].layers
    assert [(layer.receipt_id, layer.qty) for layer in layers][-1] == (found.id, 2)
    assert inventory.check(ledger_balance(system)) == []
