"""Rebuild projections: the same fold, from position 0, into fresh tables.

Each rebuild folds into tables of its own (``<prefix>rebuild_``) and swaps
them in for the live ones in one transaction at the end, so queries keep
answering from the old tables meanwhile and a failed rebuild leaves the live
projection as it was. Events appended during the rebuild are picked up by
the next ``catch_up`` of the live projection, from the swapped-in position.
Every projection of ``projections.registry`` can be rebuilt; the others are
left untouched by a rebuild of one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from adapters.database import Database
from projections.registry import REGISTRY, Registration, UnknownProjection, registration, selected
from projections.tracking.base import Progress, RebuildStats

PROJECTIONS = tuple(entry.name for entry in REGISTRY)

__all__ = [
    "PROJECTIONS",
    "Progress",
    "RebuildStats",
    "UnknownProjection",
    "check_projection",
    "fold_into",
    "rebuild",
    "rebuild_all",
]


def check_projection(projection: str) -> Registration:
    """The registration of ``projection``; UnknownProjection lists the known ones."""
    return registration(projection)


def rebuild(
    database: Database,
    projection: str = "balances",
    progress: Progress | None = None,
    *,
    page_size: int | None = None,
) -> RebuildStats:
    """Fold the whole log into fresh tables, then swap them in for the live ones."""
    entry = check_projection(projection)
    live = entry.open(database, catch_up_on_query=False)
    try:
        return live.replay(progress, page_size=page_size)
    finally:
        live.close()


def rebuild_all(
    database: Database,
    names: Sequence[str] | None = None,
    progress: Callable[[str], Progress | None] | None = None,
) -> list[RebuildStats]:
    """Rebuild the projections named (all by default), one after the other;
    unknown names are refused before any is rebuilt. ``progress(name)`` gives
    the callback of each."""
    entries = selected(list(names or ()))
    return [
        rebuild(database, entry.name, progress(entry.name) if progress else None)
        for entry in entries
    ]


def fold_into(
    database: Database,
    projection: str,
    prefix: str,
    *,
    up_to: int | None = None,
    progress: Progress | None = None,
) -> tuple[RebuildStats, Any]:
    """Drop and recreate ``projection``'s tables of ``prefix`` and fold positions
    1..``up_to`` (default: the head now) into them; return the stats and the
    fold's end state (for the invariant checks). The caller closes nothing: the
    tables stay, the connection does not."""
    entry = check_projection(projection)
    folding = entry.open(database, prefix=prefix, catch_up_on_query=False)
    try:
        return folding.load_from_scratch(up_to=up_to, progress=progress)
    finally:
        folding.close()
