"""Quantity scales, asset scales and unit costs: exact, half-even, refused when inexact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.inventory.costing import (
    ItemSpec,
    divide_half_even,
    extended_value,
    parse_quantity,
    parse_unit_cost,
)
from domain.inventory.errors import InvalidQuantity, InvalidUnitCost
from domain.inventory.fifo import Layer
from domain.inventory.movements import Receipt
from domain.inventory.valuation import value_history
from domain.kernel.errors import InvalidInput
from tests.inventory.support import Recorder, day

FLOUR_KG_USD = ItemSpec(item="FLOUR", asset="USD", asset_scale=2, quantity_scale=3)
CHIPS_JPY = ItemSpec(item="CHIP", asset="JPY", asset_scale=0, quantity_scale=0)
OIL_BHD = ItemSpec(item="OIL", asset="BHD", asset_scale=3, quantity_scale=0)


def test_quantity_scale_three_values_fractions_of_a_unit() -> None:
    log = Recorder("FLOUR")
    received = parse_quantity("2.500", 3)  # 2500 grams of a kilogram-priced item
    issued = parse_quantity("0.750", 3)
    history = value_history(
        FLOUR_KG_USD,
        [
            # 2.5 kg x 1.234567 = 3.0864175 USD -> 309 cents.
            log.receipt("R1", received, "1.234567", day(1)),
            # FIFO: ROUND(0.75 x 1.234567 = 0.92592525 USD) = 93. Average: ROUND(309 x 750/2500
            # = 92.7) = 93.
            log.issue("I1", issued, day(2)),
            log.issue("I2", 1750, day(3)),  # the rest: 309 - 93 = 216 under both
        ],
    )
    assert history.entries[0].fifo.value == 309
    assert [e.fifo.cost for e in history.entries[1:]] == [93, 216]
    assert [e.moving_average.cost for e in history.entries[1:]] == [93, 216]


def test_a_quantity_with_more_decimals_than_the_items_scale_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_quantity("2.5001", 3)
    with pytest.raises(InvalidInput):
        parse_quantity("1.5", 0)


def test_a_yen_item_rounds_to_whole_yen_half_to_even() -> None:
    log = Recorder("CHIP")
    history = value_history(
        CHIPS_JPY,
        [
            log.receipt("R1", 3, "333.5", day(1)),  # 1000.5 yen -> 1000 (even)
            log.issue("I1", 1, day(2)),
        ],
    )
    assert history.entries[0].fifo.value == 1000
    # FIFO: ROUND(333.5) = 334 (even), the layer keeps 666; average ROUND(1000/3) = 333.
    assert history.entries[1].fifo.cost == 334
    assert history.final.fifo.layers_at("A") == (Layer("R1", 2, Decimal("333.5"), 666),)
    assert history.entries[1].moving_average.cost == 333


def test_a_dinar_item_rounds_to_the_fils() -> None:
    log = Recorder("OIL")
    history = value_history(
        OIL_BHD,
        [
            log.receipt("R1", 7, "1.234565", day(1)),  # 8.641955 BHD -> 8642 fils
            log.receipt("R2", 1, "0.0025", day(2)),  # 2.5 fils -> 2 (even)
            log.issue("I1", 3, day(3)),
        ],
    )
    assert [e.fifo.value for e in history.entries[:2]] == [8642, 2]
    # FIFO: ROUND(3 x 1.234565 = 3.703695 BHD) = 3704 fils.
    # Average (8, 8644): ROUND(8644 x 3/8 = 3241.5) = 3242 (even).
    assert history.entries[2].fifo.cost == 3704
    assert history.entries[2].moving_average.cost == 3242


def test_half_even_rounding_sends_ties_to_the_even_neighbour() -> None:
    assert [divide_half_even(n, 2) for n in (1, 3, 5, -1, -3)] == [0, 2, 2, 0, -2]
    assert divide_half_even(7, 3) == 2 and divide_half_even(8, 3) == 3


def test_unit_costs_parse_exactly_with_up_to_six_decimals() -> None:
    assert parse_unit_cost("0.000001") == Decimal("0.000001")
    assert parse_unit_cost("12") == Decimal("12")
    assert parse_unit_cost("0") == 0
    # 1 g at 1,000,000,000.005 USD/kg = 1,000,000.000005 USD -> 100,000,000 cents,
    # worked in integers: no Decimal context precision can get in the way.
    assert extended_value(FLOUR_KG_USD, 1, parse_unit_cost("1000000000.005")) == 100_000_000
    # 1 kg at 0.005 is half a cent: half-even gives 0; 3 kg (1.5 cents) give 2.
    assert extended_value(FLOUR_KG_USD, 1000, parse_unit_cost("0.005")) == 0
    assert extended_value(FLOUR_KG_USD, 3000, parse_unit_cost("0.005")) == 2


@pytest.mark.parametrize("text", ["1.2345678", "1e3", "NaN", "-1.00", "1,50", " 1.00", "Infinity"])
def test_a_unit_cost_that_is_not_a_plain_decimal_of_six_decimals_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_unit_cost(text)


@pytest.mark.parametrize("cost", [Decimal("1.0000001"), Decimal("NaN"), Decimal("-0.5"), 1.5])
def test_a_receipt_refuses_an_inexact_or_negative_unit_cost(cost: object) -> None:
    with pytest.raises(InvalidUnitCost):
        Receipt(
            id="R1",
            item="WIDGET",
            location="A",
            qty=1,
            effective_date=day(1),
            sequence=1,
            unit_cost=cost,  # type: ignore[arg-type]
        )


def test_a_unit_cost_written_with_trailing_zeros_is_still_exact() -> None:
    receipt = Receipt(
        id="R1",
        item="WIDGET",
        location="A",
        qty=1,
        effective_date=day(1),
        sequence=1,
        unit_cost=Decimal("1.230000000"),
    )
    assert receipt.unit_cost == Decimal("1.23")


@pytest.mark.parametrize("qty", [0, -1, True, 10**18])
def test_a_receipt_refuses_a_quantity_that_is_not_a_positive_integer(qty: object) -> None:
    with pytest.raises(InvalidQuantity):
        Receipt(
            id="R1",
            item="WIDGET",
            location="A",
            qty=qty,  # type: ignore[arg-type]
            effective_date=day(1),
            sequence=1,
            unit_cost=Decimal(1),
        )


def test_an_item_refuses_a_quantity_scale_beyond_six() -> None:
    with pytest.raises(InvalidQuantity):
        ItemSpec(item="X", asset="USD", asset_scale=2, quantity_scale=7)
