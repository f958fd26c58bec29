"""What the screening commands answer: loaded lists, screening outcomes,
re-screening reports, and the pending items a re-screening works through."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict
from domain.sanctions.matching import Match


class ListChanged(ConcurrencyConflict):
    """The sanctions list changed between matching and recording; screen again."""


@dataclass(frozen=True, slots=True)
class PendingItem:
    """An item whose owner (a payment, a receipt) is still pending: its party is
    the data subject ``subject_id`` (its name is read, and sealed, through the
    registry), or, without a subject, ``party_name`` as given (in the clear)."""

    item_kind: str
    item_id: str
    party_name: str = ""
    subject_id: UUID | None = None


PendingItems = Callable[[], Iterable[PendingItem]]


@dataclass(frozen=True, slots=True)
class LoadedList:
    """A list version in the log. ``newly_loaded`` is False when these files were
    loaded before (nothing was written); ``position`` is then None."""

    list_version: str
    source: str
    entry_count: int
    alias_count: int
    loaded_at: str
    newly_loaded: bool
    position: int | None
    rescreened: RescreenReport | None = None


@dataclass(frozen=True, slots=True)
class ScreeningOutcome:
    """``result``: clear | review | hit; ``status``: the case's now (clear |
    pending | cleared | rejected | superseded); ``replayed``: the same item and
    name were screened against this version before (nothing new was written)."""

    result: str
    case_id: UUID
    matches: tuple[Match, ...]
    list_version: str
    status: str
    position: int | None = None
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "case_id": str(self.case_id),
            "matches": [match.as_dict() for match in self.matches],
            "list_version": self.list_version,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class RescreenReport:
    """``skipped_erased``: items whose subject was erased (no name left to screen)."""

    list_version: str
    screened: list[ScreeningOutcome] = field(default_factory=list)
    already_screened: list[PendingItem] = field(default_factory=list)
    skipped_decided: list[PendingItem] = field(default_factory=list)
    skipped_erased: list[PendingItem] = field(default_factory=list)


Rescreened = Callable[[Context, PendingItem, ScreeningOutcome], object]
"""Tells an item's owner its latest case after a re-screening (idempotent)."""

DecisionFollowers = Callable[[Context, str, str, str, UUID], Sequence[Aggregate]]
"""(context, item kind, item id, decision ``cleared`` | ``rejected``, case id) ->
the item owners' aggregates that follow compliance's decision, staged (not saved):
they are saved in the same commit as the decision."""
