"""The inventory valuation projections: FIFO and moving average, side by side.

Two tracked projections over the same stock log, for every item whatever its
costing method (``InventoryFifo``, tables ``invfifo_``; ``InventoryMovingAverage``,
tables ``invavg_``). Each keeps per item its valuation terms and inventory
account, every movement with its cost or value under the projection's method
as valued now (a back-dated receipt revalues the later outflows: the fold
values the item's movements again in valuation order, in proportion to that
item's movements, never the whole log), the stock on hand per location and,
for FIFO, the layers in consumption order. Beside them, the net debit of every
account from posted journal entries, so ``verify`` checks the invariant on the
shadow fold alone: each inventory account's balance equals the value of its
items' layers under each item's own method (``own_value``), quantities are
never negative, and the stock rows add up to the item rows.

The fold is plain Python over the log's events (``apply``); the valuation is
the domain's engine (``domain.inventory.valuation.value_history``).
Tables (``{prefix}`` is the projection's):

- ``items``: ``item`` (SKU, key), ``stock_id``, ``asset``, ``asset_scale``,
  ``quantity_scale``, ``costing_method``, ``inventory_account``, ``qty``,
  ``value`` (this method), ``own_value`` (the item's own method), ``movements``,
  ``position`` (of its last event);
- ``movements``: (``item``, ``sequence``), ``movement_id``, ``kind``,
  ``effective_date``, ``position``, ``terms`` (JSON), ``qty``, ``cost``,
  ``value``, ``layers_consumed`` (JSON, FIFO);
- ``stock``: (``item``, ``location``), ``qty``, ``value``;
- ``layers`` (FIFO): (``item``, ``location``, ``ordinal``), ``receipt``, ``qty``,
  ``unit_cost``, ``value``;
- ``ledger``: (``account``, ``asset``), ``net_debit_minor`` (posted entries,
  and two-phase entries once posted);
- ``pending``: ``entry_id`` (key), ``postings`` (JSON): two-phase entries
  recorded and not yet posted or voided;
- ``tracking``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson

from adapters.database import Database
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent
from domain.inventory.valuation import Method
from projections.inventory.valuation_fold import (
    ITEM_OPENED,
    MOVED,
    PENDING_RECORDED,
    PENDING_RESOLVED,
    POSTED,
    STOCK_OPENED,
    TOPICS,
    InventoryPage,
    ItemRecord,
    apply,
    rows_of,
)
from projections.inventory.valuation_store import (
    ITEM_COLUMNS,
    MOVEMENT_COLUMNS,
    FifoStore,
    MovingAverageStore,
    ValuationStore,
)
from projections.tracking.base import Finding, PageFold

# --- the projections ---------------------------------------------------------------------


class InventoryValuation(PageFold[ValuationStore, InventoryPage]):
    """Folds the stock log into one method's valuation (see the module notes)."""

    method: ClassVar[Method]
    store_class: ClassVar[type[ValuationStore]]

    def __init__(
        self,
        database: Database,
        *,
        prefix: str | None = None,
        catch_up_on_query: bool = True,
        page_size: int = PAGE_SIZE_DEFAULT,
    ) -> None:
        super().__init__(
            database, prefix=prefix, page_size=page_size, catch_up_on_query=catch_up_on_query
        )

    def open_store(self, prefix: str) -> ValuationStore:
        return self.store_class(self.database, prefix)

    def sibling(self, prefix: str, page_size: int | None = None) -> InventoryValuation:
        return type(self)(
            self.database,
            prefix=prefix,
            catch_up_on_query=False,
            page_size=page_size or self.page_size,
        )

    def wanted(self, event: LogEvent) -> bool:
        return event.topic in TOPICS

    def load(self, events: list[LogEvent], inputs: Any) -> InventoryPage:
        stock_ids = sorted({e.originator_id for e in events if e.topic in MOVED})
        skus = sorted({e.state["sku"] for e in events if e.topic in (ITEM_OPENED, STOCK_OPENED)})
        resolved = sorted({e.originator_id for e in events if e.topic in PENDING_RESOLVED})
        pending = {
            str(entry_id): list(orjson.loads(postings))
            for entry_id, postings in self.store.pending_rows(resolved)
        }
        accounts = sorted(
            {str(line[0]) for e in events if e.topic in (POSTED, PENDING_RECORDED)
             for line in e.state["postings"]}
            | {str(line[0]) for postings in pending.values() for line in postings}
        )  # fmt: skip
        rows = self.store.items_where("stock_id", stock_ids) + self.store.items_where("item", skus)
        items: dict[str, ItemRecord] = {}
        for row in rows:
            values = dict(zip(ITEM_COLUMNS, row, strict=True))
            items[values["item"]] = ItemRecord(
                values["item"],
                values["stock_id"],
                values["asset"],
                int(values["asset_scale"]),
                int(values["quantity_scale"]),
                values["costing_method"],
                values["inventory_account"],
                int(values["position"]),
            )
        for row in self.store.movement_rows(sorted(items)):
            values = dict(zip(MOVEMENT_COLUMNS, row, strict=True))
            items[values["item"]].movements[int(values["sequence"])] = (
                values["movement_id"],
                values["kind"],
                values["effective_date"],
                int(values["position"]),
                orjson.loads(values["terms"]),
            )
        by_stock = {record.stock_id: sku for sku, record in items.items() if record.stock_id}
        ledger = {(str(a), str(b)): int(n) for a, b, n in self.store.ledger_rows(accounts)}
        return InventoryPage(items, by_stock, ledger, pending=pending)

    def apply(self, state: InventoryPage, event: LogEvent) -> InventoryPage:
        return apply(state, event)

    def save(self, state: InventoryPage) -> None:
        changed = sorted(sku for sku, record in state.items.items() if record.changed)
        if changed:
            self.store.replace_items(
                changed, [rows_of(state.items[sku], self.method) for sku in changed]
            )
        if state.ledger_changed:
            self.store.replace_ledger({key: state.ledger[key] for key in state.ledger_changed})
        if state.pending_changed:
            self.store.replace_pending(sorted(state.pending_changed), state.pending)

    # --- queries ------------------------------------------------------------------

    def items(self) -> list[dict[str, Any]]:
        """Every item with its stock and value under this method."""
        with self._lock:
            self._fresh()
            rows = self.store.rows(
                f"SELECT {', '.join(ITEM_COLUMNS)} FROM {self.store.table('items')} ORDER BY item"
            )
        return [dict(zip(ITEM_COLUMNS, row, strict=True)) for row in rows]

    def movements(self, sku: str | None = None) -> list[dict[str, Any]]:
        """Movements in (item, recorded) order, valued under this method now."""
        where, params = ("WHERE item = ?", (sku,)) if sku is not None else ("", ())
        with self._lock:
            self._fresh()
            rows = self.store.rows(
                f"SELECT {', '.join(MOVEMENT_COLUMNS)} FROM {self.store.table('movements')} "
                f"{where} ORDER BY item, sequence",
                params,
            )
        return [dict(zip(MOVEMENT_COLUMNS, row, strict=True)) for row in rows]


