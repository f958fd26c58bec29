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

from collections.abc import Iterable
from dataclasses import replace
from uuid import UUID

from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict, InvalidInput
from domain.kernel.unit_of_work import CONFLICT_RETRIES_MAX
from domain.sanctions.cases import ScreeningCases
from domain.sanctions.list_files import ParsedList
from domain.sanctions.lists import SOURCE_DEFAULT
from domain.sanctions.matching import Assessment
from domain.sanctions.names import ScreenedSubject
from domain.sanctions.outcomes import (
    ListChanged,
    LoadedList,
    PendingItem,
    RescreenReport,
    ScreeningOutcome,
)
from domain.sanctions.screening import check_item
from domain.subjects.errors import SubjectAlreadyErased
from domain.subjects.parties import existing_party


class SanctionsScreening(ScreeningCases):
    """The sanctions commands over ``app``; ``threshold``: the fuzzy score (0-100)
    at or above which a name goes to review; ``registry``: the data subjects
    (to read a pending item's name, find a key, open a sealed name);
    ``pending_items``: the provider of items to re-screen when a new list
    version is loaded, and ``on_rescreened`` what tells their owners."""

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
        loaded = self._commit_list(context, parsed, source)
        active_now = self._active()
        if (
            self.pending_items is not None
            and active_now is not None
            and active_now.list_version == loaded.list_version
        ):
            report = self.rescreen_pending(context)
            loaded = replace(loaded, rescreened=report)
        return loaded

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
