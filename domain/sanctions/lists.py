"""Sanctions lists: loading a version, the active one, and its index held in memory.

The base of ``SanctionsScreening`` (``domain.sanctions.service``), which adds
screening, cases and re-screening; see that module for the whole story.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from domain.application import BackOffice
from domain.kernel.context import Context
from domain.kernel.unit_of_work import Decided, Recordings, find, unit_of_work
from domain.sanctions.active_list import ActiveSanctionsList
from domain.sanctions.errors import InvalidSanctionsList, NoSanctionsList, UnknownSanctionsList
from domain.sanctions.list_files import ListEntry, ParsedList, parse_list
from domain.sanctions.matching import (
    NORMALISATION,
    THRESHOLD_DEFAULT,
    SanctionsIndex,
    check_source,
    check_threshold,
)
from domain.sanctions.outcomes import (
    DecisionFollowers,
    LoadedList,
    PendingItems,
    Rescreened,
)
from domain.sanctions.sanctions_list import SanctionsList
from domain.sanctions.screening import ACTIVE_LIST_ID, sanctions_list_id
from domain.subjects.service import SubjectRegistry

LIST_ENTRIES_BYTES_MAX = 24 * 2**20
"""Bound on the entries one ``SanctionsListLoaded`` event carries (as JSON)."""
INDEXES_HELD_MAX = 2
SOURCE_DEFAULT = "OFAC SDN"

# Content-addressed (version = digest of the files), so shared by every app in the process.
_indexes: OrderedDict[str, SanctionsIndex] = OrderedDict()
_indexes_lock = threading.Lock()


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _held_index(list_version: str) -> SanctionsIndex | None:
    with _indexes_lock:
        index = _indexes.get(list_version)
        if index is not None:
            _indexes.move_to_end(list_version)
        return index


def _hold_index(index: SanctionsIndex) -> None:
    with _indexes_lock:
        _indexes[index.list_version] = index
        while len(_indexes) > INDEXES_HELD_MAX:
            _indexes.popitem(last=False)


class SanctionsLists:
    """The sanctions commands over ``app``; ``threshold``: the fuzzy score (0-100)
    at or above which a name goes to review; ``registry``: the data subjects
    (to read a pending item's name, find a key, open a sealed name);
    ``pending_items``: the provider of items to re-screen when a new list
    version is loaded, and ``on_rescreened`` what tells their owners."""

    def __init__(
        self,
        app: BackOffice,
        *,
        threshold: int = THRESHOLD_DEFAULT,
        registry: SubjectRegistry | None = None,
        pending_items: PendingItems | None = None,
        on_rescreened: Rescreened | None = None,
        on_decided: DecisionFollowers | None = None,
        clock: Callable[[], str] = _now_utc,
    ) -> None:
        self.app = app
        self.threshold = check_threshold(threshold)
        self.registry = registry
        self.pending_items = pending_items
        self.on_rescreened = on_rescreened
        self.on_decided = on_decided
        self.clock = clock
        self._summaries: dict[str, dict[str, Any]] = {}

    @staticmethod
    def parse(sdn_csv: bytes, alt_csv: bytes | None = None) -> ParsedList:
        """Parse and check the files (pure; nothing written). See ``domain.sanctions.matching``."""
        return parse_list(sdn_csv, alt_csv)

    def _commit_list(self, context: Context, parsed: ParsedList, source: str) -> LoadedList:
        """Write the list version and make it the active one (nothing written when
        it is in the log already), and hold its index."""
        context.checked()
        source = check_source(source)
        entries = [entry.compact() for entry in parsed.entries]
        size = len(orjson.dumps(entries))
        if size > LIST_ENTRIES_BYTES_MAX:
            raise InvalidSanctionsList(
                f"the list's entries take {size} bytes; at most {LIST_ENTRIES_BYTES_MAX}",
                field="sdn.csv",
            )
        list_id = sanctions_list_id(parsed.version)

        def decide() -> Decided[LoadedList]:
            existing = find(self.app, list_id, SanctionsList)
            if existing is not None:
                known = self._loaded(existing, newly_loaded=False, position=None)
                return Decided((), lambda _nothing: known)
            record = self._new_list(context, parsed, source, entries)

            def answer(recordings: Recordings) -> LoadedList:
                position = recordings[0].notification.id
                return self._loaded(record, newly_loaded=True, position=position)

            # Another writer loading a list meanwhile collides on the active list.
            return Decided([record, self._activated(context, parsed.version)], answer)

        loaded = unit_of_work(
            self.app, decide, conflict="lists were loaded concurrently too often; retry"
        )
        if loaded.newly_loaded and _held_index(parsed.version) is None:
            # Indexed outside the write lock: it takes a while for a long list.
            _hold_index(SanctionsIndex(parsed.version, parsed.entries))
        return loaded

    def _new_list(
        self, context: Context, parsed: ParsedList, source: str, entries: list[list[Any]]
    ) -> SanctionsList:
        record: SanctionsList = SanctionsList.loaded(
            id=sanctions_list_id(parsed.version),
            list_version=parsed.version,
            source=source,
            sdn_sha256=parsed.sdn_sha256,
            alt_sha256=parsed.alt_sha256,
            entry_count=parsed.entry_count,
            alias_count=parsed.alias_count,
            loaded_at=self.clock(),
            normalisation=NORMALISATION,
            entries=entries,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return record

    def _activated(self, context: Context, list_version: str) -> ActiveSanctionsList:
        """The active-list record, created or moved on to ``list_version``."""
        active = self._active()
        if active is None:
            created: ActiveSanctionsList = ActiveSanctionsList.activated(
                id=ACTIVE_LIST_ID,
                list_version=list_version,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return created
        active.trigger_event(
            ActiveSanctionsList.ListReplaced,
            list_version=list_version,
            previous_version=active.list_version,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return active

    @staticmethod
    def _loaded(record: SanctionsList, *, newly_loaded: bool, position: int | None) -> LoadedList:
        return LoadedList(
            record.list_version,
            record.source,
            record.entry_count,
            record.alias_count,
            record.loaded_at,
            newly_loaded,
            position,
        )

    def known_version(self, list_version: str) -> bool:
        """Whether this list version was loaded before (without reading its entries
        when the store can answer from versions alone)."""
        list_id = sanctions_list_id(list_version)
        if self.app.version_probe is not None:
            return list_id in self.app.version_probe([list_id])
        return find(self.app, list_id, SanctionsList) is not None

    def current_list(self) -> dict[str, Any] | None:
        """The active list's summary (version, source, digests, counts, who loaded
        it and when), or None when no list was loaded."""
        active = self._active()
        if active is None:
            return None
        return self.list_summary(active.list_version)

    def list_summary(self, list_version: str) -> dict[str, Any]:
        summary = self._summaries.get(list_version)
        if summary is None:
            summary = self._summaries[list_version] = self._list(list_version).summary()
        return dict(summary)

    def index(self) -> SanctionsIndex:
        """The active list, indexed (read from the log when it changed)."""
        active = self._active()
        if active is None:
            raise NoSanctionsList("no sanctions list is loaded; load one first")
        index = _held_index(active.list_version)
        if index is None:
            record = self._list(active.list_version)
            entries = [ListEntry.from_compact(row) for row in record.entries]
            index = SanctionsIndex(record.list_version, entries)
            _hold_index(index)
        return index

    def _list(self, list_version: str) -> SanctionsList:
        record = find(self.app, sanctions_list_id(list_version), SanctionsList)
        if record is None:
            raise UnknownSanctionsList(
                f"sanctions list {list_version} is not in the log", field="list_version"
            )
        return record

    def _active(self) -> ActiveSanctionsList | None:
        return find(self.app, ACTIVE_LIST_ID, ActiveSanctionsList)
