"""The raw read reference: keyset pages of the events table with psycopg, each state decoded by orjson.

This is the floor under any rebuild: reading and decoding every event with
nothing folded or written.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import psycopg
from psycopg import sql

from adapters.database import parse_database_url, postgres_connect_kwargs

PAGE_SIZE = 10_000


def measure_raw_read(url: str, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    database = parse_database_url(url)
    statement = sql.SQL(
        "SELECT notification_id, topic, state FROM {}.backoffice_events "
        "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(sql.Identifier(database.schema))
    events = 0
    last = 0
    started = time.perf_counter()
    with psycopg.connect(**postgres_connect_kwargs(database)) as conn:  # type: ignore[arg-type]
        cursor = conn.cursor()
        while True:
            cursor.execute(statement, (last, page_size))
            rows = cursor.fetchall()
            if not rows:
                break
            for _position, _topic, state in rows:
                orjson.loads(state)
            events += len(rows)
            last = rows[-1][0]
    seconds = time.perf_counter() - started
    return {"events": events, "page_size": page_size, "seconds": round(seconds, 3),
            "events_per_s": round(events / seconds)}
