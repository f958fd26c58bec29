"""Sanctions screening commands over the one ``BackOffice`` application.

What the payments and receipts work calls::

    screening = SanctionsScreening(app, registry=subjects, pending_items=pending)
    outcome = screening.screen(
        context, "payment", str(payment_id), payee_name,
        subject_id=payee_subject_id, subject_key=payee_key,
    )
    outcome.result            # "clear" -> proceed; "review" | "hit" -> hold for compliance
    screening.latest_case("payment", str(payment_id)).status
                              # clear | pending | cleared | rejected | superseded

Screening is split in two so an API can answer before it writes: ``assess``
matches a name against the active list (no write, no lock), ``record`` saves
the assessment as a ``ScreeningCase``. ``screen`` is both.

The active list is held in memory per process, keyed by its version (the
SHA-256 of its files, so the same version is the same list in any
database). Every screening first reads ``ActiveSanctionsList`` (a small
aggregate, one query): when another process has loaded a newer list, the new
version's entries are read from its ``SanctionsListLoaded`` event and
indexed once. Without any loaded list, screening refuses (``NoSanctionsList``):
nothing passes unscreened.

A data subject's name (a payee, a payer: ``subject_id`` given) is sealed
under the subject's key in the case (``domain.sanctions.names``), never stored in
the clear; ``case_view`` opens it for a reader (``[erased]`` once the
subject is erased). The key comes with the call (the payments and receipts
hold it already) or from ``registry``. A name screened without a subject
(compliance's ad hoc screening) stays in the clear.

Loading a new version re-screens the items still pending when a provider of
them is set (``pending_items``; ``domain.sanctions.pending`` lists the held
and unapproved payments and receipts); each item's owner then follows its new
case (``on_rescreened``). ``rescreen_pending`` can also be called on its own
(say, after an interrupted load): it skips what is already screened, and
tells the owners of those again (the owners ignore a case they already have).
Re-posting the same list (nothing new is written) also finishes an
interrupted re-screening.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application import CONFLICT_RETRIES_MAX, BackOffice
from domain.kernel import limits
from domain.kernel.errors import ConcurrencyConflict, InvalidInput
from domain.ledger.commands import Context
from domain.sanctions.errors import (
    InvalidSanctionsList,
    NoSanctionsList,
    ScreeningAlreadyDecided,
    ScreeningNotPending,
    UnknownSanctionsList,
    UnknownScreeningCase,
)
from domain.sanctions.matching import (
    NORMALISATION,
    SCORER,
    THRESHOLD_DEFAULT,
    Assessment,
    ListEntry,
    Match,
    ParsedList,
    SanctionsIndex,
    check_source,
    check_threshold,
    parse_list,
)
from domain.sanctions.names import ScreenedSubject, name_fields, opened_name, same_name
from domain.sanctions.screening import (
    ACTIVE_LIST_ID,
    ActiveSanctionsList,
    SanctionsList,
    ScreenedItem,
    ScreeningCase,
    check_item,
    sanctions_list_id,
    screened_item_id,
    screening_case_id,
)
from domain.subjects.errors import SubjectAlreadyErased
from domain.subjects.parties import existing_party
from domain.subjects.service import SubjectRegistry

LIST_ENTRIES_BYTES_MAX = 24 * 2**20
"""Bound on the entries one ``SanctionsListLoaded`` event carries (as JSON)."""
INDEXES_HELD_MAX = 2
SOURCE_DEFAULT = "OFAC SDN"

T = TypeVar("T", bound=Aggregate)

# Content-addressed (version = digest of the files), so shared by every app in the process.
_indexes: OrderedDict[str, SanctionsIndex] = OrderedDict()
_indexes_lock = threading.Lock()


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


class SanctionsScreening:
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
        clock: Callable[[], str] = _now_utc,
    ) -> None:
        self.app = app
        self.threshold = check_threshold(threshold)
        self.registry = registry
        self.pending_items = pending_items
        self.on_rescreened = on_rescreened
        self.clock = clock
        self._summaries: dict[str, dict[str, Any]] = {}

    # --- lists ----------------------------------------------------------------

    @staticmethod
    def parse(sdn_csv: bytes, alt_csv: bytes | None = None) -> ParsedList:
        """Parse and check the files (pure; nothing written). See ``domain.sanctions.matching``."""
        return parse_list(sdn_csv, alt_csv)

    def load_list(
        self,
        context: Context,
        sdn_csv: bytes,
        alt_csv: bytes | None = None,
        source: str = SOURCE_DEFAULT,
    ) -> LoadedList:
        """Load a list version and make it the active one; the same files again
        return the version already in the log (nothing written)."""
        return self.load_parsed(context, self.parse(sdn_csv, alt_csv), source)

    def load_parsed(self, context: Context, parsed: ParsedList, source: str) -> LoadedList:
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
        loaded = None
        for _attempt in range(CONFLICT_RETRIES_MAX):
            with self.app.write_lock:
                existing = self._find(list_id, SanctionsList)
                if existing is not None:
                    loaded = self._loaded(existing, newly_loaded=False, position=None)
                    break
                record = SanctionsList._create(
                    SanctionsList.SanctionsListLoaded,
                    id=list_id,
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
                active = self._active()
                if active is None:
                    active = ActiveSanctionsList._create(
                        ActiveSanctionsList.ListActivated,
                        id=ACTIVE_LIST_ID,
                        list_version=parsed.version,
                        actor=context.actor,
                        correlation_id=context.correlation_id,
                    )
                else:
                    active.trigger_event(
                        ActiveSanctionsList.ListReplaced,
                        list_version=parsed.version,
                        previous_version=active.list_version,
                        actor=context.actor,
                        correlation_id=context.correlation_id,
                    )
                try:
                    recordings = self.app.save(record, active)
                except IntegrityError:
                    continue  # another writer loaded a list meanwhile: look again
                loaded = self._loaded(
                    record, newly_loaded=True, position=recordings[0].notification.id
                )
                break
        if loaded is None:
            raise ConcurrencyConflict("lists were loaded concurrently too often; retry")
        if loaded.newly_loaded and _held_index(parsed.version) is None:
            # Indexed outside the write lock: it takes a while for a long list.
            _hold_index(SanctionsIndex(parsed.version, parsed.entries))
        active_now = self._active()
        if (
            self.pending_items is not None
            and active_now is not None
            and active_now.list_version == loaded.list_version
        ):
            report = self.rescreen_pending(context)
            loaded = replace(loaded, rescreened=report)
        return loaded

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
        return self._find(list_id, SanctionsList) is not None

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
        record = self._find(sanctions_list_id(list_version), SanctionsList)
        if record is None:
            raise UnknownSanctionsList(
                f"sanctions list {list_version} is not in the log", field="list_version"
            )
        return record

    def _active(self) -> ActiveSanctionsList | None:
        return self._find(ACTIVE_LIST_ID, ActiveSanctionsList)

    # --- screening ------------------------------------------------------------

    def assess(self, party_name: str, threshold: int | None = None) -> Assessment:
        """Match a name against the active list; writes nothing."""
        return self.index().assess(party_name, self.threshold if threshold is None else threshold)

    def screen(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        party_name: str,
        *,
        subject_id: UUID | None = None,
        subject_key: bytes | None = None,
        threshold: int | None = None,
    ) -> ScreeningOutcome:
        """Screen an item's party against the active list and record the case.

        ``subject_id``: the party is that data subject, and the case keeps its
        name sealed under the subject's key (``subject_key``, or the registry's)."""
        check_item(item_kind, item_id)
        subject = self._subject(subject_id, subject_key)
        for _attempt in range(CONFLICT_RETRIES_MAX):
            assessment = self.assess(party_name, threshold)
            try:
                return self._record(context, item_kind, item_id, assessment, subject)
            except ListChanged:
                continue  # a new list arrived between matching and recording
        raise ConcurrencyConflict("the sanctions list kept changing; retry")

    def record(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        assessment: Assessment,
        *,
        subject_id: UUID | None = None,
        subject_key: bytes | None = None,
    ) -> ScreeningOutcome:
        """Record ``assessment`` as the item's case for its list version
        (``subject_id``, ``subject_key``: as for ``screen``).

        The same item, version and name again: the existing case (``replayed``).
        ListChanged (a ConcurrencyConflict) when the assessment's list is no
        longer the active one."""
        subject = self._subject(subject_id, subject_key)
        return self._record(context, item_kind, item_id, assessment, subject)

    def _subject(self, subject_id: UUID | None, key: bytes | None) -> ScreenedSubject | None:
        """The subject to seal under (its key given, else the registry's), or None."""
        if subject_id is None:
            assert key is None, "a subject key without its subject id"
            return None
        if key is None:
            assert self.registry is not None, "a subject without its key needs the registry"
            subject = self.registry.get(subject_id)
            key = None if subject.erased else self.registry.keys.key_of(subject_id)
            if key is None:
                raise SubjectAlreadyErased(
                    f"subject {subject_id} was erased: there is no name to screen",
                    field="subject_id",
                )
        return ScreenedSubject(subject_id, key)

    def _record(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        assessment: Assessment,
        subject: ScreenedSubject | None,
    ) -> ScreeningOutcome:
        context.checked()
        item_kind, item_id = check_item(item_kind, item_id)
        case_id = screening_case_id(item_kind, item_id, assessment.list_version)
        names = name_fields(assessment, subject)
        for _attempt in range(CONFLICT_RETRIES_MAX):
            with self.app.write_lock:
                active = self._active()
                if active is None or active.list_version != assessment.list_version:
                    raise ListChanged(
                        f"sanctions list {assessment.list_version} is no longer the active one; "
                        "screen again"
                    )
                case = self._find(case_id, ScreeningCase)
                if (
                    case is not None
                    and same_name(case, names)
                    and case.threshold == assessment.threshold
                ):
                    return self._outcome(case, None, replayed=True)
                changed = self._stage(context, item_kind, item_id, case_id, case, assessment, names)
                try:
                    recordings = self.app.save(*changed)
                except IntegrityError:
                    continue  # the item was screened concurrently: look again
                recorded = changed[0]
                assert isinstance(recorded, ScreeningCase)
                return self._outcome(recorded, recordings[-1].notification.id)
        raise ConcurrencyConflict("the item was screened concurrently too often; retry")

    def _stage(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        case_id: UUID,
        case: ScreeningCase | None,
        assessment: Assessment,
        names: dict[str, Any],
    ) -> list[Aggregate]:
        """The aggregates changed by recording ``assessment``, the case first."""
        common: dict[str, Any] = {
            **names,
            "threshold": assessment.threshold,
            "scorer": SCORER,
            "normalisation": NORMALISATION,
            "result": assessment.result,
            "matches": [match.as_dict() for match in assessment.matches],
            "actor": context.actor,
            "correlation_id": context.correlation_id,
        }
        if case is not None:  # the same item and version, another name
            case.trigger_event(ScreeningCase.ScreeningRepeated, **common)
            return [case]
        item = self._find(screened_item_id(item_kind, item_id), ScreenedItem)
        previous = None
        if item is not None and item.latest_case_id != str(case_id):
            previous = self._find(UUID(item.latest_case_id), ScreeningCase)
            if previous is not None and not previous.undecided:
                previous = None
        case = ScreeningCase._create(
            ScreeningCase.ScreeningPerformed,
            id=case_id,
            item_kind=item_kind,
            item_id=item_id,
            list_version=assessment.list_version,
            supersedes="" if previous is None else str(previous.id),
            **common,
        )
        changed: list[Aggregate] = [case]
        if previous is not None:
            previous.trigger_event(
                ScreeningCase.ScreeningSuperseded,
                by_case_id=str(case_id),
                list_version=assessment.list_version,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            changed.append(previous)
        if item is None:
            item = ScreenedItem._create(
                ScreenedItem.ItemScreened,
                id=screened_item_id(item_kind, item_id),
                item_kind=item_kind,
                item_id=item_id,
                case_id=str(case_id),
                list_version=assessment.list_version,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
        else:
            item.trigger_event(
                ScreenedItem.ItemRescreened,
                case_id=str(case_id),
                list_version=assessment.list_version,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
        changed.append(item)
        return changed

    @staticmethod
    def _outcome(
        case: ScreeningCase, position: int | None, *, replayed: bool = False
    ) -> ScreeningOutcome:
        return ScreeningOutcome(
            case.result,
            case.id,
            tuple(Match.from_dict(match) for match in case.matches),
            case.list_version,
            case.status,
            position,
            replayed,
        )

    # --- cases ----------------------------------------------------------------

    def case(self, case_id: UUID) -> ScreeningCase:
        found = self._find(case_id, ScreeningCase)
        if found is None:
            raise UnknownScreeningCase(f"screening case {case_id} does not exist", field="case_id")
        return found

    def case_view(self, case: ScreeningCase) -> dict[str, Any]:
        """The case as a reader sees it: a subject's name opened, or ``[erased]``."""
        if not case.sealed:
            return case.as_dict()
        assert self.registry is not None, "opening a subject's name needs the registry"
        return case.as_dict(opened_name(self.registry, case))

    def latest_case(self, item_kind: str, item_id: str) -> ScreeningCase | None:
        """The item's latest case (None if it was never screened)."""
        item_kind, item_id = check_item(item_kind, item_id)
        item = self._find(screened_item_id(item_kind, item_id), ScreenedItem)
        return None if item is None else self.case(UUID(item.latest_case_id))

    def clear(self, context: Context, case_id: UUID, reason: str) -> int:
        """Compliance clears a review or hit (a false positive), once, with a reason."""
        return self._decide(context, case_id, reason, ScreeningCase.ScreeningCleared)

    def reject(self, context: Context, case_id: UUID, reason: str) -> int:
        """Compliance confirms a review or hit: the item must not proceed."""
        return self._decide(context, case_id, reason, ScreeningCase.ScreeningRejected)

    def _decide(
        self, context: Context, case_id: UUID, reason: str, decision: type[Aggregate.Event]
    ) -> int:
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        for _attempt in range(CONFLICT_RETRIES_MAX):
            with self.app.write_lock:
                case = self.case(case_id)
                if case.decision is not None:
                    raise ScreeningAlreadyDecided(
                        f"screening case {case_id} was already {case.decision} by {case.decided_by}",
                        field="case_id",
                    )
                if case.superseded_by is not None:
                    raise ScreeningNotPending(
                        f"screening case {case_id} was superseded by {case.superseded_by}; "
                        "decide that one",
                        field="case_id",
                    )
                if case.result == "clear":
                    raise ScreeningNotPending(
                        f"screening case {case_id} is clear: there is nothing to decide",
                        field="case_id",
                    )
                case.trigger_event(
                    decision,
                    screening_number=case.screening_number,
                    reason=reason,
                    actor=context.actor,
                    correlation_id=context.correlation_id,
                )
                try:
                    return int(self.app.save(case)[-1].notification.id)
                except IntegrityError:
                    continue  # decided or re-screened concurrently: look again
        raise ConcurrencyConflict("the case changed concurrently too often; retry")

    # --- re-screening ---------------------------------------------------------

    def rescreen_pending(
        self,
        context: Context,
        items: Iterable[PendingItem] | None = None,
        *,
        list_version: str | None = None,
    ) -> RescreenReport:
        """Screen every pending item against the active list (``list_version``, if
        given, must be it) on a new case; the item's undecided case is superseded.
        Items already screened against it, or whose latest case compliance decided,
        are skipped; so are items whose subject was erased. ``items``: default the
        ``pending_items`` provider. Each item screened, or found already screened,
        is passed to ``on_rescreened`` with its latest case."""
        context.checked()
        if items is None:
            if self.pending_items is None:
                raise InvalidInput("items: none given and no pending-items provider is set")
            items = self.pending_items()
        index = self.index()
        if list_version is not None and list_version != index.list_version:
            raise ListChanged(
                f"sanctions list {list_version} is not the active one ({index.list_version})"
            )
        report = RescreenReport(index.list_version)
        for item in items:
            item_kind, item_id = check_item(item.item_kind, item.item_id)
            latest = self.latest_case(item_kind, item_id)
            if latest is not None and latest.list_version == index.list_version:
                report.already_screened.append(item)
                self._tell_owner(context, item, self._outcome(latest, None, replayed=True))
                continue
            if latest is not None and latest.decision is not None:
                report.skipped_decided.append(item)
                continue
            named = self._pending_name(item)
            if named is None:
                report.skipped_erased.append(item)
                continue
            party_name, subject = named
            assessment = index.assess(party_name, self.threshold)
            outcome = self._record(context, item_kind, item_id, assessment, subject)
            report.screened.append(outcome)
            self._tell_owner(context, item, outcome)
        return report

    def _pending_name(self, item: PendingItem) -> tuple[str, ScreenedSubject | None] | None:
        """The name to screen a pending item under, and its subject; None once erased."""
        if item.subject_id is None:
            return item.party_name, None
        assert self.registry is not None, "re-screening a subject's item needs the registry"
        try:
            party = existing_party(self.registry, item.subject_id, field="subject_id")
        except SubjectAlreadyErased:
            return None
        return party.name, ScreenedSubject(party.subject_id, party.key)

    def _tell_owner(self, context: Context, item: PendingItem, outcome: ScreeningOutcome) -> None:
        if self.on_rescreened is not None:
            self.on_rescreened(context, item, outcome)

    # --- helpers --------------------------------------------------------------

    def _find(self, aggregate_id: UUID, kind: type[T]) -> T | None:
        try:
            found: object = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None
