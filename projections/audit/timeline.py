"""An entity's timeline: each audit row with the aggregate's state after it.

The state comes from the application's event store, folded once: each
domain event (upcast as the application reads it) is applied to the
aggregate of the one before, and the aggregate's public attributes are
rendered to JSON values after each step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.kernel.errors import UnknownEntity

if TYPE_CHECKING:
    from domain.application import BackOffice
    from projections.audit.trail import AuditTrail

RENDER_DEPTH_MAX = 16
"""Nesting depth of rendered state; deeper values are rendered as text."""


def entity_timeline(app: BackOffice, audit: AuditTrail, entity_id: str) -> list[dict[str, Any]]:
    """Each audit row of the entity (version order) with ``state_after``: the
    aggregate's public attributes after that event. UnknownEntity when no
    event of the log belongs to ``entity_id``."""
    rows = audit.history(entity_id)  # checks the id and catches up first (by default)
    if not rows:
        raise UnknownEntity(f"entity {entity_id!r} has no events", field="entity_id")
    states: dict[int, dict[str, Any]] = {}
    aggregate: Any = None
    events: Any = app.repository.event_store.get(UUID(rows[0]["aggregate_id"]))
    for event in events:
        aggregate = event.mutate(aggregate)
        states[event.originator_version] = aggregate_state(aggregate)
    return [{**row, "state_after": states.get(row["aggregate_version"])} for row in rows]


def aggregate_state(aggregate: Any) -> dict[str, Any]:
    """The aggregate's id, version, times and public attributes, as JSON values."""
    state: dict[str, Any] = {
        "id": str(aggregate.id),
        "version": aggregate.version,
        "created_on": aggregate.created_on.isoformat(),
        "modified_on": aggregate.modified_on.isoformat(),
    }
    for name, value in vars(aggregate).items():
        if not name.startswith("_"):
            state[name] = json_value(value)
    return state


def json_value(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON values: UUIDs, dates and decimals as text, records as objects."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if depth >= RENDER_DEPTH_MAX:
        return str(value)
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return json_value(value.value, depth + 1)
    if isinstance(value, Mapping):
        return {str(key): json_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item, depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((json_value(item, depth + 1) for item in value), key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: json_value(getattr(value, field.name), depth + 1)
            for field in dataclasses.fields(value)
        }
    if hasattr(value, "__dict__"):
        return {
            name: json_value(item, depth + 1)
            for name, item in vars(value).items()
            if not name.startswith("_")
        }
    # float stays as-is for JSON (money never is one: amounts are minor units).
    return value if isinstance(value, float) else str(value)
