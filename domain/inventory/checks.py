"""Independent checks of a valued history: the paired check of the folds.

The folds guarantee that stock never goes negative, that both methods agree on
quantities and that value is conserved; these functions recompute each of those
from the movements and the reported costs alone, and return findings (empty when
all holds) instead of raising, so a replay or a property test can run them after
any fold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.inventory.movements import (
    OUTFLOW_KINDS,
    Adjustment,
    Movement,
    Receipt,
    Return,
    Transfer,
)
from domain.inventory.valuation import METHODS, Method, MovementValuation, ValuedHistory


def quantity_deltas(movement: Movement) -> tuple[tuple[str, int], ...]:
    """(location, signed quantity) pairs a movement changes, from its fields only."""
    if isinstance(movement, Receipt):
        return ((movement.location, movement.qty),)
    if isinstance(movement, Transfer):
        return ((movement.source, -movement.qty), (movement.destination, movement.qty))
    if isinstance(movement, Adjustment):
        return ((movement.location, movement.delta_qty),)
    return ((movement.location, -movement.qty),)


def check_history(history: ValuedHistory) -> list[str]:
    """Findings about ``history``; an empty list means every check holds."""
    findings: list[str] = []
    on_hand: dict[str, int] = defaultdict(int)
    net_value = dict.fromkeys(METHODS, 0)
    for entry in history.entries:
        for location, delta in quantity_deltas(entry.movement):
            on_hand[location] += delta
            if on_hand[location] < 0:
                findings.append(f"{entry.movement.id}: {location} goes below zero")
        findings.extend(_check_entry(entry))
        for method in METHODS:
            cost = entry.by(method)
            net_value[method] += cost.value - cost.cost
    findings.extend(_check_final(history, dict(on_hand), net_value))
    return findings


def _check_entry(entry: MovementValuation) -> list[str]:
    findings: list[str] = []
    movement = entry.movement
    for method in METHODS:
        cost = entry.by(method)
        if cost.movement_id != movement.id or cost.kind != movement.kind:
            findings.append(f"{movement.id}: {method} reports another movement")
        if min(cost.value, cost.cost, cost.supplier_credit) < 0:
            findings.append(f"{movement.id}: {method} reports a negative amount")
        if isinstance(movement, Return) and cost.price_variance != cost.cost - cost.supplier_credit:
            findings.append(f"{movement.id}: {method} price variance is not cost - credit")
    if movement.kind in OUTFLOW_KINDS:
        pieces = entry.fifo.layers_consumed
        if sum(piece.qty for piece in pieces) != movement.qty:
            findings.append(f"{movement.id}: FIFO layers consumed do not add up to the qty")
        if sum(piece.value for piece in pieces) != entry.fifo.cost:
            findings.append(f"{movement.id}: FIFO layers consumed do not add up to the cost")
    if entry.fifo.supplier_credit != entry.moving_average.supplier_credit:
        findings.append(f"{movement.id}: the methods credit the supplier differently")
    return findings


def _check_final(
    history: ValuedHistory, on_hand: dict[str, int], net_value: dict[Method, int]
) -> list[str]:
    findings: list[str] = []
    final = history.final
    for location in sorted(set(on_hand) | set(final.fifo.layers) | set(final.moving_average.pools)):
        expected = on_hand.get(location, 0)
        if final.fifo.qty_at(location) != expected:
            findings.append(f"{location}: FIFO layers hold another qty than the movements")
        if final.moving_average.qty_at(location) != expected:
            findings.append(f"{location}: moving average holds another qty than the movements")
        if final.moving_average.qty_at(location) == 0 and final.moving_average.value_at(location):
            findings.append(f"{location}: emptied moving-average stock keeps a residue")
        for layer in final.fifo.layers_at(location):
            if layer.qty <= 0 or layer.value < 0:
                findings.append(f"{location}: FIFO layer {layer.receipt_id} is empty or negative")
    fifo_value = sum(final.fifo.value_at(location) for location in final.fifo.layers)
    average_value = sum(pool.value for pool in final.moving_average.pools.values())
    if net_value["fifo"] != fifo_value:
        findings.append("FIFO: value in - cost out differs from the value of the layers")
    if net_value["moving_average"] != average_value:
        findings.append("moving average: value in - cost out differs from the value on hand")
    return findings


# --- the ledger against the layers --------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemFigures:
    """One item's figures for the ledger check: its inventory ``account`` and
    ``asset``, the value of its layers under its own method, and the net of
    what its movement events say was posted to inventory (values in, costs out,
    correction deltas)."""

    sku: str
    account: str
    asset: str
    layers_value: int
    posted_net: int


def ledger_findings(
    items: Sequence[ItemFigures], balance_of: Callable[[str, str], int]
) -> list[str]:
    """Findings where the ledger and the stock layers disagree: per item (the
    postings its events recorded against its layers) and per inventory account
    and asset (``balance_of(account, asset)``, the debit balance in minor units,
    against the layers of every item on it)."""
    findings: list[str] = []
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for item in items:
        if item.posted_net != item.layers_value:
            findings.append(
                f"{item.sku}: posted to inventory {item.posted_net}, layers hold {item.layers_value}"
            )
        totals[(item.account, item.asset)] += item.layers_value
    for (account, asset), layers_value in sorted(totals.items()):
        balance = balance_of(account, asset)
        if balance != layers_value:
            findings.append(
                f"{account} {asset}: ledger balance {balance}, stock layers {layers_value}"
            )
    return findings
