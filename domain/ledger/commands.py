"""Commands: what callers ask the back office to do, as plain values.

Amounts inside commands are still decimal strings (the edge format); the
application parses them against the asset's scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.kernel.context import Context


@dataclass(frozen=True, slots=True)
class PostJournalEntry:
    """Post (or, with ``pending``, reserve) a balanced entry under ``idempotency_key``.

    ``postings``: list of {"account", "direction", "amount" (decimal string), "asset"}.
    """

    context: Context
    idempotency_key: str
    effective_date: str
    postings: list[dict[str, Any]]
    description: str = ""
    reference: str = ""
    pending: bool = False
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostingOutcome:
    """Result of a posting command: the entry id, its log position, and whether
    it was an idempotent replay of an earlier identical command (position is
    then the original's when known, else None)."""

    entry_id: UUID
    position: int | None
    replayed: bool = False
