"""/v1/inventory: items, locations, stock movements and their valuation.

Permissions (``api.auth.PERMISSIONS``): ``inventory:write`` (the ``inventory``
role, warehouse clerks) opens items and locations and records movements;
``inventory:read`` (every role) reads them.

Every POST runs through the one write path (``api.write``). A movement's id is
derived from the actor and the Idempotency-Key (``movement_id_for``), so the
stock log itself is idempotent too. The answer of a movement carries figures
only known once it is decided (its cost, the FIFO layers it consumed, the
corrections it caused, the position of its own event): the request's record
holds its id and kind, and the figures are read back from the item's stock log
as recorded, the same on a replay (``Idempotency-Replayed: true``). A refusal
(409 or 422) writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response

from api.dependencies import InventoryDep
from api.permissions import InventoryReader, InventoryWrite
from api.routing import area_router
from api.schemas.inventory import (
    AdjustmentIn,
    CogsOut,
    CountIn,
    IssueIn,
    ItemIn,
    ItemList,
    ItemOut,
    ItemWritten,
    LocationIn,
    LocationWritten,
    MovementList,
    MovementWritten,
    ReceiptIn,
    ReturnIn,
    TransferIn,
    ValuationOut,
)
from api.state import REPLAYED_HEADER, json_response
from api.write import Write
from domain.inventory.commands import (
    AdjustStock,
    IssueGoods,
    MovementCommand,
    ReceiveGoods,
    ReturnToSupplier,
    TransferStock,
)
from domain.inventory.item import Item
from domain.inventory.service import Inventory
from domain.inventory.stock import movement_id_for
from domain.kernel.context import Context
from projections.inventory.reads import (
    cogs_of_period,
    movement_view,
    movement_views,
    valuation_view,
)

router = area_router(prefix="/v1/inventory", tags=["inventory"])


def item_view(item: Item) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "name": item.name,
        "unit": item.unit,
        "quantity_scale": item.quantity_scale,
        "costing_method": item.costing_method,
        "asset": item.asset,
        "accounts": dict(item.accounts),
    }


@router.post("/items", status_code=201, response_model=ItemWritten)
def open_item(body: ItemIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    """Open an item (named by its SKU everywhere) and its stock log."""
    return write.run(
        lambda context: inventory.open_item(
            context,
            sku=body.sku,
            name=body.name,
            unit=body.unit,
            quantity_scale=body.quantity_scale,
            costing_method=body.costing_method,
            asset=body.asset,
            accounts=body.accounts.model_dump(),
        ),
        body=body,
        answer={"sku": body.sku},
        status=201,
    )


@router.get("/items", response_model=ItemList)
def list_items(principal: InventoryReader, inventory: InventoryDep) -> Response:
    items = sorted(inventory.list_items(), key=lambda item: item.sku)
    return json_response(200, {"items": [item_view(item) for item in items]})


@router.get("/items/{sku}", response_model=ItemOut)
def get_item(sku: str, principal: InventoryReader, inventory: InventoryDep) -> Response:
    return json_response(200, item_view(inventory.get_item(sku)))


@router.post("/locations", status_code=201, response_model=LocationWritten)
def open_location(body: LocationIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    return write.run(
        lambda context: inventory.open_location(context, body.code, body.name),
        body=body,
        answer={"code": body.code},
        status=201,
    )


# --- movements -----------------------------------------------------------------------


def _movement(
    write: Write,
    inventory: Inventory,
    body: Any,
    kind: str,
    build: Callable[[Context, str], MovementCommand],
) -> Response:
    """Record the movement ``build`` makes under the request's movement id; answer
    its figures as recorded (a replay answers the same figures)."""
    movement_id = movement_id_for(write.principal.actor, write.key)
    written = write.run(
        lambda context: inventory.record(build(context, movement_id)),
        body=body,
        answer={"id": movement_id, "kind": kind},
        status=201,
    )
    view = movement_view(inventory, body.item, movement_id)
    return json_response(
        written.status_code, view, replayed=written.headers.get(REPLAYED_HEADER) == "true"
    )


@router.post("/receipts", status_code=201, response_model=MovementWritten)
def receive(body: ReceiptIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    """Goods received: debit inventory, credit goods received not invoiced, by
    ROUND(qty x unit cost); a back-dated receipt answers the later outflows it
    corrected."""
    return _movement(
        write,
        inventory,
        body,
        "receipt",
        lambda context, movement_id: ReceiveGoods(
            context,
            movement_id,
            body.item,
            body.location,
            body.qty,
            body.unit_cost,
            body.effective_date,
            body.supplier_ref,
        ),
    )


@router.post("/issues", status_code=201, response_model=MovementWritten)
def issue(body: IssueIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    """Goods issued (sale or consumption): debit COGS, credit inventory by the cost
    under the item's method; refused (409) if any location would go short."""
    return _movement(
        write,
        inventory,
        body,
        "issue",
        lambda context, movement_id: IssueGoods(
            context,
            movement_id,
            body.item,
            body.location,
            body.qty,
            body.reason,
            body.effective_date,
        ),
    )


