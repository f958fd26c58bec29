"""Creating every table up front, as the role that should own them.

In a deployment where the application role may not create tables
(docker-compose: ``BACKOFFICE_CREATE_TABLES=no``), ``backoffice migrate``
runs first as the owner role and creates the log's tables (events, chain,
checkpoints, with their triggers) and every read model's tables.
"""

from __future__ import annotations

from backoffice.container import System


def create_all_tables(system: System) -> list[str]:
    """Create what is missing; return the names of the table groups now present."""
    from adapters import subject_keys
    from adapters.access_log import AccessLog

    recorder = system.app.recorder
    recorder.create_table()  # type: ignore[attr-defined]  # IF NOT EXISTS; chain, checkpoints, triggers
    created = [recorder.events_table_name, recorder.chain_table_name, recorder.checkpoints_table_name]  # type: ignore[attr-defined]
    for name, projection in system.tracked.items():  # every registered projection
        projection.ensure_tables()
        created.append(f"{name} ({projection.live_prefix}*)")
    subject_keys.ensure_table(system.database)
    created.append("subject keys")
    access_log = AccessLog(system.database)  # its tables, chain and triggers
    try:
        access_log.head()
    finally:
        access_log.close()
    created.append("access log")
    return created
