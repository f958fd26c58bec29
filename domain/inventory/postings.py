"""The journal entry of each movement, under the item's own costing method.

=================  ===========================================================
receipt            Dr inventory / Cr goods received not invoiced: the value
issue              Dr cost of goods sold / Cr inventory: the cost
transfer           none: the inventory account is the item's, at every location
return             Cr inventory: the cost relieved; Dr goods received not
                   invoiced: ROUND(q x the receipt's unit cost); the difference
                   to purchase price variance (Dr when the cost is higher)
write-off          Dr write-off expense / Cr inventory: the cost
gain               Dr inventory / Cr count gain: the value
correction         the outflow's delta (cost after - cost before) between
                   inventory and the outflow's account (cost of goods sold,
                   write-off, price variance for a return); none for a transfer
=================  ===========================================================

A zero amount posts nothing (a line of zero is not a posting); an entry whose
lines are all zero is not posted at all. Each entry's id derives from the item
and the movement (or the correction and its cause), so it is posted once.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain.inventory.costing import MovementCost
from domain.inventory.item import Item
from domain.inventory.valuation import Correction
from domain.kernel.context import Context
from domain.kernel.money import format_amount
from domain.ledger.commands import PostJournalEntry
from domain.ledger.journal import entry_id_for_key

_ENTRY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:inventory-entry")
Line = tuple[str, str, int]  # account role, debit|credit, amount in minor units
OUTFLOW_ACCOUNTS = {"issue": "cogs", "write_off": "write_off", "return": "price_variance"}


def movement_entry_key(sku: str, movement_id: str) -> str:
    digest = uuid5(_ENTRY_NAMESPACE, "\x00".join((sku, movement_id))).hex
    return f"inventory:{digest}"


def correction_entry_key(sku: str, movement_id: str, caused_by: str) -> str:
    digest = uuid5(_ENTRY_NAMESPACE, "\x00".join((sku, movement_id, caused_by))).hex
    return f"inventory-correction:{digest}"


def movement_lines(cost: MovementCost) -> list[Line]:
    """The lines of a movement's entry, from its valuation under the item's method."""
    kind = cost.kind
    if kind == "receipt":
        return [("inventory", "debit", cost.value), ("grni", "credit", cost.value)]
    if kind == "gain":
        return [("inventory", "debit", cost.value), ("count_gain", "credit", cost.value)]
    if kind == "issue":
        return [("cogs", "debit", cost.cost), ("inventory", "credit", cost.cost)]
    if kind == "write_off":
        return [("write_off", "debit", cost.cost), ("inventory", "credit", cost.cost)]
    if kind == "return":
        variance = cost.price_variance
        return [
            ("grni", "debit", cost.supplier_credit),
            ("price_variance", "debit" if variance > 0 else "credit", abs(variance)),
            ("inventory", "credit", cost.cost),
        ]
    return []  # transfer, a count that matched


def correction_lines(correction: Correction) -> list[Line]:
    """More cost relieved (delta > 0) credits inventory and debits the outflow's account."""
    account = OUTFLOW_ACCOUNTS.get(correction.kind)
    if account is None:
        return []
    delta = correction.delta
    if delta > 0:
        return [(account, "debit", delta), ("inventory", "credit", delta)]
    return [("inventory", "debit", -delta), (account, "credit", -delta)]


def entry_command(
    item: Item,
    context: Context,
    key: str,
    lines: list[Line],
    *,
    effective_date: str,
    description: str,
    reference: str,
    metadata: dict[str, str],
) -> PostJournalEntry | None:
    """The ledger command for ``lines`` in the item's asset, or None when all are zero."""
    postings = [
        {
            "account": item.account(role),
            "direction": direction,
            "amount": format_amount(amount, item.asset_scale),
            "asset": item.asset,
        }
        for role, direction, amount in lines
        if amount != 0
    ]
    if not postings:
        return None
    assert len(postings) >= 2, postings  # nonzero lines balance, so never one alone
    return PostJournalEntry(
        context=context,
        idempotency_key=key,
        effective_date=effective_date,
        postings=postings,
        description=description[:500],
        reference=reference[:128],
        metadata=metadata,
    )


def entry_id_of(command: PostJournalEntry | None) -> UUID | None:
    return None if command is None else entry_id_for_key(command.idempotency_key)
