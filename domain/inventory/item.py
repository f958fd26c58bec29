"""An item of stock: its SKU, its unit and quantity scale, its costing method and
asset, and the ledger accounts its movements post to.

The costing method, the asset, the quantity scale and the inventory account are
fixed when the item is opened: the ledger's inventory balance follows the layers
of the item's own method in its asset, so changing any of them would need a
revaluation entry, which this step does not offer. Name, unit and the other
accounts may change (``ItemChanged``); a change applies to movements recorded
after it.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.inventory.costing import QUANTITY_SCALE_MAX
from domain.inventory.errors import InvalidItem
from domain.kernel import limits
from domain.kernel.topics import pin_topics

COSTING_METHODS = ("fifo", "moving_average")
ACCOUNT_ROLES = ("inventory", "cogs", "grni", "write_off", "count_gain", "price_variance")
"""The accounts of an item: inventory (asset), cost of goods sold, goods received
not invoiced, write-off expense, count gain, purchase price variance."""
CHANGEABLE_ROLES = ACCOUNT_ROLES[1:]
CODE_LENGTH_MAX = 64
NAME_LENGTH_MAX = 200
UNIT_LENGTH_MAX = 32
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]*\Z")
_ITEM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:inventory-item")


def item_id(sku: str) -> UUID:
    return uuid5(_ITEM_NAMESPACE, sku)


def check_code(value: object, field: str) -> str:
    """A SKU or location code: 1-64 letters, digits and ``. _ : / -``."""
    text = limits.bounded_text(value, field, CODE_LENGTH_MAX)
    if not _CODE.match(text):
        raise InvalidItem(
            f"{field}: letters, digits and . _ : / - only, starting with a letter or digit",
            field=field,
        )
    return text


def check_costing_method(value: object) -> str:
    if value not in COSTING_METHODS:
        raise InvalidItem(
            f"costing_method: one of {', '.join(COSTING_METHODS)}", field="costing_method"
        )
    assert isinstance(value, str)
    return value


def check_quantity_scale(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= QUANTITY_SCALE_MAX:
        raise InvalidItem(
            f"quantity_scale: an integer from 0 to {QUANTITY_SCALE_MAX}", field="quantity_scale"
        )
    return value


class Item(Aggregate):
    """One stock item, named by its SKU everywhere."""

    class ItemOpened(Aggregate.Created):
        """``sku``, ``name``, ``unit``, ``quantity_scale`` (decimals of quantity),
        ``costing_method`` (fifo|moving_average), ``asset`` and its ``asset_scale``,
        ``accounts`` {role: account code} for every role of ``ACCOUNT_ROLES``."""

        class_version = 1

        sku: str
        name: str
        unit: str
        quantity_scale: int
        costing_method: str
        asset: str
        asset_scale: int
        accounts: dict[str, str]
        actor: str
        correlation_id: str

    class ItemChanged(Aggregate.Event):
        """The new ``name``, ``unit`` and ``accounts`` (the changeable roles only,
        all of them: the full new mapping of those roles)."""

        class_version = 1

        name: str
        unit: str
        accounts: dict[str, str]
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.unit = self.unit
            aggregate.accounts = {**aggregate.accounts, **self.accounts}

    def __init__(  # the ItemOpened fields; only assigns
        self,
        sku: str,
        name: str,
        unit: str,
        quantity_scale: int,
        costing_method: str,
        asset: str,
        asset_scale: int,
        accounts: dict[str, str],
        actor: str,
        correlation_id: str,
    ) -> None:
        self.sku = sku
        self.name = name
        self.unit = unit
        self.quantity_scale = quantity_scale
        self.costing_method = costing_method
        self.asset = asset
        self.asset_scale = asset_scale
        self.accounts = dict(accounts)
        self.opened_by = actor

    @classmethod
    def opened(
        cls,
        *,
        id: UUID,
        sku: str,
        name: str,
        unit: str,
        quantity_scale: int,
        costing_method: str,
        asset: str,
        asset_scale: int,
        accounts: dict[str, str],
        actor: str,
        correlation_id: str,
    ) -> Item:
        """A newly opened item."""
        return cls._create(
            cls.ItemOpened,
            id=id,
            sku=sku,
            name=name,
            unit=unit,
            quantity_scale=quantity_scale,
            costing_method=costing_method,
            asset=asset,
            asset_scale=asset_scale,
            accounts=accounts,
            actor=actor,
            correlation_id=correlation_id,
        )

    def account(self, role: str) -> str:
        return self.accounts[role]

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "unit": self.unit,
            "quantity_scale": self.quantity_scale,
            "costing_method": self.costing_method,
            "asset": self.asset,
            "accounts": dict(self.accounts),
            "version": self.version,
        }


pin_topics("domain.inventory.item", Item)
