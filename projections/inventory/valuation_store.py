"""The tables of the inventory valuation projections (see ``projections.inventory.valuation``)."""

from __future__ import annotations

from typing import Any

import orjson

from projections.inventory.valuation_fold import ItemRows
from projections.tracking.sql import Table, TableStore

ITEM_COLUMNS = (
    "item",
    "stock_id",
    "asset",
    "asset_scale",
    "quantity_scale",
    "costing_method",
    "inventory_account",
    "qty",
    "value",
    "own_value",
    "movements",
    "position",
)
MOVEMENT_COLUMNS = (
    "item",
    "sequence",
    "movement_id",
    "kind",
    "effective_date",
    "position",
    "terms",
    "qty",
    "cost",
    "value",
    "layers_consumed",
)
STOCK_COLUMNS = ("item", "location", "qty", "value")
LAYER_COLUMNS = ("item", "location", "ordinal", "receipt", "qty", "unit_cost", "value")
LEDGER_COLUMNS = ("account", "asset", "net_debit_minor")
PENDING_COLUMNS = ("entry_id", "postings")

ITEMS = Table(
    "items",
    ITEM_COLUMNS,
    ("item",),
    frozenset(
        {"asset_scale", "quantity_scale", "qty", "value", "own_value", "movements", "position"}
    ),
    frozenset({"stock_id", "inventory_account", "asset", "costing_method"}),
    indexes={"items_stock_id": ("stock_id",)},
)
MOVEMENTS = Table(
    "movements",
    MOVEMENT_COLUMNS,
    ("item", "sequence"),
    frozenset({"sequence", "position", "qty", "cost", "value"}),
    indexes={"movements_date": ("item", "effective_date")},
)
STOCK = Table("stock", STOCK_COLUMNS, ("item", "location"), frozenset({"qty", "value"}))
LAYERS = Table(
    "layers", LAYER_COLUMNS, ("item", "location", "ordinal"), frozenset({"ordinal", "qty", "value"})
)
LEDGER = Table("ledger", LEDGER_COLUMNS, ("account", "asset"), frozenset({"net_debit_minor"}))
PENDING = Table("pending", PENDING_COLUMNS, ("entry_id",))


class ValuationStore(TableStore):
    """The tables of one valuation projection."""

    def items_where(self, column: str, values: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("items", column, values)

    def movement_rows(self, skus: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("movements", "item", skus)

    def ledger_rows(self, accounts: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("ledger", "account", accounts)

    def pending_rows(self, entry_ids: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("pending", "entry_id", entry_ids)

    def replace_pending(self, entry_ids: list[str], pending: dict[str, list[list[Any]]]) -> None:
        self.delete_in("pending", "entry_id", entry_ids)
        rows = [(key, orjson.dumps(pending[key]).decode()) for key in entry_ids if key in pending]
        self.insert("pending", rows)

    def replace_items(self, skus: list[str], rows: list[ItemRows]) -> None:
        names = ["items", "movements", "stock", *(["layers"] if "layers" in self._tables else [])]
        for name in names:
            self.delete_in(name, "item", skus)
        self.insert("items", [row.item for row in rows])
        self.insert("movements", [line for row in rows for line in row.movements])
        self.insert("stock", [line for row in rows for line in row.stock])
        if "layers" in self._tables:
            self.insert("layers", [line for row in rows for line in row.layers])

    def replace_ledger(self, rows: dict[tuple[str, str], int]) -> None:
        for (account, asset), net in sorted(rows.items()):
            self.execute(
                f"DELETE FROM {self.table('ledger')} WHERE account = ? AND asset = ?",
                (account, asset),
            )
            self.insert("ledger", [(account, asset, net)])


class FifoStore(ValuationStore):
    projection_name = "inventory_fifo"
    schema = (LEDGER, ITEMS, MOVEMENTS, STOCK, LAYERS, PENDING)


class MovingAverageStore(ValuationStore):
    projection_name = "inventory_moving_average"
    schema = (LEDGER, ITEMS, MOVEMENTS, STOCK, PENDING)
