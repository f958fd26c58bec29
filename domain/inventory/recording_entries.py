"""The journal entries of a batch of movements (``domain.inventory.recording``):
each movement's entry and its cost corrections' entries, staged in the batch's
one ``LedgerBatch``, and the skeletons that preload its accounts and periods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.inventory.commands import (
    MovementCommand,
    MovementRequest,
)
from domain.inventory.item import Item
from domain.inventory.postings import (
    correction_entry_key,
    correction_lines,
    entry_command,
    entry_id_of,
    movement_entry_key,
    movement_lines,
)
from domain.kernel.errors import DomainError
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostJournalEntry

if TYPE_CHECKING:
    pass


class SpoiledBatch(Exception):
    def __init__(self, refusal: DomainError) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def movement_entry(item: Item, request: MovementRequest, cost: Any) -> PostJournalEntry | None:
    return entry_command(
        item,
        request.context,
        movement_entry_key(item.sku, request.movement_id),
        movement_lines(cost),
        effective_date=request.effective_date,
        description=f"Inventory {cost.kind}: {item.sku}",
        reference=request.movement_id,
        metadata={"inventory_movement": request.movement_id, "item": item.sku},
    )


def correction_entry(
    item: Item, request: MovementRequest, correction: Any, effective_date: str
) -> PostJournalEntry | None:
    return entry_command(
        item,
        request.context,
        correction_entry_key(item.sku, correction.movement_id, request.movement_id),
        correction_lines(correction),
        effective_date=effective_date,
        description=f"Inventory cost correction: {item.sku} {correction.kind}"
        f" {correction.movement_id} after {request.movement_id}",
        reference=correction.movement_id,
        metadata={
            "inventory_movement": correction.movement_id,
            "corrected_by": request.movement_id,
            "item": item.sku,
        },
    )


def stage_entries(batch: LedgerBatch, entries: list[PostJournalEntry | None]) -> None:
    """Stage every entry of one movement; a refusal after one of them was staged
    spoils the batch (it cannot take a staged entry back)."""
    staged = 0
    for entry in entries:
        if entry is None:
            continue
        try:
            result = batch.stage_entry(entry)
        except DomainError as refusal:
            if staged:
                raise SpoiledBatch(refusal) from refusal
            raise
        assert isinstance(result, UUID), result  # keys derive from fresh movement ids
        staged += 1


def id_text(entry: PostJournalEntry | None) -> str:
    entry_id = entry_id_of(entry)
    return "" if entry_id is None else str(entry_id)


def prefetch_entries(
    commands: Sequence[MovementCommand],
    live: list[int],
    skus: dict[int, str],
    items: dict[str, Item | None],
) -> list[PostJournalEntry]:
    """Skeleton entries naming every account and period the batch may post to,
    so the batch loads them in one probe (amounts are not read by preload)."""
    skeletons = []
    for index in live:
        item = items.get(skus[index])
        if item is None:
            continue
        command = commands[index]
        skeletons.append(
            PostJournalEntry(
                context=command.context,
                idempotency_key="prefetch",
                effective_date=command.effective_date
                if isinstance(command.effective_date, str)
                else "",
                postings=[{"account": code} for code in item.accounts.values()],
            )
        )
    return skeletons
