"""Builders for inventory tests: movements with sequences in recording order."""

from __future__ import annotations

import itertools
from datetime import date

from domain.inventory.costing import ItemSpec, parse_unit_cost
from domain.inventory.movements import Adjustment, Issue, Receipt, Return, Transfer

WIDGETS_USD = ItemSpec(item="WIDGET", asset="USD", asset_scale=2, quantity_scale=0)


def day(n: int, month: int = 1) -> date:
    return date(2024, month, n)


class Recorder:
    """Hands out movements of one item with increasing recorded sequences."""

    def __init__(self, item: str = "WIDGET", first_sequence: int = 1) -> None:
        self.item = item
        self._sequences = itertools.count(first_sequence)

    def receipt(self, id: str, qty: int, unit_cost: str, on: date, location: str = "A") -> Receipt:
        return Receipt(
            id=id,
            item=self.item,
            location=location,
            qty=qty,
            effective_date=on,
            sequence=next(self._sequences),
            unit_cost=parse_unit_cost(unit_cost),
        )

    def issue(self, id: str, qty: int, on: date, location: str = "A") -> Issue:
        return Issue(
            id=id,
            item=self.item,
            location=location,
            qty=qty,
            effective_date=on,
            sequence=next(self._sequences),
        )

    def transfer(self, id: str, qty: int, on: date, source: str, destination: str) -> Transfer:
        return Transfer(
            id=id,
            item=self.item,
            source=source,
            destination=destination,
            qty=qty,
            effective_date=on,
            sequence=next(self._sequences),
        )

    def ret(self, id: str, receipt_id: str, qty: int, on: date, location: str = "A") -> Return:
        return Return(
            id=id,
            item=self.item,
            location=location,
            qty=qty,
            effective_date=on,
            sequence=next(self._sequences),
            receipt_id=receipt_id,
        )

    def adjustment(
        self,
        id: str,
        delta_qty: int,
        on: date,
        unit_cost: str | None = None,
        location: str = "A",
    ) -> Adjustment:
        return Adjustment(
            id=id,
            item=self.item,
            location=location,
            delta_qty=delta_qty,
            effective_date=on,
            sequence=next(self._sequences),
            unit_cost=None if unit_cost is None else parse_unit_cost(unit_cost),
        )

    def count(
        self,
        id: str,
        counted_qty: int,
        qty_on_hand: int,
        on: date,
        unit_cost: str | None = None,
        location: str = "A",
    ) -> Adjustment:
        return Adjustment.from_count(
            id=id,
            item=self.item,
            location=location,
            counted_qty=counted_qty,
            qty_on_hand=qty_on_hand,
            effective_date=on,
            sequence=next(self._sequences),
            unit_cost=None if unit_cost is None else parse_unit_cost(unit_cost),
        )
