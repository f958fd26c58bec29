"""Hot standbys for readers, and a primary found among several hosts.

Read routing (``BACKOFFICE_READ_DATABASE_URL``): the log readers of the
projections, report runs, audit exports and chain verification read the
log from a streaming standby; writes, and the reads that decide a write,
stay on the primary. A standby replays the primary's commits in commit
order, and the chained recorders make commit order equal log order, so a
standby's log is always a gap-free prefix of the primary's: "the standby
has replayed position N" is simply ``max(notification_id) >= N`` there.

Failover (a multi-host ``BACKOFFICE_DATABASE_URL`` with
``target_session_attrs=read-write``): libpq tries the hosts in order and
keeps the first that accepts writes. The library's ``PostgresDatastore``
passes ``POSTGRES_HOST``/``POSTGRES_PORT`` through to psycopg unchanged, so
comma-separated lists work there, but it has no setting for
``target_session_attrs``; ``FailoverPostgresFactory`` (the
``PERSISTENCE_MODULE`` for such URLs) adds it to its pool's connection
arguments before the pool opens.

Synchronous standbys (``BACKOFFICE_REQUIRE_SYNC_REPLICA``):
``sync_replica_refusals`` names why a primary would acknowledge a commit
that no standby holds yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment, EnvType

from adapters.database import Database, DatabaseUnavailable, postgres_connect_kwargs

TARGET_SESSION_ATTRS_ENV = "POSTGRES_TARGET_SESSION_ATTRS"
FACTORY_TOPIC = "adapters.replicas:FailoverPostgresFactory"
SYNC_COMMIT_SAFE = ("on", "remote_write", "remote_apply")
"""``synchronous_commit`` values that wait for a synchronous standby (``local``
and ``off`` do not)."""


class FailoverPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, connecting with ``target_session_attrs``."""

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        attrs = self.env.get(TARGET_SESSION_ATTRS_ENV) or ""
        if attrs:
            kwargs = self.datastore.pool.kwargs
            assert isinstance(kwargs, dict)
            kwargs["target_session_attrs"] = attrs


def replayed_position(database: Database) -> int:
    """The highest log position ``database`` holds (a standby: what it has replayed)."""
    from adapters.log_reader import LogReader

    with LogReader(database) as reader:
        return reader.head_position()


class ReplayWait:
    """The standby's replayed position, read through one held log reader."""

    def __init__(self, database: Database) -> None:
        from adapters.log_reader import LogReader

        self.database = database
        self._reader = LogReader(database)

    def position(self) -> int:
        return self._reader.head_position()

    def close(self) -> None:
        self._reader.close()


def caught_up_probe(
    probe: Callable[[str], bool],
    catch_up: Callable[[int], int],
    primary_head: Callable[[], int],
    wait_s: float,
) -> Callable[[str], bool]:
    """``probe`` asked only once its projection, folding a standby's log, has
    reached the primary's head: a read that decides a write must not be stale."""

    def decided(account: str) -> bool:
        head = primary_head()
        deadline = time.monotonic() + wait_s
        while (reached := catch_up(head)) < head:
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(
                    f"the standby is at log position {reached}, not yet at the primary's {head}"
                )
            time.sleep(0.02)
        return probe(account)

    return decided


def _connect(database: Database) -> Any:
    import psycopg

    try:
        return psycopg.connect(**postgres_connect_kwargs(database), autocommit=True)  # type: ignore[arg-type]
    except psycopg.Error as error:
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {database.display}: {str(error).strip()}"
        ) from error


def sync_replica_refusals(database: Database) -> list[str]:
    """Why ``database``'s primary could acknowledge a commit no standby holds (empty: none).

    Refused: ``synchronous_standby_names`` empty; ``synchronous_commit`` of
    ``local`` or ``off`` for this role and database; no standby streaming as
    ``sync`` or ``quorum``; any standby streaming as ``async`` or
    ``potential`` (not listed, or listed past the number that must answer).
    """
    if database.backend != "postgres":
        return ["BACKOFFICE_REQUIRE_SYNC_REPLICA: needs a PostgreSQL database"]
    findings = []
    with _connect(database) as conn:
        names = str(
            conn.execute("SELECT current_setting('synchronous_standby_names')").fetchone()[0]
        )
        commit = str(conn.execute("SELECT current_setting('synchronous_commit')").fetchone()[0])
        standbys = conn.execute(
            "SELECT application_name, sync_state FROM pg_stat_replication ORDER BY 1"
        ).fetchall()
    where = database.display
    if not names.strip():
        findings.append(
            f"PostgreSQL synchronous_standby_names is empty at {where}: every standby is "
            "asynchronous, so a failover can lose acknowledged entries"
        )
    if commit not in SYNC_COMMIT_SAFE:
        findings.append(
            f"PostgreSQL synchronous_commit={commit} at {where}: commits do not wait for a "
            "standby; production with BACKOFFICE_REQUIRE_SYNC_REPLICA needs on or remote_apply"
        )
    if any(state is None for _, state in standbys):
        # pg_stat_replication hides its columns from roles without pg_read_all_stats.
        return [
            f"BACKOFFICE_REQUIRE_SYNC_REPLICA: this role cannot read pg_stat_replication at "
            f"{where} (GRANT pg_monitor TO it) to check that its standbys are synchronous"
        ]
    if not any(state in ("sync", "quorum") for _, state in standbys):
        findings.append(f"no synchronous standby is streaming from {where}")
    for name, state in standbys:
        if state not in ("sync", "quorum"):
            findings.append(
                f"standby {name!r} streams asynchronously ({state}) from {where}: "
                "not listed in synchronous_standby_names"
            )
    return [f"BACKOFFICE_REQUIRE_SYNC_REPLICA: {finding}" for finding in findings]


def is_standby(database: Database) -> bool:
    with _connect(database) as conn:
        return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])


def refuse_async_replicas(database: Database) -> None:
    """Raise ``SettingsError`` naming every reason a failover could lose acknowledged entries."""
    from adapters.database import SettingsError

    findings = sync_replica_refusals(database)
    if findings:
        raise SettingsError("; ".join(findings))
