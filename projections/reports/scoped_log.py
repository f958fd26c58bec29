"""Reading only a report's topics, or one aggregate's events, with the filter in SQL.

``LogReader`` hands every event of the log to Python, which decodes its
state before a report's scope drops most of them. A compliance report reads
a sliver of the log (cash receipts and settled payments), so the database
filters the topics instead: pages are still keyset pages on the position, in
log order, and the events that come back are exactly those the unfiltered
read would have kept.
"""

from __future__ import annotations

from typing import Any

from adapters.database import Database
from adapters.log_reader import (
    _SQLITE_ID,
    POSTGRES_EVENTS_TABLE,
    SQLITE_EVENTS_TABLE,
    LogEvent,
    LogReader,
    decode_rows,
)


class ScopedLogReader(LogReader):
    """A ``LogReader`` whose pages hold only events with one of ``topics``."""

    def __init__(self, database: Database, topics: frozenset[str]) -> None:
        super().__init__(database)
        assert topics, "a scoped read needs at least one topic"
        self.topics = sorted(topics)

    def _fetch_rows(self, after: int, page_size: int, up_to: int | None) -> list[tuple[Any, ...]]:
        # As in LogReader, the upper bound stays out of the SQL: the keyset
        # walk of the position index is the plan wanted either way.
        rows: list[tuple[Any, ...]]
        if self.database.backend == "sqlite":
            marks = ", ".join("?" * len(self.topics))
            sql = (
                f"SELECT rowid, {_SQLITE_ID}, originator_version, topic, state "
                f"FROM {SQLITE_EVENTS_TABLE} WHERE rowid > ? AND topic IN ({marks}) "
                "ORDER BY rowid LIMIT ?"
            )
            rows = self._connect().execute(sql, (after, *self.topics, page_size)).fetchall()
        else:
            sql = (
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                f'FROM "{self.database.schema}".{POSTGRES_EVENTS_TABLE} '
                "WHERE notification_id > %s AND topic = ANY(%s) "
                "ORDER BY notification_id LIMIT %s"
            )
            with self._connect().cursor(binary=True) as cursor:
                rows = cursor.execute(sql, (after, self.topics, page_size)).fetchall()
        if up_to is not None and rows and rows[-1][0] > up_to:
            rows = [row for row in rows if row[0] <= up_to]
        return rows


def aggregate_events(database: Database, originator_id: str, up_to: int) -> list[LogEvent]:
    """The events of one aggregate at positions up to ``up_to``, in log order
    (a lookup on the log's (originator_id, version) key)."""
    with LogReader(database) as reader:
        if reader.head_position() == 0:
            return []
        connection = reader._connect()
        if database.backend == "sqlite":
            rows = connection.execute(
                f"SELECT rowid, {_SQLITE_ID}, originator_version, topic, state "
                f"FROM {SQLITE_EVENTS_TABLE} WHERE originator_id IN (?, ?) AND rowid <= ? "
                "ORDER BY rowid",
                (originator_id.replace("-", ""), originator_id, up_to),
            ).fetchall()
        else:
            with connection.cursor(binary=True) as cursor:
                rows = cursor.execute(
                    "SELECT notification_id, originator_id::text, originator_version, topic, "
                    f'state FROM "{database.schema}".{POSTGRES_EVENTS_TABLE} '
                    "WHERE originator_id = %s AND notification_id <= %s ORDER BY notification_id",
                    (originator_id, up_to),
                ).fetchall()
    return decode_rows(rows)
