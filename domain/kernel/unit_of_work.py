"""Load, decide, save in one commit, and decide again after a collision.

Every command of every area works the same way: under the application's write
lock (which serialises this process's writers with the group committer) it
loads the aggregates it needs, decides (triggering events, or refusing), and
saves what changed in one atomic ``save()``. Other processes are caught by the
aggregates' versions: a collision (``IntegrityError``) means someone else
wrote meanwhile, so the command loads and decides again, a bounded number of
times. ``unit_of_work`` is that loop, once; ``save_retrying`` and
``save_if_changed`` are its two common answers (the commit's position, or
None when nothing changed). ``find`` and ``ids_with_topic`` are the reads the
deciding steps share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, Recording
from eventsourcing.utils import get_topic

from domain.kernel.errors import ConcurrencyConflict

CONFLICT_RETRIES_MAX = 8
"""Attempts against concurrent writers before a command gives up (safe to retry)."""
CONFLICT_MESSAGE = "changed concurrently by other writers too often; retry"
LOG_PAGE_SIZE = 1000

T = TypeVar("T")
R = TypeVar("R")
Recordings = Sequence[Recording[UUID]]


class Store(Protocol):
    """What the steps read: the application's repository and recorder."""

    @property
    def repository(self) -> Repository[UUID]: ...

    @property
    def recorder(self) -> ApplicationRecorder: ...


class Writer(Store, Protocol):
    """What a unit of work needs of the application: its lock and its save."""

    @property
    def write_lock(self) -> AbstractContextManager[Any]: ...

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]: ...


@dataclass(frozen=True, slots=True)
class Decided(Generic[R]):
    """What one attempt decided: ``changed``, saved together in one commit
    (nothing is saved when it is empty), and how the command answers from that
    commit's recordings (empty when nothing was saved)."""

    changed: Sequence[Aggregate]
    answer: Callable[[Recordings], R]


def unit_of_work(
    app: Writer, decide: Callable[[], Decided[R]], *, conflict: str = CONFLICT_MESSAGE
) -> R:
    """Decide (``decide`` loads, triggers or refuses) and save in one commit under
    the write lock; after a collision with another writer, load and decide again.
    ConcurrencyConflict(``conflict``) after ``CONFLICT_RETRIES_MAX`` collisions."""
    for _attempt in range(CONFLICT_RETRIES_MAX):
        with app.write_lock:
            decided = decide()
            if not decided.changed:
                return decided.answer(())
            try:
                recordings = app.save(*decided.changed)
            except IntegrityError:
                continue
            return decided.answer(recordings)
    raise ConcurrencyConflict(conflict)


def last_position(recordings: Recordings) -> int:
    """The log position of the commit's last event (every effect is visible there)."""
    assert recordings, "a command that commits changes something"
    return int(max(recording.notification.id for recording in recordings))


def position_or_none(recordings: Recordings) -> int | None:
    return last_position(recordings) if recordings else None


def save_retrying(
    app: Writer, decide: Callable[[], Sequence[Aggregate]], *, conflict: str = CONFLICT_MESSAGE
) -> int:
    """``unit_of_work`` for a command that always changes something: the log
    position of its commit."""
    return unit_of_work(app, lambda: Decided(decide(), last_position), conflict=conflict)


def save_if_changed(app: Writer, decide: Callable[[], Sequence[Aggregate]]) -> int | None:
    """``unit_of_work`` for a command that may find nothing to do: None, and
    nothing saved (no empty commit, no API request's rider spent on it), when
    ``decide`` changed nothing; else the log position of its commit."""
    return unit_of_work(app, lambda: Decided(decide(), position_or_none))


def save_once(
    app: Writer, *changed: Aggregate, conflict: str = "changed concurrently by another writer; retry"
) -> int:
    """Save what the caller decided under the write lock it holds, without a
    retry: a collision means another process changed (or created) the aggregate
    meanwhile, and the caller is told so."""
    try:
        recordings = app.save(*changed)
    except IntegrityError:
        raise ConcurrencyConflict(conflict) from None
    return last_position(recordings)


def save_new(
    app: Writer,
    created: Aggregate,
    *alongside: Aggregate,
    exists: Callable[[], Exception],
) -> int:
    """Save a newly created aggregate (``alongside`` ones first, in the same
    commit), or refuse with ``exists()`` when its id is taken already (seen
    here, or by the store when another process created it meanwhile)."""
    with app.write_lock:
        if find(app, created.id, Aggregate) is not None:
            raise exists()
        try:
            recordings = app.save(*alongside, created)
        except IntegrityError:
            raise exists() from None
    return last_position(recordings)


def find(app: Store, aggregate_id: UUID, kind: type[T]) -> T | None:
    """The aggregate ``aggregate_id`` if it exists and is a ``kind``, else None."""
    try:
        found: object = app.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, kind) else None


def ids_with_topic(app: Store, event_class: type) -> list[UUID]:
    """Ids of aggregates created by ``event_class``, in log order. A projection
    (status -> ids) takes over when their number makes this scan slow."""
    topic = get_topic(event_class)
    ids: list[UUID] = []
    start = 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=LOG_PAGE_SIZE, topics=[topic])
        ids.extend(UUID(str(notification.originator_id)) for notification in page)
        if len(page) < LOG_PAGE_SIZE:
            return ids
        start = page[-1].id + 1
