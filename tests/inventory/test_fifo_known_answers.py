"""FIFO valuation, worked by hand: layers per receipt, oldest first, exact rounding."""

from __future__ import annotations

from decimal import Decimal

from domain.inventory.costing import ConsumedLayer
from domain.inventory.fifo import Layer
from domain.inventory.valuation import stock_position, value_history
from tests.inventory.support import WIDGETS_USD, Recorder, day


def test_an_issue_takes_the_oldest_layer_whole_and_the_next_one_in_part() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 10, "1.25", day(1)),  # 10 x 1.25 = 12.50 -> 1250
            log.receipt("R2", 10, "1.40", day(2)),  # 10 x 1.40 = 14.00 -> 1400
            log.issue("I1", 14, day(3)),
        ],
    )
    issue = history.entries[2].fifo
    # R1 whole: its 1250; R2 in part: ROUND(4 x 1.40) = 560. 1250 + 560 = 1810.
    assert issue.cost == 1810
    assert issue.layers_consumed == (ConsumedLayer("R1", 10, 1250), ConsumedLayer("R2", 4, 560))
    # R2 keeps the rest of its value: 1400 - 560 = 840 for 6 units.
    assert history.final.fifo.layers_at("A") == (Layer("R2", 6, Decimal("1.40"), 840),)


def test_a_layer_consumed_whole_after_a_partial_gives_what_is_left_of_its_value() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            # 3 x 0.335 = 1.005 -> 100.5 cents -> 100 (half-even keeps the even 100).
            log.receipt("R1", 3, "0.335", day(1)),
            log.issue("I1", 1, day(2)),  # ROUND(33.5 cents) = 34 (half-even: 34 is even)
            log.issue("I2", 2, day(3)),  # whole layer: 100 - 34 = 66, not ROUND(67.0) = 67
        ],
    )
    assert [entry.fifo.cost for entry in history.entries] == [0, 34, 66]
    assert history.entries[0].fifo.value == 100
    assert history.final.fifo.layers == {}


def test_only_the_last_layer_of_an_outflow_is_partial() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 3, "0.335", day(1)),  # 100
            log.receipt("R2", 5, "1.00", day(2)),  # 500
            log.issue("I1", 1, day(3)),  # R1 part: ROUND(33.5) = 34, R1 keeps (2, 66)
            log.issue("I2", 4, day(4)),  # R1 whole 66 + R2 part ROUND(2 x 1.00) = 200 -> 266
        ],
    )
    issue = history.entries[3].fifo
    assert issue.cost == 266
    assert issue.layers_consumed == (ConsumedLayer("R1", 2, 66), ConsumedLayer("R2", 2, 200))
    assert history.final.fifo.layers_at("A") == (Layer("R2", 3, Decimal("1.00"), 300),)


def test_receipts_at_equal_cost_keep_separate_layers() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 5, "1.00", day(1)),
            log.receipt("R2", 5, "1.00", day(2)),
        ],
    )
    assert [layer.receipt_id for layer in history.final.fifo.layers_at("A")] == ["R1", "R2"]


def test_a_transfer_moves_the_oldest_layers_to_the_destination_as_new_layers() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R3", 2, "1.00", day(1), location="B"),  # B: 200
            log.receipt("R1", 5, "2.00", day(2)),  # A: 1000
            log.receipt("R2", 5, "3.00", day(3)),  # A: 1500
            log.transfer("T1", 7, day(4), source="A", destination="B"),
            log.issue("I1", 3, day(5), location="B"),
        ],
    )
    transfer = history.entries[3].fifo
    # R1 whole (5, 1000) then R2 in part: ROUND(2 x 3.00) = 600. Moved: 1600.
    assert (transfer.cost, transfer.value) == (1600, 1600)
    assert transfer.layers_consumed == (ConsumedLayer("R1", 5, 1000), ConsumedLayer("R2", 2, 600))
    position = stock_position(history, as_of_date=day(4))
    a, b = position.locations
    assert a.layers == (Layer("R2", 3, Decimal("3.00"), 900),)
    # The pieces arrive behind B's own older layer, in consumption order, keeping
    # their receipt id and unit cost.
    assert b.layers == (
        Layer("R3", 2, Decimal("1.00"), 200),
        Layer("R1", 5, Decimal("2.00"), 1000),
        Layer("R2", 2, Decimal("3.00"), 600),
    )
    # B's issue of 3 takes R3 whole (200) and 1 of the moved R1 (200).
    assert history.entries[4].fifo.cost == 400
