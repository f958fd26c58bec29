"""Inventory bodies: items, locations, stock movements and their valuations.

Quantities, unit costs and amounts are decimal strings: quantities with at most
the item's quantity scale, unit costs with at most six decimals, amounts in
answers with exactly the item asset's scale. Items are named by SKU.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictStr

from api.schemas.common import AccountCode, AssetCode, IsoDate, Request
from domain.inventory.commands import ADJUSTMENT_REASON_LENGTH_MAX, SUPPLIER_REF_LENGTH_MAX
from domain.inventory.item import CODE_LENGTH_MAX, NAME_LENGTH_MAX, UNIT_LENGTH_MAX
from domain.inventory.movements import ID_LENGTH_MAX

Code = Annotated[
    StrictStr,
    Field(min_length=1, max_length=CODE_LENGTH_MAX, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"),
]
Quantity = Annotated[StrictStr, Field(min_length=1, max_length=40, examples=["10"])]
SignedQuantity = Annotated[StrictStr, Field(min_length=1, max_length=41, examples=["-2"])]
UnitCost = Annotated[StrictStr, Field(min_length=1, max_length=40, examples=["2.125"])]
MovementId = Annotated[StrictStr, Field(min_length=1, max_length=ID_LENGTH_MAX)]
CostingMethod = Literal["fifo", "moving_average"]
Name = Annotated[StrictStr, Field(min_length=1, max_length=NAME_LENGTH_MAX)]


# --- requests -----------------------------------------------------------------


class ItemAccountsIn(Request):
    inventory: AccountCode
    cogs: AccountCode
    grni: AccountCode
    write_off: AccountCode
    count_gain: AccountCode
    price_variance: AccountCode


class ItemIn(Request):
    sku: Code
    name: Name
    unit: Annotated[StrictStr, Field(min_length=1, max_length=UNIT_LENGTH_MAX)]
    quantity_scale: Annotated[int, Field(ge=0, le=6, strict=True)]
    costing_method: CostingMethod
    asset: AssetCode
    accounts: ItemAccountsIn


class LocationIn(Request):
    code: Code
    name: Name


class ReceiptIn(Request):
    item: Code
    location: Code
    qty: Quantity
    unit_cost: UnitCost
    supplier_ref: Annotated[StrictStr, Field(max_length=SUPPLIER_REF_LENGTH_MAX)] = ""
    effective_date: IsoDate


class IssueIn(Request):
    item: Code
    location: Code
    qty: Quantity
    reason: Literal["sale", "consumption"]
    effective_date: IsoDate


class TransferIn(Request):
    item: Code
    from_location: Code
    to_location: Code
    qty: Quantity
    effective_date: IsoDate


class ReturnIn(Request):
    item: Code
    location: Code
    receipt: MovementId = Field(description="the movement id of the receipt returned")
    qty: Quantity
    effective_date: IsoDate


AdjustmentReason = Annotated[
    StrictStr, Field(min_length=1, max_length=ADJUSTMENT_REASON_LENGTH_MAX)
]


class AdjustmentIn(Request):
    item: Code
    location: Code
    qty_delta: SignedQuantity = Field(description="signed: below zero a write-off, above a gain")
    unit_cost: UnitCost | None = Field(default=None, description="required for a gain")
    reason: AdjustmentReason
    effective_date: IsoDate


class CountIn(Request):
    item: Code
    location: Code
    counted_qty: Quantity
    unit_cost: UnitCost | None = Field(default=None, description="required if the count gains")
    reason: AdjustmentReason
    effective_date: IsoDate


# --- answers ------------------------------------------------------------------


class ItemWritten(BaseModel):
    sku: str
    position: int


class LocationWritten(BaseModel):
    code: str
    position: int


class ItemOut(BaseModel):
    sku: str
    name: str
    unit: str
    quantity_scale: int
    costing_method: CostingMethod
    asset: str
    accounts: dict[str, str]


class ItemList(BaseModel):
    items: list[ItemOut]


class ConsumedLayerOut(BaseModel):
    receipt: str
    qty: str
    value: str


class CorrectionOut(BaseModel):
    movement: str
    cost_before: str
    cost_after: str
    delta: str


class MovementWritten(BaseModel):
    """A movement as recorded: ``value`` (receipts, gains) or ``cost`` (outflows)
    under the item's own method; ``position`` of the movement's own event."""

    id: str
    kind: str
    position: int | None
    effective_date: str
    value: str | None = None
    cost: str | None = None
    price_variance: str | None = None
    layers_consumed: list[ConsumedLayerOut]
    on_hand_after: dict[str, str]
    corrections: list[CorrectionOut]
    entry_id: str | None


class MovementList(BaseModel):
    item: str
    movements: list[MovementWritten]


class LayerOut(BaseModel):
    receipt: str
    qty: str
    unit_cost: str
    value: str


class LocationValuationOut(BaseModel):
    location: str
    qty: str
    value: str
    layers: list[LayerOut] | None = None


class ValuationOut(BaseModel):
    item: str
    location: str | None
    method: CostingMethod
    asset: str
    as_of_date: str | None
    as_of_position: int | None
    qty: str
    value: str
    layers: list[LayerOut] | None = None
    locations: list[LocationValuationOut]


class CogsOut(BaseModel):
    item: str
    period: str
    method: CostingMethod
    asset: str
    cogs: str
    write_offs: str
    issues: int
