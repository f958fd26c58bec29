"""Composition root: builds the object graph from a database URL.

Nothing is built at import time; the CLI, the API and the tests all call
``build_system`` (tests with their own URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.database import (
    Database,
    database_from_environment,
    parse_database_url,
    persistence_env,
    prepare_database,
    schema_setup_lock,
)
from adapters.version_probe import position_probe_for, version_probe_for
from domain.application import BackOffice
from projections.ledger.runner import ProjectionService


@dataclass
class System:
    """The running back office: the application and what reads its log."""

    database: Database
    app: BackOffice
    projections: ProjectionService
    _closers: list[object] = field(default_factory=list)

    def close(self) -> None:
        self.projections.close()
        self.app.close()


def build_system(database_url: str | None = None, *, pool_size: int = 4) -> System:
    database = parse_database_url(database_url) if database_url else database_from_environment()
    prepare_database(database)
    with schema_setup_lock(database):  # the library creates its tables here
        app = BackOffice(env=persistence_env(database, pool_size=pool_size))
    app.version_probe = version_probe_for(app.recorder)
    app.position_probe = position_probe_for(app.recorder)
    projections = ProjectionService(database)
    # Closing an account asks the projection, caught up first, for its balance.
    app.balance_probe = projections.has_nonzero_balance
    return System(database=database, app=app, projections=projections)
