"""Storage of the screening log: its own tables and tracked position.

Tables (prefix ``scr_``, next to the log; read models, rewritten freely):

- ``scr_lists``: each list version loaded: ``list_version`` (key), ``source``,
  ``entry_count``, ``alias_count``, ``loaded_at``, ``loaded_by``, ``position``.
- ``scr_screenings``: each screening performed, one row per event:
  ``position`` (key), ``case_id``, ``case_version``, ``recorded_at``,
  ``item_kind``, ``item_id``, ``subject_id``, ``party_name``,
  ``sealed_name``, ``list_version``, ``threshold``, ``result``,
  ``match_count``, ``matches`` (JSON text), ``actor``, ``correlation_id``.
- ``scr_dispositions``: each decision or supersession: ``position`` (key),
  ``case_id``, ``disposition`` (cleared | rejected | superseded), ``reason``
  (the successor case for a supersession), ``actor``, ``recorded_at``,
  ``correlation_id``.
- ``scr_cases``: each case as it stands: ``case_id`` (key), item, name, list
  version, latest ``result``, ``status`` (clear | pending | cleared |
  rejected | superseded), who screened and decided, when, and positions.
- ``scr_tracking``: (``projection_name``, ``position``), kept by
  ``projections.tracking.sql``.

A data subject's name is never here in the clear: ``subject_id`` and
``sealed_name`` (the envelope as JSON text) with ``party_name`` empty; the
reader opens it with the subject's key (``projections.sanctions.screening_log``). An ad
hoc screening has ``subject_id`` and ``sealed_name`` empty and
``party_name`` in the clear. Tables of the layout before these columns are
dropped and folded again from the log (``layout_current``).

Times are fixed-width ISO 8601 UTC text, so text order is time order. A
page's rows and the new position commit in one transaction.
"""

from __future__ import annotations

from typing import Any

from adapters.database import Database
from projections.tracking.sql import Table, TableStore

PREFIX = "scr_"
PROJECTION_NAME = "screening"
LIST_COLUMNS = (
    "list_version",
    "source",
    "entry_count",
    "alias_count",
    "loaded_at",
    "loaded_by",
    "position",
)
SCREENING_COLUMNS = (
    "position",
    "case_id",
    "case_version",
    "recorded_at",
    "item_kind",
    "item_id",
    "subject_id",
    "party_name",
    "sealed_name",
    "list_version",
    "threshold",
    "result",
    "match_count",
    "matches",
    "actor",
    "correlation_id",
)
DISPOSITION_COLUMNS = (
    "position",
    "case_id",
    "disposition",
    "reason",
    "actor",
    "recorded_at",
    "correlation_id",
)
CASE_COLUMNS = (
    "case_id",
    "item_kind",
    "item_id",
    "subject_id",
    "party_name",
    "sealed_name",
    "list_version",
    "result",
    "status",
    "match_count",
    "screened_by",
    "screened_at",
    "screened_position",
    "decided_by",
    "decided_at",
    "decision_reason",
    "decided_position",
    "superseded_by",
    "updated_position",
)
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "lists": (LIST_COLUMNS, "list_version"),
    "screenings": (SCREENING_COLUMNS, "position"),
    "dispositions": (DISPOSITION_COLUMNS, "position"),
    "cases": (CASE_COLUMNS, "case_id"),
}
INDEXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "screenings_case": ("screenings", ("case_id", "position")),
    "screenings_item": ("screenings", ("item_kind", "item_id", "position")),
    "screenings_recorded": ("screenings", ("recorded_at", "position")),
    "cases_status": ("cases", ("status", "screened_position")),
    "cases_item": ("cases", ("item_kind", "item_id", "screened_position")),
    "dispositions_case": ("dispositions", ("case_id", "position")),
}
_INTEGER = frozenset(
    {
        "entry_count",
        "alias_count",
        "position",
        "case_version",
        "threshold",
        "match_count",
        "screened_position",
        "decided_position",
        "updated_position",
    }
)
_NULLABLE = frozenset(
    {"decided_by", "decided_at", "decision_reason", "decided_position", "superseded_by"}
)


SCHEMA = tuple(
    Table(name, columns, (key,), _INTEGER, _NULLABLE, {
        suffix: indexed for suffix, (table, indexed) in INDEXES.items() if table == name
    })
    for name, (columns, key) in TABLES.items()
)  # fmt: skip


class ScreeningStore(TableStore):
    """The ``scr_`` tables of one database, over one connection."""

    projection_name = PROJECTION_NAME
    schema = SCHEMA

    def __init__(self, database: Database, prefix: str = PREFIX) -> None:
        super().__init__(database, prefix)

    # --- writing (inside a transaction) ---------------------------------------

    def append(
        self,
        lists: list[tuple[Any, ...]],
        screenings: list[tuple[Any, ...]],
        dispositions: list[tuple[Any, ...]],
    ) -> None:
        self.insert("lists", lists)
        self.insert("screenings", screenings)
        self.insert("dispositions", dispositions)

    def replace_cases(self, case_ids: list[str], cases: list[tuple[Any, ...]]) -> None:
        self.delete_in("cases", "case_id", case_ids)
        self.insert("cases", cases)

    # --- reading --------------------------------------------------------------

    def case_rows(self, case_ids: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("cases", "case_id", case_ids)

    def select(
        self,
        name: str,
        filters: list[tuple[str, str, Any]],
        order_column: str,
        after: int,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        """Rows of table ``name`` matching every (column, operator, value) with
        ``order_column`` > ``after``, in that column's order."""
        columns = TABLES[name][0]
        clauses = [f"{order_column} > ?"]
        params: list[Any] = [after]
        for column, operator, value in filters:
            assert column in columns and operator in ("=", ">=", "<=")
            clauses.append(f"{column} {operator} ?")
            params.append(value)
        return self.rows(
            f"SELECT {', '.join(columns)} FROM {self.table(name)} "
            f"WHERE {' AND '.join(clauses)} ORDER BY {order_column} LIMIT ?",
            (*params, limit),
        )
