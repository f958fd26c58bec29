"""Moving average, worked by hand: (qty, value) per location, never a rounded average."""

from __future__ import annotations

from fractions import Fraction

from domain.inventory.moving_average import Pool
from domain.inventory.valuation import value_history
from tests.inventory.support import WIDGETS_USD, Recorder, day


def test_emptying_the_stock_takes_the_whole_value_so_no_residue_is_left() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            # 3 x 0.333333 = 0.999999 -> 99.9999 cents -> 100.
            log.receipt("R1", 3, "0.333333", day(1)),
            log.issue("I1", 3, day(2)),
        ],
    )
    # The whole 100. Costing at an average rounded to the cent (0.33) would give
    # 3 x 33 = 99 and leave 1 cent on an empty location.
    assert history.entries[1].moving_average.cost == 100
    assert history.final.moving_average.pools == {}


def test_issuing_one_at_a_time_rounds_each_share_and_the_last_takes_the_rest() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 3, "0.333333", day(1)),  # (3, 100)
            log.issue("I1", 1, day(2)),  # ROUND(100 x 1/3 = 33.33) = 33 -> (2, 67)
            log.issue("I2", 1, day(3)),  # ROUND(67 x 1/2 = 33.5) = 34 (half-even) -> (1, 33)
            log.issue("I3", 1, day(4)),  # the whole 33 -> (0, 0)
        ],
    )
    assert [entry.moving_average.cost for entry in history.entries[1:]] == [33, 34, 33]
    assert history.final.moving_average.pools == {}


def test_the_average_is_kept_exact_between_receipts() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R1", 3, "1.00", day(1)),  # (3, 300)
            log.receipt("R2", 4, "1.10", day(2)),  # (7, 740): average 740/7 cents, unrounded
            log.issue("I1", 2, day(3)),  # ROUND(740 x 2/7 = 211.43) = 211 -> (5, 529)
        ],
    )
    assert history.entries[2].moving_average.cost == 211
    assert history.final.moving_average.pool_at("A") == Pool(5, 529)
    assert history.final.moving_average.average_unit_cost("A") == Fraction(529, 500)


def test_a_transfer_carries_its_average_cost_to_the_destination() -> None:
    log = Recorder()
    history = value_history(
        WIDGETS_USD,
        [
            log.receipt("R3", 2, "1.00", day(1), location="B"),  # B (2, 200)
            log.receipt("R1", 5, "2.00", day(2)),
            log.receipt("R2", 5, "3.00", day(3)),  # A (10, 2500)
            log.transfer("T1", 7, day(4), source="A", destination="B"),  # ROUND(1750) = 1750
            log.issue("I1", 3, day(5), location="B"),  # B (9, 1950): ROUND(650) = 650
        ],
    )
    assert history.entries[3].moving_average.cost == 1750
    assert history.entries[4].moving_average.cost == 650
    pools = history.final.moving_average.pools
    assert pools == {"A": Pool(3, 750), "B": Pool(6, 1300)}
