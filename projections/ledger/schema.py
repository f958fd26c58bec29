"""Tables of the balances projection, and the rows that go into them.

All tables carry a prefix (``bal_`` for the live projection, others for
rebuilds and verify's shadow copy) and live next to the log, in the same
SQLite file or PostgreSQL schema:

- ``accounts``: code, aggregate id, name, type, assets and flags (JSON), positions.
- ``balances``: one row per (account, asset) with a dense ``balance_id``
  (numbered in order of first posting, so every replay numbers them alike),
  the current counters and the position of the last change.
- ``history``: one row per (event x account x asset): deltas and running
  totals, keyed (balance_id, position), so "as of position N" is one index
  lookup. Integer keys index several times faster than (account, asset) text.
- ``daily``: summed deltas per (balance_id, effective_date), so "as of date
  D" is a short SUM over days.
- ``entries``: entry id -> position, status, effective date, reversal links,
  and the postings of two-phase entries (needed to post or void them later).
- ``periods``, ``assets``: what the fold needs to reload after a restart.
- ``tracking``: (projection_name, application_name, position).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import orjson

from projections.ledger.state import AccountInfo

PREFIX_LIVE = "bal_"
PREFIX_SHADOW = "bal_shadow_"
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,23}_\Z")
COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
DELTAS = tuple(f"{name}_delta" for name in COUNTERS)

# Columns per table, in the order rows are written and digested.
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("code", "account_id", "name", "account_type", "assets", "flags",
                 "opened_position", "closed_position"),
    "balances": ("balance_id", "account", "asset", *COUNTERS, "position"),
    "history": ("balance_id", "position", "effective_date", *DELTAS, *COUNTERS),
    "daily": ("balance_id", "effective_date", *DELTAS),
    "entries": ("entry_id", "position", "status", "effective_date", "reverses",
                "pending_postings", "resolved_position", "reversed_by", "reversed_position"),
    "periods": ("period", "period_id", "closed", "position"),
    "assets": ("code", "scale", "position"),
    "tracking": ("projection_name", "application_name", "position"),
}  # fmt: skip
KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("code",),
    "balances": ("balance_id",),
    "history": ("balance_id", "position"),
    "daily": ("balance_id", "effective_date"),
    "entries": ("entry_id",),
    "periods": ("period",),
    "assets": ("code",),
    "tracking": ("projection_name", "application_name"),
}
UNIQUE: dict[str, tuple[str, ...]] = {"balances": ("account", "asset")}
OPEN_ENTRIES = "pending_postings IS NOT NULL OR reversed_by IS NOT NULL"
"""The entries a reloading fold needs (two-phase or reversed): a partial index
keeps that reload from scanning every entry ever posted."""
DEFERRABLE_KEYS = ("history", "entries")
"""The big append-only tables: a load from scratch adds their keys at the end."""
INTEGER_COLUMNS = frozenset(
    {*COUNTERS, *DELTAS, "balance_id", "position", "opened_position", "closed_position",
     "closed", "resolved_position", "reversed_position", "scale"}
)  # fmt: skip
_NULLABLE = frozenset(
    {"closed_position", "reverses", "pending_postings", "resolved_position", "reversed_by",
     "reversed_position"}
)  # fmt: skip


class CounterRow(NamedTuple):
    """Counters of one (account, asset), in minor units."""

    account: str
    asset: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int


def create_table_sql(
    table: str, name: str, *, integer_type: str, text_type: str, suffix: str, keyed: bool
) -> str:
    typed = ", ".join(
        f"{column} {integer_type if column in INTEGER_COLUMNS else text_type}"
        + ("" if column in _NULLABLE else " NOT NULL")
        for column in COLUMNS[name]
    )
    constraints = f", {key_clause(name)}" if keyed else ""
    if name in UNIQUE:
        constraints += f", UNIQUE ({', '.join(UNIQUE[name])})"
    return f"CREATE TABLE IF NOT EXISTS {table} ({typed}{constraints}){suffix}"


def open_entries_index_sql(prefix: str, table: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {prefix}entries_open ON {table} (entry_id) WHERE {OPEN_ENTRIES}"


def key_clause(name: str) -> str:
    # Unnamed: PostgreSQL picks a free index name, so a swapped-in rebuild
    # never collides with the names of the tables it replaces.
    return f"PRIMARY KEY ({', '.join(KEYS[name])})"


def upsert_sql(table: str, name: str, *, add: bool) -> str:
    """INSERT ... ON CONFLICT that adds to (``add``) or replaces the non-key columns."""
    columns = COLUMNS[name]
    keys = KEYS[name]
    others = [column for column in columns if column not in keys]
    if add:
        updates = ", ".join(f"{column} = cur.{column} + excluded.{column}" for column in others)
    else:
        updates = ", ".join(f"{column} = excluded.{column}" for column in others)
    return (
        f"INSERT INTO {table} AS cur ({', '.join(columns)}) "
        f"VALUES ({', '.join(['?'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def account_row(info: AccountInfo) -> tuple[Any, ...]:
    return (
        info.code,
        info.account_id,
        info.name,
        info.account_type,
        orjson.dumps(info.assets).decode(),
        orjson.dumps(info.flags).decode(),
        info.opened_position,
        info.closed_position,
    )


def account_from_row(row: tuple[Any, ...]) -> AccountInfo:
    code, account_id, name, account_type, assets, flags, opened, closed = row
    return AccountInfo(
        code=code,
        account_id=account_id,
        name=name,
        account_type=account_type,
        assets=orjson.loads(assets),
        flags=orjson.loads(flags),
        opened_position=int(opened),
        closed_position=None if closed is None else int(closed),
    )
