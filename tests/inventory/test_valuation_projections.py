"""The FIFO and moving-average valuation projections over the stock log, on both
backends: their rows equal the domain's valuation of each item (back-dated
receipts, transfers, returns and counts included), a rebuild equals the live
tables to the digest, verify's invariant holds (each inventory account's
balance equals its items' layers under their own methods) and names a
ledger that drifted from the layers; random streams keep it so."""

from __future__ import annotations

import random
from typing import Any

import pytest

from backoffice.container import System
from domain.inventory.service import Inventory
from domain.kernel.errors import DomainError
from projections.inventory.valuation import InventoryFifo, InventoryMovingAverage
from projections.registry import registration
from replay.rebuild import rebuild
from replay.verify import verify
from tests.inventory.service_support import CLERK, Desk, open_warehouse
from tests.ledger.support import entry, transfer

NAMES = ("inventory_fifo", "inventory_moving_average")


def digests(system: System, name: str) -> dict[str, str]:
    projection = system.tracked[name]
    projection.catch_up()
    with projection.store.read_snapshot():
        return registration(name).digest(projection.store)


def record_story(inventory: Inventory) -> dict[str, str]:
    """Both items through receipts, issues, a transfer, a return, a count and a
    back-dated receipt; the ids of the first receipts."""
    ids = {}
    for sku in ("BOLT", "NUT"):
        desk = Desk(sku)
        first = inventory.record(desk.receipt("10", "2.50", "2026-03-02"))
        ids[sku] = first.id
        inventory.record(desk.receipt("5", "3.125", "2026-03-03"))
        inventory.record(desk.issue("7", "2026-03-05"))
        inventory.record(desk.transfer("3", "2026-03-06"))
        inventory.record(desk.ret(first.id, "1", "2026-03-07"))
        inventory.record(desk.count("2", "2026-03-08"))
        inventory.record(desk.receipt("4", "1.00", "2026-03-01"))  # back-dated
    return ids


def stock_of(projection: Any) -> dict[str, tuple[int, int]]:
    return {item["item"]: (item["qty"], item["value"]) for item in projection.items()}


def test_both_projections_value_every_item_as_the_domain_does(system: System) -> None:
    inventory = open_warehouse(system.app)
    record_story(inventory)
    fifo, average = system.tracked["inventory_fifo"], system.tracked["inventory_moving_average"]
    assert isinstance(fifo, InventoryFifo) and isinstance(average, InventoryMovingAverage)
    for sku in ("BOLT", "NUT"):
        by_fifo = inventory.valuation(sku, method="fifo")
        by_average = inventory.valuation(sku, method="moving_average")
        assert stock_of(fifo)[sku] == (by_fifo.qty, by_fifo.value)
        assert stock_of(average)[sku] == (by_average.qty, by_average.value)
        assert by_fifo.qty == by_average.qty
    costs = {(m["item"], m["movement_id"]): m["cost"] for m in fifo.movements()}
    for sku in ("BOLT",):  # the FIFO item's own costs, corrections included, match its book
        book = inventory.recorder.books([sku])[sku]
        for valued in book.history().entries:
            assert costs[(sku, valued.movement.id)] == valued.fifo.cost
    assert verify(system.database, "inventory_fifo").ok
    assert verify(system.database, "inventory_moving_average").ok


@pytest.mark.parametrize("name", NAMES)
def test_a_rebuild_equals_the_live_tables_to_the_digest(system: System, name: str) -> None:
    inventory = open_warehouse(system.app)
    system.tracked[name].catch_up()  # live folds in pages as the log grows
    record_story(inventory)
    before = digests(system, name)
    rebuild(system.database, name)
    assert digests(system, name) == before
    report = verify(system.database, name)
    assert report.ok, report.findings


def test_verify_names_an_inventory_account_that_drifted_from_the_layers(system: System) -> None:
    inventory = open_warehouse(system.app)
    record_story(inventory)
    assert verify(system.database, "inventory_fifo").ok
    system.app.open_account(CLERK, "Equity:Capital", "Capital", "equity", ["USD"])
    system.app.post_journal_entry(
        entry("drift", transfer("Assets:Inventory:BOLT", "Equity:Capital", "1.00"))
    )
    for name in NAMES:
        report = verify(system.database, name)
        invariants = [finding.invariant for finding in report.findings]
        assert invariants == ["inventory_ledger_equals_layers"], report.findings
        assert "Assets:Inventory:BOLT" in report.findings[0].detail


def test_random_streams_keep_the_ledger_equal_to_the_layers(system: System) -> None:
    inventory = open_warehouse(system.app)
    rng = random.Random(20261204)
    receipts: dict[str, list[str]] = {"BOLT": [], "NUT": []}
    for _ in range(60):
        sku = rng.choice(("BOLT", "NUT"))
        desk = Desk(sku)
        on = f"2026-04-{rng.randint(1, 28):02d}"
        location = rng.choice(("MAIN", "SHOP"))
        kind = rng.choice(("receipt", "receipt", "issue", "transfer", "return", "count"))
        if kind == "receipt":
            command: Any = desk.receipt(
                str(rng.randint(1, 9)), f"{rng.randint(100, 999) / 100}", on, location
            )
        elif kind == "issue":
            command = desk.issue(str(rng.randint(1, 6)), on, location)
        elif kind == "transfer":
            other = "SHOP" if location == "MAIN" else "MAIN"
            command = desk.transfer(str(rng.randint(1, 4)), on, location, other)
        elif kind == "return" and receipts[sku]:
            command = desk.ret(rng.choice(receipts[sku]), "1", on, location)
        else:
            command = desk.count(str(rng.randint(0, 8)), on, "1.50", location)
        try:
            outcome = inventory.record(command)
        except DomainError:
            continue
        if kind == "receipt":
            receipts[sku].append(outcome.id)
    fifo, average = system.tracked["inventory_fifo"], system.tracked["inventory_moving_average"]
    assert {sku: qty for sku, (qty, _v) in stock_of(fifo).items()} == {
        sku: qty for sku, (qty, _v) in stock_of(average).items()
    }
    for name in NAMES:
        before = digests(system, name)
        rebuild(system.database, name)
        assert digests(system, name) == before
        report = verify(system.database, name)
        assert report.ok, report.findings


def test_a_two_phase_entry_counts_once_posted(system: System) -> None:
    inventory = open_warehouse(system.app)
    record_story(inventory)
    app = system.app
    app.open_account(CLERK, "Equity:Capital", "Capital", "equity", ["USD"])
    lines = transfer("Assets:Inventory:NUT", "Equity:Capital", "2.00")
    voided = app.post_journal_entry(entry("pending-void", lines, pending=True))
    kept = app.post_journal_entry(entry("pending-post", lines, pending=True))
    for name in NAMES:
        assert verify(system.database, name).ok  # pending: not posted yet
    app.void_pending(CLERK, voided.entry_id, "not needed")
    for name in NAMES:
        assert verify(system.database, name).ok
    app.post_pending(CLERK, kept.entry_id)
    for name in NAMES:
        before = digests(system, name)
        rebuild(system.database, name)
        assert digests(system, name) == before
        report = verify(system.database, name)
        assert [finding.invariant for finding in report.findings] == [
            "inventory_ledger_equals_layers"
        ]
        assert "Assets:Inventory:NUT" in report.findings[0].detail
