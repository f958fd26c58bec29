"""Every tracked projection of the log, listed once.

The worker (``backoffice project``), ``backoffice rebuild``, ``backoffice
verify`` and ``/health/ready`` iterate this list; a new projection is a
``TrackedProjection`` subclass and one ``Registration.of(...)`` line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.database import Database
from projections.audit import trail
from projections.billing import open_items
from projections.inventory import valuation as inventory_valuation
from projections.ledger import account_ledger, runner
from projections.sanctions import screening_log
from projections.subjects import projection as subjects
from projections.tracking.base import Finding, TrackedProjection, TrackedStore

Checks = Callable[[Any, Any], list[Finding]]
"""(shadow store, the fold's end state) -> findings, run after a shadow rebuild."""


@dataclass(frozen=True, slots=True)
class Registration:
    """One projection: its ``name``, how to ``build`` it for a database (keyword
    arguments: ``prefix``, ``page_size``, ``catch_up_on_query``), its
    ``tables``, its ``digest`` function and its invariant ``checks``."""

    name: str
    label: str
    build: Callable[..., TrackedProjection[Any]]
    tables: tuple[str, ...]
    digest: Callable[[TrackedStore], dict[str, str]]
    checks: Checks

    @classmethod
    def of(
        cls, projection: type[TrackedProjection[Any]], checks: Checks | None = None
    ) -> Registration:
        return cls(
            projection.name,
            projection.label,
            projection,
            projection.tables,
            _table_digests,
            checks or _no_checks,
        )

    def open(self, database: Database, **options: Any) -> TrackedProjection[Any]:
        return self.build(database, **options)


def _table_digests(store: TrackedStore) -> dict[str, str]:
    return store.table_digests()


def _no_checks(_store: Any, _state: Any) -> list[Finding]:
    return []


REGISTRY: tuple[Registration, ...] = (
    Registration.of(runner.ProjectionService, runner.invariant_findings_of),
    Registration.of(trail.AuditTrail, trail.invariant_findings),
    Registration.of(subjects.SubjectsProjection, subjects.invariant_findings),
    Registration.of(screening_log.ScreeningLog, screening_log.invariant_findings),
    Registration.of(account_ledger.AccountLedger, account_ledger.invariant_findings),
    Registration.of(open_items.OpenItems, open_items.invariant_findings),
    Registration.of(inventory_valuation.InventoryFifo, inventory_valuation.invariant_findings),
    Registration.of(
        inventory_valuation.InventoryMovingAverage, inventory_valuation.invariant_findings
    ),
)


class UnknownProjection(ValueError):
    """No projection has that name; the message lists the known ones."""


def names() -> list[str]:
    return [registration.name for registration in REGISTRY]


def registration(name: str) -> Registration:
    for registered in REGISTRY:
        if registered.name == name:
            return registered
    raise UnknownProjection(f"projection {name!r} is unknown; known: {', '.join(names())}")


def selected(requested: list[str] | tuple[str, ...] | None) -> list[Registration]:
    """The registrations named (all when none are), refusing unknown names
    before anything is done."""
    if not requested:
        return list(REGISTRY)
    return [registration(name) for name in dict.fromkeys(requested)]


def open_all(
    database: Database,
    *,
    catch_up_on_query: bool = True,
    reuse: dict[str, TrackedProjection[Any]] | None = None,
) -> dict[str, TrackedProjection[Any]]:
    """One live instance of every projection (``reuse``: ones already built)."""
    reuse = reuse or {}
    return {
        entry.name: reuse.get(entry.name) or entry.open(database, catch_up_on_query=catch_up_on_query)
        for entry in REGISTRY
    }
