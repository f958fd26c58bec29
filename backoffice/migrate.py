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
    from projections.audit.trail import AuditTrail

    recorder = system.app.recorder
    recorder.create_table()  # type: ignore[attr-defined]  # IF NOT EXISTS; chain, checkpoints, triggers
    created = [recorder.events_table_name, recorder.chain_table_name, recorder.checkpoints_table_name]  # type: ignore[attr-defined]
    system.projections._ensure_tables()
    created.append("balances (bal_*)")
    audit = AuditTrail(system.database, catch_up_on_query=False)
    try:
        audit._ensure_tables()
    finally:
        audit.close()
    created.append("audit trail (audit_*)")
    from projections.subjects import projection as subjects

    subjects.ensure_tables(system.database)
    created.append("subjects (subj_*)")
    from projections.sanctions import screening_log as screening

    screening.ensure_tables(system.database)
    created.append("screening (scr_*)")
    try:  # the subject key store, where that module exists
        from adapters import subject_keys
    except ImportError:
        return created
    ensure = getattr(subject_keys, "ensure_table", None)
    if ensure is not None:
        ensure(system.database)
        created.append("subject keys")
    return created
