"""Two writers, each with its own application on one store (as two processes
would be), issue the last units of one item at once: exactly one succeeds,
the other is refused for the shortage it finds on deciding again. On both
backends; several rounds so the writers do race."""

from __future__ import annotations

import threading
from typing import Any

from backoffice.container import build_system
from domain.inventory.commands import IssueGoods
from domain.inventory.errors import InsufficientStock
from domain.inventory.results import MovementOutcome
from domain.inventory.service import Inventory
from tests.inventory.service_support import CLERK, Desk, ledger_balance, open_warehouse

ROUNDS = 4
WRITERS = 2


def test_two_writers_issuing_the_last_units_of_an_item_let_exactly_one_through(
    system: Any, database_url: str
) -> None:
    inventory = open_warehouse(system.app)
    writers = [build_system(database_url) for _ in range(WRITERS)]
    try:
        desks = [Inventory(writer.app) for writer in writers]
        for round_number in range(ROUNDS):
            inventory.record(Desk("NUT").receipt("5", "1.00", f"2024-01-{round_number + 1:02d}"))
            for desk in desks:  # both have seen the receipt: both decide on the same version
                assert desk.valuation("NUT").qty == 5
            barrier = threading.Barrier(WRITERS)
            results: list[Any] = [None] * WRITERS

            def issue(
                n: int,
                round_number: int = round_number,
                barrier: Any = barrier,
                results: list[Any] = results,
            ) -> None:
                command = IssueGoods(
                    CLERK,
                    f"last-{round_number}-{n}",
                    "NUT",
                    "MAIN",
                    "5",
                    "sale",
                    f"2024-01-{round_number + 1:02d}",
                )
                barrier.wait()
                results[n] = desks[n].record_movements([command])[0]

            threads = [threading.Thread(target=issue, args=(n,)) for n in range(WRITERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            kinds = sorted(type(result).__name__ for result in results)
            assert kinds == ["InsufficientStock", "MovementOutcome"], results
            winner = next(r for r in results if isinstance(r, MovementOutcome))
            assert winner.cost == 500
            assert any(isinstance(r, InsufficientStock) for r in results)
            assert inventory.valuation("NUT").qty == 0
        assert inventory.check(ledger_balance(system)) == []
    finally:
        for writer in writers:
            writer.close()


def test_a_writer_that_decided_on_a_stale_stock_log_collides_and_decides_again(
    system: Any, database_url: str
) -> None:
    inventory = open_warehouse(system.app)
    inventory.record(Desk("BOLT").receipt("3", "1.00", "2024-01-01"))
    other = build_system(database_url)
    try:
        late = Inventory(other.app)
        assert late.valuation("BOLT").qty == 3  # its book is at this version
        inventory.record(Desk("BOLT").issue("2", "2024-01-02"))
        real_probe = other.app.version_probe
        assert real_probe is not None
        stale = iter([True])

        def probe_once_stale(ids: Any) -> dict[Any, int]:
            versions = real_probe(ids)
            if next(stale, False):  # the first look misses the other writer's issue
                return {key: version - 1 for key, version in versions.items()}
            return versions

        other.app.version_probe = probe_once_stale
        outcome = late.record_movements([Desk("BOLT").issue("2", "2024-01-03")])[0]
        assert isinstance(outcome, InsufficientStock)  # decided again on the new history
        fine = late.record(Desk("BOLT").issue("1", "2024-01-03"))
        assert (fine.cost, fine.on_hand_after) == (100, {"MAIN": 0})
        assert inventory.check(ledger_balance(system)) == []
    finally:
        other.close()
