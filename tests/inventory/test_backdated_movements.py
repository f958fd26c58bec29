"""Back-dated movements: replayed from a checkpoint, corrected by new facts only."""

from __future__ import annotations

import copy

import pytest

from domain.inventory.costing import ItemSpec
from domain.inventory.errors import DuplicateMovement, InsufficientStock, InvalidMovement
from domain.inventory.movements import Movement
from domain.inventory.valuation import (
    Correction,
    insert_backdated,
    revalue_after,
    stock_position,
    value_history,
)
from tests.inventory.support import WIDGETS_USD, Recorder, day


def _january() -> tuple[Recorder, list[Movement]]:
    log = Recorder()
    movements: list[Movement] = [
        log.receipt("R1", 10, "1.00", day(1)),  # 1000
        log.issue("I1", 6, day(10)),  # FIFO 600; average 600 -> (4, 400)
        log.receipt("R2", 10, "2.00", day(20)),  # 2000; average (14, 2400)
        # FIFO: R1 4 (400) + R2 2 (400) = 800; average ROUND(2400 x 6/14 = 1028.57) = 1029
        log.issue("I2", 6, day(25)),
    ]
    return log, movements


def test_a_backdated_receipt_corrects_exactly_the_later_outflows_whose_cost_changed() -> None:
    log, movements = _january()
    history = value_history(WIDGETS_USD, movements)
    assert [e.fifo.cost for e in history.entries] == [0, 600, 0, 800]
    assert [e.moving_average.cost for e in history.entries] == [0, 600, 0, 1029]

    backdated = log.receipt("R0", 10, "0.50", day(5))  # recorded last, effective 5 Jan: 500
    insertion = insert_backdated(history, backdated)
    revaluation = insertion.revaluation
    # FIFO: I1 still takes 6 of R1 (600): no correction. I2 takes R1 4 (400) and then
    # R0, now older than R2: ROUND(2 x 0.50) = 100. 500 instead of 800.
    assert revaluation.fifo_corrections == (Correction("I2", "issue", 800, 500, -300, 0),)
    # Moving average: (10, 1000) + R0 = (20, 1500); I1 ROUND(1500 x 6/20) = 450 -> (14, 1050);
    # + R2 (24, 3050); I2 ROUND(3050 x 6/24 = 762.5) = 762 (half-even).
    assert revaluation.moving_average_corrections == (
        Correction("I1", "issue", 600, 450, -150, 0),
        Correction("I2", "issue", 1029, 762, -267, 0),
    )
    assert [entry.movement.id for entry in revaluation.later] == ["I1", "R2", "I2"]
    assert revaluation.new.fifo.value == 500
    # Nothing in the old history changed, and the new one is what valuing from scratch gives.
    assert [e.fifo.cost for e in history.entries] == [0, 600, 0, 800]
    scratch = value_history(WIDGETS_USD, [*movements, backdated])
    assert insertion.history == scratch


def test_a_backdated_receipt_reports_a_returns_change_as_price_variance() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 10, "1.00", day(1)),
            log.ret("X1", "R1", 5, day(10)),  # average (10, 1000): 500 relieved, 500 credited
        ],
    )
    # R0 before it: (20, 3000); X1 relieves ROUND(3000 x 5/20) = 750, credit still 500.
    insertion = insert_backdated(history, log.receipt("R0", 10, "2.00", day(5)))
    assert insertion.revaluation.moving_average_corrections == (
        Correction("X1", "return", 500, 750, 250, 250),
    )
    assert insertion.history.entries[2].moving_average.price_variance == 250
    # FIFO takes R1's own layer either way: nothing to correct.
    assert insertion.revaluation.fifo_corrections == ()


def test_a_backdated_issue_that_would_take_a_later_point_below_zero_is_refused() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 10, "1.00", day(1)),
            log.issue("I1", 8, day(10)),
        ],
    )
    before = copy.deepcopy(history)
    # On 5 Jan 10 are on hand and 5 would be left, but I1 then needs 8 on 10 Jan.
    with pytest.raises(InsufficientStock) as refused:
        insert_backdated(history, log.issue("I0", 5, day(5)))
    error = refused.value
    assert (error.movement_id, error.caused_by, error.shortage_qty) == ("I1", "I0", 3)
    assert error.effective_date == day(10) and error.location == "A"
    assert "'I0'" in error.message and "2024-01-10" in error.message
    assert history == before


