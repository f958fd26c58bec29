"""The back office application: one event-sourced application, one log.

Every command validates and decides, then triggers events on aggregates and
saves them in one atomic ``save()``: an entry and the guarded-account
records it causes commit together or not at all.

``BackOffice`` is this module's core (saving, riding records, current
aggregates, the probes the composition root sets) composed with each area's
commands on the application itself: the ledger's (``domain.ledger.service``)
and the access tokens' (``domain.access.service``). The other areas' commands
are services over it (``Payments(app, ...)``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording

from domain.access.service import AccessCommands
from domain.kernel.unit_of_work import find
from domain.ledger.service import LedgerCommands

HELD_AGGREGATES_MAX = 100_000


class ApplicationCore(Application[UUID]):
    """Saving, riding records and current aggregates; the areas' commands are mixed in."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Serialises this process's writers: batches, period and account closes.
        self.write_lock = threading.RLock()
        self._asset_scales: dict[str, int] = {}
        # Answers "does this account have a non-zero balance?" from a projection;
        # set by the composition root. Guarded accounts answer from their funds.
        self.balance_probe: Callable[[str], bool] | None = None
        # Answers "latest version of each of these aggregates" in one query;
        # set by the composition root where the store supports it.
        self.version_probe: Callable[[Sequence[UUID]], dict[UUID, int]] | None = None
        self._held: dict[UUID, Any] = {}
        # Answers "log position of this aggregate's event at this version".
        self.position_probe: Callable[[UUID, int], int | None] | None = None
        # A record that rides along with the next save of this thread (see riding()).
        self._riders = threading.local()

    def current_aggregates(self, ids: Sequence[UUID]) -> dict[UUID, Any | None]:
        """The latest state of each aggregate (None where it does not exist).

        With a version probe, one query finds which held aggregates changed and
        only those are reloaded. Returned objects are shared: copy before
        triggering events on them.
        """
        if self.version_probe is None:
            return {aggregate_id: find(self, aggregate_id, Aggregate) for aggregate_id in ids}
        versions = self.version_probe(ids)
        if len(self._held) > HELD_AGGREGATES_MAX:
            self._held.clear()
        found: dict[UUID, Any | None] = {}
        for aggregate_id in ids:
            version = versions.get(aggregate_id)
            if version is None:
                found[aggregate_id] = None
                continue
            held = self._held.get(aggregate_id)
            if held is None or held.version != version:
                held = self._held[aggregate_id] = self.repository.get(aggregate_id)
            found[aggregate_id] = held
        return found

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save, minus its runtime ``Protocol`` checks per object.

        Python 3.11 evaluates ``isinstance`` against runtime-checkable
        protocols slowly (~20 us each, two per aggregate), a fifth of the cost
        of a posting. Our objects are always concrete ``Aggregate``s, so their
        events are collected directly; recording, snapshots and notification
        are the library's own steps.
        """
        make_rider = getattr(self._riders, "make", None)
        if make_rider is not None:
            objs = (*objs, make_rider())
        if kwargs or not all(isinstance(obj, Aggregate) for obj in objs):
            recordings = super().save(*objs, **kwargs)
        else:
            processing_event: ProcessingEvent[UUID] = ProcessingEvent()
            for aggregate in objs:
                processing_event.events.extend(aggregate.collect_events())
                processing_event.aggregates[aggregate.id] = aggregate
            recordings = self._record(processing_event)
            self._take_snapshots(processing_event)
            self._notify(recordings)
        if make_rider is not None and recordings:
            self._riders.make = None  # one commit only
            self._riders.position = recordings[-1].notification.id
        return recordings

    @contextmanager
    def riding(self, make_rider: Callable[[], Aggregate]) -> Iterator[Callable[[], int | None]]:
        """Save ``make_rider()`` in the same commit as this thread's next save.

        The API records a request's response (``CompletedRequest``) this way:
        the effect and the record of it commit together or not at all. The
        maker is called once per attempt (a retried save needs fresh events).
        Yields a function giving the log position of the rider once saved.
        """
        self._riders.make = make_rider
        self._riders.position = None
        try:
            yield lambda: getattr(self._riders, "position", None)
        finally:
            self._riders.make = None

    def position_of(self, aggregate_id: UUID, version: int) -> int | None:
        """The log position of an aggregate's event at ``version`` (None if unknown)."""
        if self.position_probe is None:
            return None
        return self.position_probe(aggregate_id, version)


class BackOffice(LedgerCommands, AccessCommands, ApplicationCore):
    """All aggregates of the back office live in this one application."""

    name = "backoffice"  # pinned: it names tables and tracking rows
    env = {"AGGREGATE_CACHE_MAXSIZE": "20000", "DEEPCOPY_FROM_AGGREGATE_CACHE": "y"}
