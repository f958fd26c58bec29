"""Composition root: builds the object graph from the settings.

Nothing is built at import time; the CLI, the API and the tests all call
``build_system``: with a ``Settings`` (the API), with a URL (tests, CLI
``--database``), or with neither (the settings are then read from the
environment, once, here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.database import (
    Database,
    parse_database_url,
    persistence_env,
    prepare_database,
    schema_setup_lock,
)
from adapters.replicas import caught_up_probe
from adapters.settings import Settings
from adapters.version_probe import position_probe_for, version_probe_for
from backoffice.services import Services
from domain.application import BackOffice
from projections.ledger.runner import ProjectionService
from projections.registry import open_all


@dataclass
class System:
    """The running back office: the application and what reads its log."""

    database: Database
    app: BackOffice
    projections: ProjectionService
    settings: Settings
    _closers: list[object] = field(default_factory=list)
    tracked: dict[str, Any] = field(default_factory=dict)
    """Every registered projection by name (projections.registry), balances included."""
    read_database: Database | None = None
    """The hot standby readers use (``BACKOFFICE_READ_DATABASE_URL``), or None."""
    services: Services = field(init=False)
    """The area services (payments, receipts, settlements, sanctions, ...), built on first use."""

    def __post_init__(self) -> None:
        self.services = Services(
            self.app,
            self.database,
            self.projections,
            tracked=self.tracked,
            payment_policy_file=self.settings.payment_policy,
            read_database=self.read_database,
        )

    @property
    def reader_database(self) -> Database:
        """Where log readers, reports, audit exports and chain verification read:
        the standby when one is configured, else the primary."""
        return self.read_database or self.database

    def close(self) -> None:
        self.services.close()
        for projection in self.tracked.values():
            if projection is not self.projections:
                projection.close()
        self.projections.close()
        self.app.close()


def build_system(
    database_url: str | None = None, *, settings: Settings | None = None, pool_size: int = 4
) -> System:
    """The system on ``database_url`` (else the settings' database); ``settings``
    default to the environment's."""
    settings = settings if settings is not None else Settings.from_environment()
    database = parse_database_url(database_url) if database_url else settings.database
    prepare_database(database)
    with schema_setup_lock(database):  # the library creates its tables here
        env = persistence_env(database, pool_size=pool_size, create_tables=settings.create_tables)
        app = BackOffice(env=env)
    app.version_probe = version_probe_for(app.recorder)
    app.position_probe = position_probe_for(app.recorder)
    projections = ProjectionService(database)
    # Closing an account asks the projection, caught up first, for its balance.
    app.balance_probe = projections.has_nonzero_balance
    tracked = open_all(database, reuse={"balances": projections})
    read_database = settings.read_database
    if read_database is not None:
        # The folds read the log from the standby and write their rows to the primary.
        for projection in tracked.values():
            projection.read_log_from(read_database)
        # Closing an account decides on the balance: only once the standby has
        # replayed everything the primary holds.
        app.balance_probe = caught_up_probe(
            projections.has_nonzero_balance,
            lambda head: projections.catch_up(up_to=head),
            lambda: int(app.recorder.max_notification_id() or 0),
            settings.read_wait_s,
        )
    return System(
        database, app, projections, settings, tracked=tracked, read_database=read_database
    )
