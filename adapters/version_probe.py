"""One query for the current versions of many aggregates.

A posting batch needs the accounts and periods its entries touch. Asking the
store for each aggregate costs a round trip apiece; asking once for the
latest version of all of them lets the application reuse what it already
holds and reload only what changed. Optional: without a probe (another event
store) the application loads each aggregate through the repository.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

SQLITE_PARAMETERS_MAX = 900

VersionProbe = Callable[[Sequence[UUID]], dict[UUID, int]]


def version_probe_for(recorder: ApplicationRecorder) -> VersionProbe | None:
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres_probe(recorder)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _sqlite_probe(recorder)
    return None


def _postgres_probe(recorder: ApplicationRecorder) -> VersionProbe:
    from psycopg import sql

    datastore = recorder.datastore  # type: ignore[attr-defined]
    statement = sql.SQL(
        "SELECT originator_id, MAX(originator_version) AS version FROM {}.{} "
        "WHERE originator_id = ANY(%s) GROUP BY originator_id"
    ).format(sql.Identifier(datastore.schema), sql.Identifier(recorder.events_table_name))  # type: ignore[attr-defined]
    lock_timeout = sql.SQL("SET LOCAL lock_timeout = '{}s'").format(datastore.lock_timeout)

    def probe(ids: Sequence[UUID]) -> dict[UUID, int]:
        if not ids:
            return {}
        with datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.execute(lock_timeout)  # a locked table is an error in seconds, not a hang
            cursor.execute(statement, (list(ids),), prepare=True)
            return {row["originator_id"]: row["version"] for row in cursor.fetchall()}

    return probe


def _sqlite_probe(recorder: ApplicationRecorder) -> VersionProbe:
    datastore = recorder.datastore  # type: ignore[attr-defined]
    table = recorder.events_table_name  # type: ignore[attr-defined]

    def probe(ids: Sequence[UUID]) -> dict[UUID, int]:
        versions: dict[UUID, int] = {}
        with datastore.transaction(commit=False) as cursor:
            # Older SQLite builds allow 999 bound parameters per statement.
            for start in range(0, len(ids), SQLITE_PARAMETERS_MAX):
                # The SQLite recorder stores ids as 32 hex digits without dashes.
                chunk = [i.hex for i in ids[start : start + SQLITE_PARAMETERS_MAX]]
                cursor.execute(
                    f"SELECT originator_id, MAX(originator_version) FROM {table} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) GROUP BY originator_id",
                    chunk,
                )
                versions.update({UUID(row[0]): row[1] for row in cursor.fetchall()})
        return versions

    return probe


PositionProbe = Callable[[UUID, int], "int | None"]


def position_probe_for(recorder: ApplicationRecorder) -> PositionProbe | None:
    """Finds the log position (notification id) of one stored event."""
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, PostgresApplicationRecorder):
        from psycopg import sql

        datastore = recorder.datastore
        statement = sql.SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(sql.Identifier(datastore.schema), sql.Identifier(recorder.events_table_name))

        lock_timeout = sql.SQL("SET LOCAL lock_timeout = '{}s'").format(datastore.lock_timeout)

        def postgres_probe(aggregate_id: UUID, version: int) -> int | None:
            with datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
                cursor.execute(lock_timeout)
                cursor.execute(statement, (aggregate_id, version), prepare=True)
                row = cursor.fetchone()
                return None if row is None else int(row["notification_id"])

        return postgres_probe
    if isinstance(recorder, SQLiteApplicationRecorder):
        sqlite_datastore = recorder.datastore
        table = recorder.events_table_name

        def sqlite_probe(aggregate_id: UUID, version: int) -> int | None:
            with sqlite_datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT rowid FROM {table} WHERE originator_id = ? AND originator_version = ?",
                    (aggregate_id.hex, version),
                )
                row = cursor.fetchone()
                return None if row is None else int(row[0])

        return sqlite_probe
    return None