class InventoryFifo(InventoryValuation):
    name = "inventory_fifo"
    label = "inventory valuation (FIFO)"
    live_prefix = "invfifo_"
    tables = ("ledger", "items", "movements", "stock", "layers", "pending", "tracking")
    method: ClassVar[Method] = "fifo"
    store_class = FifoStore


class InventoryMovingAverage(InventoryValuation):
    name = "inventory_moving_average"
    label = "inventory valuation (moving average)"
    live_prefix = "invavg_"
    tables = ("ledger", "items", "movements", "stock", "pending", "tracking")
    method: ClassVar[Method] = "moving_average"
    store_class = MovingAverageStore


# --- the invariant -------------------------------------------------------------------------


def invariant_findings(store: ValuationStore, _state: object = None) -> list[Finding]:
    """Quantities never negative; the stock rows add up to their item; each
    inventory account's balance equals its items' value under their own methods."""
    findings: list[Finding] = []
    items = [
        dict(zip(ITEM_COLUMNS, row, strict=True))
        for row in store.rows(f"SELECT {', '.join(ITEM_COLUMNS)} FROM {store.table('items')}")
    ]
    sums: dict[str, tuple[int, int]] = {}
    for sku, location, qty, value in store.rows(
        f"SELECT item, location, qty, value FROM {store.table('stock')}"
    ):
        if int(qty) < 0:
            findings.append(Finding("inventory_qty_negative", None, f"{sku} at {location}: {qty}"))
        total_qty, total_value = sums.get(sku, (0, 0))
        sums[sku] = (total_qty + int(qty), total_value + int(value))
    if "layers" in store._tables:
        for sku, location, qty, value in store.rows(
            f"SELECT s.item, s.location, s.qty, s.value FROM {store.table('stock')} s"
        ):
            layered = store.rows(
                f"SELECT COALESCE(SUM(qty), 0), COALESCE(SUM(value), 0) FROM {store.table('layers')}"
                " WHERE item = ? AND location = ?",
                (sku, location),
            )[0]
            if (int(layered[0]), int(layered[1])) != (int(qty), int(value)):
                findings.append(Finding(
                    "inventory_layers", None, f"{sku} at {location}: layers {layered}, stock {qty}, {value}"
                ))  # fmt: skip
    accounts: dict[tuple[str, str], int] = {}
    for item in items:
        if sums.get(item["item"], (0, 0)) != (int(item["qty"]), int(item["value"])):
            findings.append(Finding(
                "inventory_stock_rows", None,
                f"{item['item']}: stock rows {sums.get(item['item'])}, item {item['qty']}, {item['value']}",
            ))  # fmt: skip
        if item["inventory_account"] is not None and item["asset"] is not None:
            key = (item["inventory_account"], item["asset"])
            accounts[key] = accounts.get(key, 0) + int(item["own_value"])
    for (account, asset), layers_value in sorted(accounts.items()):
        found = store.rows(
            f"SELECT net_debit_minor FROM {store.table('ledger')} WHERE account = ? AND asset = ?",
            (account, asset),
        )
        balance = int(found[0][0]) if found else 0
        if balance != layers_value:
            findings.append(Finding(
                "inventory_ledger_equals_layers", None,
                f"{account} ({asset}): ledger balance {balance}, layers {layers_value} minor units",
            ))  # fmt: skip
    return findings