def test_a_backdated_issue_short_at_its_own_date_is_refused() -> None:
    log = Recorder()
    history = value_history(WIDGETS_USD, [log.receipt("R1", 10, "1.00", day(10))])
    with pytest.raises(InsufficientStock) as refused:
        insert_backdated(history, log.issue("I0", 3, day(5)))
    assert (refused.value.movement_id, refused.value.shortage_qty) == ("I0", 3)


def test_a_movement_repeating_an_id_or_a_sequence_is_refused() -> None:
    log = Recorder()
    receipt = log.receipt("R1", 10, "1.00", day(1))
    history = value_history(WIDGETS_USD, [receipt])
    with pytest.raises(DuplicateMovement):
        insert_backdated(history, log.issue("R1", 1, day(2)))


def test_insertion_replays_from_the_nearest_checkpoint_and_rebuilds_later_ones() -> None:
    log = Recorder()
    movements: list[Movement] = [log.receipt(f"R{n}", 1, f"{n}.00", day(1 + n)) for n in range(10)]
    movements += [log.issue(f"I{n}", 1, day(12 + n)) for n in range(5)]
    history = value_history(WIDGETS_USD, movements, checkpoint_interval=4)
    assert [checkpoint.index for checkpoint in history.checkpoints] == [0, 4, 8, 12]
    insertion = insert_backdated(history, log.receipt("RX", 3, "0.10", day(1)))
    scratch = value_history(
        WIDGETS_USD, [*movements, insertion.revaluation.new.movement], checkpoint_interval=4
    )
    assert insertion.history == scratch
    # RX shares 1 Jan with R0 (cost 0) but was recorded later, so it sits right after
    # it: I0 still takes R0 (0), I1..I3 take RX at 10 each instead of R1..R3 (100,
    # 200, 300), and I4 takes R1 (100) instead of R4 (400).
    assert [(c.movement_id, c.delta) for c in insertion.revaluation.fifo_corrections] == [
        ("I1", -90),
        ("I2", -190),
        ("I3", -290),
        ("I4", -300),
    ]


def test_revaluing_from_a_given_starting_state_needs_only_the_later_movements() -> None:
    log, movements = _january()
    history = value_history(WIDGETS_USD, movements)
    start = history.checkpoints[0].state
    after_r1 = revalue_after(start, (), history.entries[0].movement).final
    revaluation = revalue_after(
        after_r1, history.entries[1:], log.receipt("R0", 10, "0.50", day(5))
    )
    assert [c.delta for c in revaluation.fifo_corrections] == [-300]


def test_stock_is_reported_as_of_a_date_and_as_of_a_recorded_sequence() -> None:
    log, movements = _january()
    history = value_history(WIDGETS_USD, movements)
    backdated = log.receipt("R0", 10, "0.50", day(5))  # sequence 5
    history = insert_backdated(history, backdated).history
    now = stock_position(history, as_of_date=day(15))
    assert [(layer.receipt_id, layer.qty, layer.value) for layer in now.locations[0].layers] == [
        ("R1", 4, 400),
        ("R0", 10, 500),
    ]
    assert (now.qty, now.fifo_value, now.moving_average_value) == (14, 900, 1050)
    # As the books stood at sequence 4, before R0 was recorded.
    then = stock_position(history, as_of_date=day(15), as_of_sequence=4)
    assert (then.qty, then.fifo_value, then.moving_average_value) == (4, 400, 400)
    assert stock_position(history).qty == 18


def test_history_of_another_item_is_not_valued_here() -> None:
    other = ItemSpec(item="GADGET", asset="USD", asset_scale=2, quantity_scale=0)
    with pytest.raises(InvalidMovement, match="not 'GADGET'"):
        value_history(other, [Recorder().receipt("R1", 1, "1.00", day(1))])
