"""Inventory reports, computed from the stock log as of a log position.

- ``inventory-valuation``: stock on hand per item and location at a date
  (``as_of_date``, inclusive; default: every movement), valued FIFO and moving
  average, with ``difference`` = FIFO - moving average, and a total row per
  item; ``method`` is the item's own (the one its ledger follows).
- ``inventory-cogs``: per item, the cost of goods issued (``cogs``), written
  off (``write_offs``) and counted in (``gains``) with an effective date in the
  period (``period``, or ``date_from``/``date_to``), as valued now under the
  item's own method (back-dated receipts' corrections included), and the COGS
  under each method side by side.
- ``inventory-movements``: the movements register, every movement in valuation
  order (effective date, then recorded order) with its cost or value under the
  item's own method, in the period when one is given.

Amounts are decimal strings with the asset's scale, quantities with the item's
quantity scale. Each row names the log positions of the events it comes from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from domain.inventory.costing import ItemSpec
from domain.inventory.valuation import (
    METHODS,
    Method,
    ValuedHistory,
    stock_position,
    value_history,
)
from domain.kernel.money import format_amount
from projections.inventory.valuation_fold import (
    ITEM_OPENED,
    MOVED,
    STOCK_OPENED,
    InventoryPage,
    ItemRecord,
    apply,
    movement_of,
)
from projections.reports.framework import (
    LogSource,
    ParameterSpec,
    ReportRow,
    ReportRun,
    ReportScope,
)
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    check_period_or_range,
    date_range,
)

INVENTORY_SCOPE = ReportScope(
    frozenset({ITEM_OPENED, STOCK_OPENED, *MOVED}),
    "inventory items and their stock movements",
)
AS_OF_DATE = ParameterSpec("as_of_date", "date", "valuation date, inclusive, YYYY-MM-DD")


def _fold(
    source: LogSource, as_of_position: int
) -> list[tuple[ItemRecord, ValuedHistory, ItemSpec]]:
    page = InventoryPage({}, {}, {})
    for event in source.events(as_of_position, INVENTORY_SCOPE):
        page = apply(page, event)
    found = []
    for sku in sorted(page.items):
        record = page.items[sku]
        if record.asset is None:
            continue
        spec = ItemSpec(sku, record.asset, record.asset_scale, record.quantity_scale)
        history = value_history(
            spec, (movement_of(sku, sequence, row) for sequence, row in record.movements.items())
        )
        found.append((record, history, spec))
    return found


def _own(record: ItemRecord) -> Method:
    return "fifo" if record.costing_method == "fifo" else "moving_average"


class InventoryValuationReport:
    name = "inventory-valuation"
    title = "Stock valuation at a date: FIFO and moving average side by side"
    parameters = (AS_OF_DATE,)
    scope = INVENTORY_SCOPE
    columns = (
        "key", "item", "location", "asset", "method", "qty",
        "value_fifo", "value_moving_average", "difference",
    )  # fmt: skip

    def validate(self, parameters: dict[str, str]) -> None:
        return None

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        from datetime import date

        as_of = parameters.get("as_of_date")
        on = None if as_of is None else date.fromisoformat(as_of)
        context = {"as_of_date": as_of, "methods": list(METHODS)}
        return ReportRun(context, self._rows(_fold(source, as_of_position), on))

    def _rows(self, items: list[Any], on: Any) -> Iterator[ReportRow]:
        for record, history, spec in items:
            position = stock_position(history, as_of_date=on)
            positions = sorted(
                row[3]
                for row in record.movements.values()
                if on is None or row[2] <= on.isoformat()
            )
            totals = [0, 0, 0]
            for line in position.locations:
                totals = [
                    totals[0] + line.qty,
                    totals[1] + line.fifo_value,
                    totals[2] + line.moving_average_value,
                ]
                yield ReportRow(
                    f"{record.item}/{line.location}",
                    self._values(
                        record,
                        spec,
                        line.location,
                        line.qty,
                        line.fifo_value,
                        line.moving_average_value,
                    ),
                    positions,
                )
            yield ReportRow(
                f"{record.item}/(total)",
                self._values(record, spec, "(total)", *totals),
                positions,
            )

    def _values(
        self, record: ItemRecord, spec: ItemSpec, location: str, qty: int, fifo: int, average: int
    ) -> dict[str, Any]:
        scale = spec.asset_scale
        return {
            "item": record.item, "location": location, "asset": spec.asset, "method": _own(record),
            "qty": spec.format_qty(qty),
            "value_fifo": format_amount(fifo, scale),
            "value_moving_average": format_amount(average, scale),
            "difference": format_amount(fifo - average, scale),
        }  # fmt: skip


class InventoryCogsReport:
    name = "inventory-cogs"
    title = "Cost of goods sold and stock write-offs per period"
    parameters = (PERIOD, DATE_FROM, DATE_TO)
    scope = INVENTORY_SCOPE
    columns = (
        "key", "item", "asset", "method", "issues", "cogs", "write_offs", "gains",
        "cogs_fifo", "cogs_moving_average",
    )  # fmt: skip

    def validate(self, parameters: dict[str, str]) -> None:
        check_period_or_range(parameters, required=True)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = date_range(parameters)
        return ReportRun(dates.as_dict(), self._rows(_fold(source, as_of_position), dates))

    def _rows(self, items: list[Any], dates: Any) -> Iterator[ReportRow]:
        for record, history, spec in items:
            own = _own(record)
            issues, figures, positions = (
                0,
                {"cogs": 0, "write_offs": 0, "gains": 0, "fifo": 0, "moving_average": 0},
                [],
            )
            by_id = {row[0]: row[3] for row in record.movements.values()}
            for entry in history.entries:
                movement = entry.movement
                if not dates.contains(movement.effective_date.isoformat()):
                    continue
                kind = movement.kind
                if kind == "issue":
                    issues += 1
                    figures["cogs"] += entry.by(own).cost
                    figures["fifo"] += entry.fifo.cost
                    figures["moving_average"] += entry.moving_average.cost
                elif kind == "write_off":
                    figures["write_offs"] += entry.by(own).cost
                elif kind == "gain":
                    figures["gains"] += entry.by(own).value
                else:
                    continue
                positions.append(by_id[movement.id])
            if not positions:
                continue
            scale = spec.asset_scale
            yield ReportRow(
                record.item,
                {
                    "item": record.item,
                    "asset": spec.asset,
                    "method": own,
                    "issues": issues,
                    "cogs": format_amount(figures["cogs"], scale),
                    "write_offs": format_amount(figures["write_offs"], scale),
                    "gains": format_amount(figures["gains"], scale),
                    "cogs_fifo": format_amount(figures["fifo"], scale),
                    "cogs_moving_average": format_amount(figures["moving_average"], scale),
                },
                sorted(positions),
            )


class InventoryMovementsReport:
    name = "inventory-movements"
    title = "Stock movements register"
    parameters = (PERIOD, DATE_FROM, DATE_TO)
    scope = INVENTORY_SCOPE
    columns = (
        "key", "item", "movement", "effective_date", "sequence", "kind", "locations", "qty",
        "value", "cost", "method", "asset",
    )  # fmt: skip

    def validate(self, parameters: dict[str, str]) -> None:
        check_period_or_range(parameters, required=False)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = date_range(parameters)
        return ReportRun(dates.as_dict(), self._rows(_fold(source, as_of_position), dates))

    def _rows(self, items: list[Any], dates: Any) -> Iterator[ReportRow]:
        for record, history, spec in items:
            own = _own(record)
            by_id = {row[0]: (sequence, row) for sequence, row in record.movements.items()}
            for entry in history.entries:
                movement = entry.movement
                effective = movement.effective_date.isoformat()
                if not dates.contains(effective):
                    continue
                sequence, row = by_id[movement.id]
                terms = row[4]
                locations = (
                    f"{terms['from_location']}>{terms['to_location']}"
                    if "from_location" in terms
                    else terms["location"]
                )
                cost = entry.by(own)
                qty = terms.get("qty", terms.get("delta_qty", 0))
                inflow = movement.kind in ("receipt", "gain")
                yield ReportRow(
                    f"{record.item}/{movement.id}",
                    {
                        "item": record.item,
                        "movement": movement.id,
                        "effective_date": effective,
                        "sequence": sequence,
                        "kind": movement.kind,
                        "locations": locations,
                        "qty": spec.format_qty(int(qty)),
                        "value": format_amount(cost.value, spec.asset_scale) if inflow else "",
                        "cost": "" if inflow else format_amount(cost.cost, spec.asset_scale),
                        "method": own,
                        "asset": spec.asset,
                    },
                    [row[3]],
                )


REPORTS = (InventoryValuationReport(), InventoryCogsReport(), InventoryMovementsReport())
