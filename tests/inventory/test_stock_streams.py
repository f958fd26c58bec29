"""Random streams of movements through the service, on both backends (seeded:
derandomized): after every step quantities are never negative, FIFO and moving
average agree on quantities, the inventory account's ledger balance equals the
layers of the item's method, and a refused movement wrote nothing."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.inventory.commands import (
    AdjustStock,
    IssueGoods,
    ReceiveGoods,
    ReturnToSupplier,
    TransferStock,
)
from domain.inventory.results import MovementOutcome
from domain.inventory.service import Inventory
from domain.kernel.errors import DomainError
from tests.inventory.service_support import (
    CLERK,
    accounts_of,
    inventory_account,
    ledger_balance,
    log_size,
    open_warehouse,
)

LOCATIONS = ("MAIN", "SHOP")
_items = itertools.count(1)

step = st.tuples(
    st.sampled_from(["receipt", "receipt", "issue", "transfer", "return", "adjust", "count"]),
    st.integers(1, 28),  # day of January: any order, so many are back-dated
    st.integers(1, 12),  # qty
    st.sampled_from(["0.10", "1.00", "1.333333", "2.50", "0.07"]),
    st.integers(0, 1),  # location
    st.integers(0, 30),  # which earlier receipt a return names
)


def _command(sku: str, n: int, move: tuple[Any, ...], receipts: list[str]) -> Any:
    kind, day, qty, cost, where, pick = move
    on, location, movement_id = f"2024-01-{day:02d}", LOCATIONS[where], f"{sku}-m{n}"
    if kind == "receipt":
        return ReceiveGoods(CLERK, movement_id, sku, location, str(qty), cost, on)
    if kind == "issue":
        return IssueGoods(CLERK, movement_id, sku, location, str(qty), "sale", on)
    if kind == "transfer":
        return TransferStock(CLERK, movement_id, sku, location, LOCATIONS[1 - where], str(qty), on)
    if kind == "return":
        receipt = receipts[pick % len(receipts)] if receipts else "none"
        return ReturnToSupplier(CLERK, movement_id, sku, location, receipt, str(qty), on)
    if kind == "adjust":
        delta = qty - 6
        return AdjustStock(
            CLERK,
            movement_id,
            sku,
            location,
            "damage",
            on,
            qty_delta=str(delta or 1),
            unit_cost=cost if delta >= 0 else None,
        )
    return AdjustStock(
        CLERK, movement_id, sku, location, "count", on, counted_qty=str(qty % 7), unit_cost=cost
    )


def _check_step(system: Any, inventory: Inventory, sku: str) -> None:
    fifo = inventory.valuation(sku, method="fifo")
    average = inventory.valuation(sku, method="moving_average")
    assert all(location.qty > 0 for location in fifo.locations)
    assert [(x.location, x.qty) for x in fifo.locations] == [
        (x.location, x.qty) for x in average.locations
    ]
    assert inventory.check(ledger_balance(system), skus=[sku]) == []


def test_random_movement_streams_keep_stock_and_ledger_in_step(system: Any) -> None:
    inventory = open_warehouse(system.app, items={})

    @settings(
        max_examples=20,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(method=st.sampled_from(["fifo", "moving_average"]), moves=st.lists(step, max_size=12))
    def stream(method: str, moves: list[tuple[Any, ...]]) -> None:
        sku = f"S{next(_items)}"
        system.app.open_account(CLERK, inventory_account(sku), sku, "asset", ["USD"])
        inventory.open_item(
            CLERK,
            sku=sku,
            name=sku,
            unit="each",
            quantity_scale=0,
            costing_method=method,
            asset="USD",
            accounts=accounts_of(sku),
        )
        receipts: list[str] = []
        for n, move in enumerate(moves):
            before = log_size(system.app)
            try:
                outcome = inventory.record(_command(sku, n, move, receipts))
            except DomainError:
                assert log_size(system.app) == before
            else:
                assert isinstance(outcome, MovementOutcome)
                if outcome.kind == "receipt":
                    receipts.append(outcome.id)
            _check_step(system, inventory, sku)

    stream()