@router.post("/transfers", status_code=201, response_model=MovementWritten)
def transfer(body: TransferIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    """Stock moved between locations with its cost layers; no P&L."""
    return _movement(
        write,
        inventory,
        body,
        "transfer",
        lambda context, movement_id: TransferStock(
            context,
            movement_id,
            body.item,
            body.from_location,
            body.to_location,
            body.qty,
            body.effective_date,
        ),
    )


@router.post("/returns", status_code=201, response_model=MovementWritten)
def return_to_supplier(body: ReturnIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    """Goods of a receipt sent back: credit inventory by the cost relieved, debit
    goods received not invoiced by qty x the receipt's unit cost, the difference to
    purchase price variance."""
    return _movement(
        write,
        inventory,
        body,
        "return",
        lambda context, movement_id: ReturnToSupplier(
            context,
            movement_id,
            body.item,
            body.location,
            body.receipt,
            body.qty,
            body.effective_date,
        ),
    )


@router.post("/adjustments", status_code=201, response_model=MovementWritten)
def adjust(body: AdjustmentIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    """A signed quantity delta: a write-off valued as an outflow, or a gain at the
    given unit cost."""
    return _movement(
        write,
        inventory,
        body,
        "adjustment",
        lambda context, movement_id: AdjustStock(
            context,
            movement_id,
            body.item,
            body.location,
            body.reason,
            body.effective_date,
            qty_delta=body.qty_delta,
            unit_cost=body.unit_cost,
        ),
    )


@router.post("/counts", status_code=201, response_model=MovementWritten)
def count(body: CountIn, write: InventoryWrite, inventory: InventoryDep) -> Response:
    """A stock count: the delta against the stock at the count's date, then as an
    adjustment."""
    return _movement(
        write,
        inventory,
        body,
        "adjustment",
        lambda context, movement_id: AdjustStock(
            context,
            movement_id,
            body.item,
            body.location,
            body.reason,
            body.effective_date,
            counted_qty=body.counted_qty,
            unit_cost=body.unit_cost,
        ),
    )


# --- reads ---------------------------------------------------------------------------

Text = Annotated[str | None, Query(max_length=64)]


@router.get("/valuation", response_model=ValuationOut)
def valuation(
    principal: InventoryReader,
    inventory: InventoryDep,
    item: Annotated[str, Query(min_length=1, max_length=64)],
    location: Text = None,
    method: Annotated[str | None, Query(pattern="^(fifo|moving_average)$")] = None,
    as_of_date: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")] = None,
    as_of_position: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    """Stock on hand and its value by ``method`` (the item's own by default), as of
    ``as_of_date`` and ``as_of_position`` (both inclusive); FIFO ``layers`` in
    consumption order."""
    found = inventory.valuation(
        item,
        method=method,
        location=location,
        as_of_date=as_of_date,
        as_of_position=as_of_position,
    )
    return json_response(200, valuation_view(found, location))


@router.get("/items/{sku}/movements", response_model=MovementList)
def movements(sku: str, principal: InventoryReader, inventory: InventoryDep) -> Response:
    """The item's movements in recorded order, as recorded, with their positions."""
    return json_response(200, {"item": sku, "movements": movement_views(inventory, sku)})


@router.get("/cogs", response_model=CogsOut)
def cogs(
    principal: InventoryReader,
    inventory: InventoryDep,
    item: Annotated[str, Query(min_length=1, max_length=64)],
    period: Annotated[str, Query(pattern=r"^[0-9]{4}(-[0-9]{2})?$", examples=["2026-03"])],
) -> Response:
    """Cost of goods issued (and written off) with an effective date in ``period``
    (``YYYY-MM`` or ``YYYY``), as now valued under the item's method (corrections
    by back-dated receipts included)."""
    return json_response(200, cogs_of_period(inventory, item, period))
