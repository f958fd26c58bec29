"""The stock log of one item: every movement of it is an event of one aggregate.

``ItemStock`` is opened with its item and holds the item's valuation terms; its
version serialises the movements of the item across processes, as a guarded
account's does for its postings: two writers deciding on the same version
collide, and the loser decides again on the new history.

Each movement event states what happened (goods received, issued, moved, sent
back, counted) with its effective date, recorded ``sequence`` (valuation order
is (effective date, sequence)), actor and correlation id, and what was posted
for it under the item's own method (value or cost, FIFO layers taken, the entry
id). A back-dated movement changes the cost of later outflows: that is a new
``MovementCostCorrected`` fact, never an edit of the earlier event.

The aggregate's own state is deliberately small (terms and counters): the
valued history that decisions need is a fold of these events, kept by the
service per version (``domain.inventory.book``), so loading and copying the
aggregate for a command costs the same at the first movement and the ten
thousandth.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.inventory.costing import ItemSpec
from domain.inventory.movements import Adjustment, Issue, Movement, Receipt, Return, Transfer
from domain.kernel.topics import pin_topics

_STOCK_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:inventory-stock")
_MOVEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:inventory-movement")


def stock_id(sku: str) -> UUID:
    return uuid5(_STOCK_NAMESPACE, sku)


def movement_id_for(actor: str, request_key: str) -> str:
    """The movement id of an API request: its idempotency key scoped by the actor."""
    return str(uuid5(_MOVEMENT_NAMESPACE, f"{actor}\x00{request_key}"))


class ItemStock(Aggregate):
    """The movements of one item, in recorded order."""

    class StockLogOpened(Aggregate.Created):
        """The item's valuation terms, as on ``ItemOpened`` (fixed for its life)."""

        class_version = 1

        sku: str
        asset: str
        asset_scale: int
        quantity_scale: int
        costing_method: str
        actor: str
        correlation_id: str

    class StockMoved(Aggregate.Event):
        """What every movement carries: ``movement_id`` (unique per item), the
        recorded ``sequence``, ``effective_date``, the ``fingerprint`` of the
        command's body (a retry with another body is refused), the journal
        ``entry_id`` posted with it ("" when nothing was posted), and
        ``on_hand_after`` {location: qty} at its point in valuation order."""

        class_version = 1

        movement_id: str
        sequence: int
        effective_date: str
        fingerprint: str
        entry_id: str
        on_hand_after: dict[str, int]
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.movement_count += 1

    class GoodsReceived(StockMoved):
        """``qty`` at ``unit_cost`` (decimal string) into ``location``, from the
        supplier's ``supplier_ref``; inventory was debited ``value_minor``."""

        class_version = 1

        location: str
        qty: int
        unit_cost: str
        supplier_ref: str
        value_minor: int

    class GoodsIssued(StockMoved):
        """``qty`` out of ``location`` for ``reason`` (sale|consumption), costing
        ``cost_minor``; ``layers_consumed`` [[receipt, qty, value]] for FIFO items."""

        class_version = 1

        location: str
        qty: int
        reason: str
        cost_minor: int
        layers_consumed: list[list[Any]]

    class StockTransferred(StockMoved):
        """``qty`` moved from ``from_location`` to ``to_location`` at ``cost_minor``."""

        class_version = 1

        from_location: str
        to_location: str
        qty: int
        cost_minor: int
        layers_consumed: list[list[Any]]

    class GoodsReturnedToSupplier(StockMoved):
        """``qty`` of receipt ``receipt_id`` sent back from ``location``: inventory
        credited ``cost_minor``, goods received not invoiced debited
        ``supplier_credit_minor``, the difference ``price_variance_minor``."""

        class_version = 1

        location: str
        receipt_id: str
        qty: int
        cost_minor: int
        supplier_credit_minor: int
        price_variance_minor: int
        layers_consumed: list[list[Any]]

    class StockAdjusted(StockMoved):
        """A count or adjustment at ``location``: ``delta_qty`` (signed; derived
        from ``counted_qty`` when one was counted), a gain's ``unit_cost``, the
        ``reason``; a gain's ``value_minor`` or a write-off's ``cost_minor``."""

        class_version = 1

        location: str
        delta_qty: int
        counted_qty: int | None
        unit_cost: str | None
        reason: str
        value_minor: int
        cost_minor: int
        layers_consumed: list[list[Any]]

    class MovementCostCorrected(Aggregate.Event):
        """Outflow ``movement_id`` costs ``cost_after_minor`` instead of
        ``cost_before_minor`` because ``caused_by`` was recorded before it in
        valuation order; ``entry_id`` posts ``delta_minor`` ("" when nothing was
        posted: a transfer moves cost between locations of one account)."""

        class_version = 1

        movement_id: str
        caused_by: str
        effective_date: str
        cost_before_minor: int
        cost_after_minor: int
        delta_minor: int
        entry_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.correction_count += 1

    def __init__(  # the StockLogOpened fields; only assigns
        self,
        sku: str,
        asset: str,
        asset_scale: int,
        quantity_scale: int,
        costing_method: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.sku = sku
        self.asset = asset
        self.asset_scale = asset_scale
        self.quantity_scale = quantity_scale
        self.costing_method = costing_method
        self.movement_count = 0
        self.correction_count = 0

    @classmethod
    def opened(
        cls,
        *,
        id: UUID,
        sku: str,
        asset: str,
        asset_scale: int,
        quantity_scale: int,
        costing_method: str,
        actor: str,
        correlation_id: str,
    ) -> ItemStock:
        """The item's new stock log."""
        return cls._create(
            cls.StockLogOpened,
            id=id,
            sku=sku,
            asset=asset,
            asset_scale=asset_scale,
            quantity_scale=quantity_scale,
            costing_method=costing_method,
            actor=actor,
            correlation_id=correlation_id,
        )

    @property
    def spec(self) -> ItemSpec:
        return ItemSpec(self.sku, self.asset, self.asset_scale, self.quantity_scale)


MOVEMENT_EVENTS = (
    ItemStock.GoodsReceived,
    ItemStock.GoodsIssued,
    ItemStock.StockTransferred,
    ItemStock.GoodsReturnedToSupplier,
    ItemStock.StockAdjusted,
)


def movement_of(sku: str, event: ItemStock.StockMoved) -> Movement:
    """The valuation engine's view of a recorded movement event."""
    on = date.fromisoformat(event.effective_date)
    common: dict[str, Any] = {
        "id": event.movement_id, "item": sku, "effective_date": on, "sequence": event.sequence,
    }
    if isinstance(event, ItemStock.GoodsReceived):
        return Receipt(
            **common, location=event.location, qty=event.qty, unit_cost=Decimal(event.unit_cost)
        )
    if isinstance(event, ItemStock.GoodsIssued):
        return Issue(**common, location=event.location, qty=event.qty)
    if isinstance(event, ItemStock.StockTransferred):
        return Transfer(
            **common, source=event.from_location, destination=event.to_location, qty=event.qty
        )
    if isinstance(event, ItemStock.GoodsReturnedToSupplier):
        return Return(**common, location=event.location, qty=event.qty, receipt_id=event.receipt_id)
    assert isinstance(event, ItemStock.StockAdjusted), type(event)
    return Adjustment(
        **common,
        location=event.location,
        delta_qty=event.delta_qty,
        unit_cost=None if event.unit_cost is None else Decimal(event.unit_cost),
        counted_qty=event.counted_qty,
    )


pin_topics("domain.inventory.stock", ItemStock)
