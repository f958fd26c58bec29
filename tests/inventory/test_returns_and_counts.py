"""Returns to the supplier and stock counts, worked by hand under both methods."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.inventory.costing import ConsumedLayer
from domain.inventory.errors import (
    InsufficientStock,
    InvalidMovement,
    ReturnExceedsReceipt,
    UnknownGoodsReceipt,
)
from domain.inventory.fifo import Layer
from domain.inventory.movements import Movement
from domain.inventory.moving_average import Pool
from domain.inventory.valuation import stock_position, value_history
from tests.inventory.support import WIDGETS_USD, Recorder, day


def test_a_return_takes_its_own_receipts_layer_before_older_ones() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 10, "1.00", day(1)),  # 1000
            log.receipt("R2", 10, "1.20", day(2)),  # 1200
            log.ret("X1", "R2", 4, day(3)),
        ],
    )
    fifo, average = history.entries[2].fifo, history.entries[2].moving_average
    # FIFO: from R2's layer, ROUND(4 x 1.20) = 480; credit ROUND(4 x 1.20) = 480; no variance.
    assert (fifo.cost, fifo.supplier_credit, fifo.price_variance) == (480, 480, 0)
    assert fifo.layers_consumed == (ConsumedLayer("R2", 4, 480),)
    assert history.final.fifo.layers_at("A") == (
        Layer("R1", 10, Decimal("1.00"), 1000),
        Layer("R2", 6, Decimal("1.20"), 720),
    )
    # Moving average (20, 2200): ROUND(2200 x 4/20) = 440 relieved, 480 credited:
    # -40, a favourable price variance.
    assert (average.cost, average.supplier_credit, average.price_variance) == (440, 480, -40)


def test_a_return_larger_than_its_layer_spills_to_the_oldest_layers() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 10, "1.00", day(1)),
            log.receipt("R2", 10, "1.20", day(2)),
            log.issue("I1", 15, day(3)),  # R1 whole 1000 + R2 5 -> 600; R2 keeps (5, 600)
            log.receipt("R3", 10, "1.50", day(4)),  # 1500
            log.ret("X1", "R2", 8, day(5)),
        ],
    )
    fifo, average = history.entries[4].fifo, history.entries[4].moving_average
    # R2's 5 whole (600), then 3 from the oldest other layer R3: ROUND(3 x 1.50) = 450.
    # Relieved 1050, credited ROUND(8 x 1.20) = 960: price variance 90.
    assert fifo.layers_consumed == (ConsumedLayer("R2", 5, 600), ConsumedLayer("R3", 3, 450))
    assert (fifo.cost, fifo.supplier_credit, fifo.price_variance) == (1050, 960, 90)
    assert history.final.fifo.layers_at("A") == (Layer("R3", 7, Decimal("1.50"), 1050),)
    # Moving average: (20, 2200) -> I1 ROUND(1650) -> (5, 550) -> R3 (15, 2050);
    # X1 ROUND(2050 x 8/15 = 1093.33) = 1093 relieved, 960 credited: variance 133.
    assert (average.cost, average.supplier_credit, average.price_variance) == (1093, 960, 133)
    assert history.final.moving_average.pool_at("A") == Pool(7, 957)


def test_a_return_finds_its_receipts_layer_where_a_transfer_took_it() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R0", 2, "5.00", day(1), location="B"),
            log.receipt("R1", 4, "2.00", day(2)),
            log.transfer("T1", 4, day(3), source="A", destination="B"),
            log.ret("X1", "R1", 3, day(4), location="B"),
        ],
    )
    # B holds R0 (2, 1000) then the moved R1 (4, 800): the return skips R0.
    assert history.entries[3].fifo.layers_consumed == (ConsumedLayer("R1", 3, 600),)


def test_a_return_of_an_unknown_or_later_receipt_is_refused() -> None:
    log = Recorder()
    late_return = log.ret("X1", "R1", 1, day(1))
    with pytest.raises(UnknownGoodsReceipt):
        value_history(WIDGETS_USD, [late_return, log.receipt("R1", 5, "1.00", day(2))])


def test_returning_more_than_the_receipt_brought_in_is_refused() -> None:
    log = Recorder()
    movements: list[Movement] = [
        log.receipt("R1", 5, "1.00", day(1)),
        log.receipt("R2", 50, "1.00", day(2)),
        log.ret("X1", "R1", 4, day(3)),
        log.ret("X2", "R1", 2, day(4)),
    ]
    with pytest.raises(ReturnExceedsReceipt) as refused:
        value_history(WIDGETS_USD, movements)
    assert refused.value.code == "return_exceeds_receipt"


def test_a_count_below_stock_writes_off_the_difference_at_cost() -> None:
    log = Recorder()
    receipt = log.receipt("R1", 10, "1.00", day(1))
    count = log.count("C1", counted_qty=7, qty_on_hand=10, on=day(2))
    assert count.delta_qty == -3 and count.kind == "write_off"
    history = value_history(WIDGETS_USD, [receipt, count])
    assert history.entries[1].fifo.cost == 300
    assert history.entries[1].moving_average.cost == 300


def test_a_count_above_stock_is_a_gain_layer_named_by_the_adjustment() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 10, "1.00", day(1)),
            log.adjustment("C1", -3, day(2)),  # write-off 300
            log.count("C2", counted_qty=9, qty_on_hand=7, on=day(3), unit_cost="0.90"),  # +2: 180
            log.issue("I1", 9, day(4)),  # R1 7 (700) + C2 2 (180) = 880
        ],
    )
    assert history.entries[2].fifo.value == history.entries[2].moving_average.value == 180
    position = stock_position(history, as_of_date=day(3))
    assert position.locations[0].layers[-1] == Layer("C2", 2, Decimal("0.90"), 180)
    assert history.entries[3].fifo.cost == 880
    # Moving average: (7, 700) + (2, 180) = (9, 880), emptied by I1: the whole 880.
    assert history.entries[3].moving_average.cost == 880


def test_a_count_that_matches_the_stock_changes_nothing() -> None:
    log = Recorder()
    receipt = log.receipt("R1", 10, "1.00", day(1))
    count = log.count("C1", counted_qty=10, qty_on_hand=10, on=day(2), unit_cost="9.99")
    history = value_history(WIDGETS_USD, [receipt, count])
    assert count.kind == "count" and count.unit_cost is None
    assert history.entries[1].fifo.cost == history.entries[1].fifo.value == 0


def test_a_gain_without_a_unit_cost_is_refused() -> None:
    with pytest.raises(InvalidMovement):
        Recorder().adjustment("C1", 2, day(1))


def test_a_write_off_beyond_the_stock_is_refused_naming_the_shortage() -> None:
    log = Recorder()
    with pytest.raises(InsufficientStock) as refused:
        value_history(
            WIDGETS_USD,
            [
                log.receipt("R1", 2, "1.00", day(1)),
                log.adjustment("C1", -5, day(2)),
            ],
        )
    assert refused.value.code == "insufficient_stock"
    assert refused.value.shortage_qty == 3
    message = refused.value.message
    assert "'WIDGET'" in message and "'A'" in message and "2024-01-02" in message
    assert "short by 3" in message
