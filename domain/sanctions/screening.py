"""Sanctions screening as events: lists loaded, the active list, screening cases.

- ``SanctionsList`` (id ``uuid5(version)``): ``SanctionsListLoaded`` keeps the
  whole list in compact form (``[ent_num, name, type, program, [aliases]]``),
  so any screening decision can be re-derived from the log alone. Loading the
  same files twice collides on the id.
- ``ActiveSanctionsList`` (one per log): which version screening uses now;
  each load of a new version moves it. Its aggregate version is the cheap
  check a process makes before trusting the list it holds in memory.
- ``ScreeningCase`` (id ``uuid5(item kind, item id, list version)``): one
  item screened against one list version. ``ScreeningPerformed`` records the
  name as screened, the result and the matches; a review or hit is then
  ``ScreeningCleared`` or ``ScreeningRejected`` by compliance, once; a
  pending case whose item was screened again against a newer list is
  ``ScreeningSuperseded``.
- ``ScreenedItem`` (id ``uuid5(item kind, item id)``): which case is the
  item's latest, so the owner of the item (a payment) finds it after a
  re-screening, and concurrent screenings of one item serialise on it.

The name screened is personal data when it is a data subject's (a payee, a
payer): then the case keeps the ``subject_id``, the name sealed under the
subject's key (``sealed_name``, field ``screened_name``: its own associated
data, so it cannot be passed off as the subject's ``name``) and a keyed
digest of its normal form (``name_digest``, to recognise the same name
again), and never the name itself: erasing the subject leaves the case
unreadable as to who, and intact as to what was found. An ad hoc screening
(compliance typing a name, no subject) keeps ``party_name`` and
``normalised_name`` in the clear. Version 1 events (before subjects) carry
the clear name only and are upcast with an empty subject.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.topics import pin_topics

ITEM_KINDS = ("payment", "receipt", "other")
ITEM_ID_LENGTH_MAX = 128
CASE_STATUSES = ("clear", "pending", "cleared", "rejected", "superseded")
SEALED_NAME_FIELD = "screened_name"
"""The sealed field (associated data) of a subject's name as screened."""
NAME_DIGEST_FIELD = "screened_name_normalised"
"""The field the normal form of a subject's screened name is blinded under."""
DECISIONS = ("cleared", "rejected")
_LIST_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:sanctions-list")
_CASE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:screening-case")
_ITEM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:screened-item")
ACTIVE_LIST_ID = uuid5(NAMESPACE_URL, "urn:backoffice:active-sanctions-list")


def sanctions_list_id(list_version: str) -> UUID:
    return uuid5(_LIST_NAMESPACE, list_version)


def screening_case_id(item_kind: str, item_id: str, list_version: str) -> UUID:
    return uuid5(_CASE_NAMESPACE, f"{item_kind}\x00{item_id}\x00{list_version}")


def screened_item_id(item_kind: str, item_id: str) -> UUID:
    return uuid5(_ITEM_NAMESPACE, f"{item_kind}\x00{item_id}")


def upcast_name_v1_v2(state: dict[str, Any]) -> None:
    """A version 1 screening named the party in the clear, with no subject."""
    state["subject_id"] = ""
    state["sealed_name"] = None
    state["name_digest"] = ""


def check_item(item_kind: object, item_id: object) -> tuple[str, str]:
    if item_kind not in ITEM_KINDS:
        raise InvalidInput(f"item_kind: one of {', '.join(ITEM_KINDS)}", field="item_kind")
    assert isinstance(item_kind, str)
    return item_kind, limits.bounded_text(item_id, "item_id", ITEM_ID_LENGTH_MAX)


class SanctionsList(Aggregate):
    """One version of a sanctions list, as loaded."""

    class SanctionsListLoaded(Aggregate.Created):
        """``list_version`` (SHA-256 over the files' digests), ``source``, the files'
        ``sdn_sha256``/``alt_sha256``, counts, ``loaded_at`` (UTC ISO 8601), the
        ``normalisation`` names are compared in, and the ``entries``."""

        list_version: str
        source: str
        sdn_sha256: str
        alt_sha256: str
        entry_count: int
        alias_count: int
        loaded_at: str
        normalisation: str
        entries: list[list[Any]]
        actor: str
        correlation_id: str

    def __init__(  # the SanctionsListLoaded fields; only assigns
        self,
        list_version: str,
        source: str,
        sdn_sha256: str,
        alt_sha256: str,
        entry_count: int,
        alias_count: int,
        loaded_at: str,
        normalisation: str,
        entries: list[list[Any]],
        actor: str,
        correlation_id: str,
    ) -> None:
        self.list_version = list_version
        self.source = source
        self.sdn_sha256 = sdn_sha256
        self.alt_sha256 = alt_sha256
        self.entry_count = entry_count
        self.alias_count = alias_count
        self.loaded_at = loaded_at
        self.normalisation = normalisation
        self.entries = entries
        self.loaded_by = actor

    def summary(self) -> dict[str, Any]:
        return {
            "list_version": self.list_version,
            "source": self.source,
            "sdn_sha256": self.sdn_sha256,
            "alt_sha256": self.alt_sha256,
            "entry_count": self.entry_count,
            "alias_count": self.alias_count,
            "loaded_at": self.loaded_at,
            "loaded_by": self.loaded_by,
            "normalisation": self.normalisation,
        }


class ActiveSanctionsList(Aggregate):
    """The list version screening uses: the latest one loaded."""

    class ListActivated(Aggregate.Created):
        list_version: str
        actor: str
        correlation_id: str

    class ListReplaced(Aggregate.Event):
        list_version: str
        previous_version: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.list_version = self.list_version

    def __init__(self, list_version: str, actor: str, correlation_id: str) -> None:
        self.list_version = list_version


class ScreeningCase(Aggregate):
    """One item screened against one list version, and what compliance decided."""

    class ScreeningPerformed(Aggregate.Created):
        """The item (``item_kind``, ``item_id``), the name as screened, the
        ``list_version``, ``threshold``, ``scorer``, ``normalisation``, the
        ``result`` (clear|review|hit) and ``matches`` (``{ent_num, name, score,
        kind}``: list entries, public); ``supersedes``: the item's earlier pending
        case this one replaces ("" if none).

        The name: for a data subject, ``subject_id``, ``sealed_name`` (envelope)
        and ``name_digest``, with ``party_name`` and ``normalised_name`` empty;
        ad hoc (``subject_id`` ""), ``party_name`` and ``normalised_name`` in the
        clear, ``sealed_name`` None and ``name_digest`` "". Version 2 added the
        subject fields."""

        class_version = 2

        item_kind: str
        item_id: str
        subject_id: str
        party_name: str
        sealed_name: dict[str, Any] | None
        normalised_name: str
        name_digest: str
        list_version: str
        threshold: int
        scorer: str
        normalisation: str
        result: str
        matches: list[dict[str, Any]]
        supersedes: str
        actor: str
        correlation_id: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_name_v1_v2(state)

    class ScreeningRepeated(Aggregate.Event):
        """The same item screened again against the same version under another
        party name; it replaces the earlier screening of this case (and any
        decision on it: a decision is about one name). The name fields as in
        ``ScreeningPerformed``; version 2 added the subject fields."""

        class_version = 2

        subject_id: str
        party_name: str
        sealed_name: dict[str, Any] | None
        normalised_name: str
        name_digest: str
        threshold: int
        scorer: str
        normalisation: str
        result: str
        matches: list[dict[str, Any]]
        actor: str
        correlation_id: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_name_v1_v2(state)

        def apply(self, aggregate: Any) -> None:
            aggregate.screening_number += 1
            aggregate.subject_id = self.subject_id
            aggregate.party_name = self.party_name
            aggregate.sealed_name = self.sealed_name
            aggregate.normalised_name = self.normalised_name
            aggregate.name_digest = self.name_digest
            aggregate.threshold = self.threshold
            aggregate.result = self.result
            aggregate.matches = list(self.matches)
            aggregate.screened_by = self.actor
            aggregate.decision = None
            aggregate.decided_by = None
            aggregate.decision_reason = None

    class ScreeningCleared(Aggregate.Event):
        """Compliance found the review or hit a false positive: the item may proceed."""

        screening_number: int
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.decide("cleared", self.actor, self.reason)

    class ScreeningRejected(Aggregate.Event):
        """Compliance confirmed the match: the item must not proceed."""

        screening_number: int
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.decide("rejected", self.actor, self.reason)

    class ScreeningSuperseded(Aggregate.Event):
        """The item was screened against a newer list while this case was undecided."""

        by_case_id: str
        list_version: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.superseded_by = self.by_case_id

    def __init__(  # the ScreeningPerformed fields; only assigns
        self,
        item_kind: str,
        item_id: str,
        subject_id: str,
        party_name: str,
        sealed_name: dict[str, Any] | None,
        normalised_name: str,
        name_digest: str,
        list_version: str,
        threshold: int,
        scorer: str,
        normalisation: str,
        result: str,
        matches: list[dict[str, Any]],
        supersedes: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.item_kind = item_kind
        self.item_id = item_id
        self.subject_id = subject_id
        self.party_name = party_name
        self.sealed_name = sealed_name
        self.normalised_name = normalised_name
        self.name_digest = name_digest
        self.list_version = list_version
        self.threshold = threshold
        self.scorer = scorer
        self.normalisation = normalisation
        self.result = result
        self.matches = list(matches)
        self.supersedes = supersedes
        self.screened_by = actor
        self.screening_number = 1
        self.decision: str | None = None
        self.decided_by: str | None = None
        self.decision_reason: str | None = None
        self.superseded_by: str | None = None

    def decide(self, decision: str, actor: str, reason: str) -> None:
        self.decision = decision
        self.decided_by = actor
        self.decision_reason = reason

    @property
    def status(self) -> str:
        """clear | pending | cleared | rejected | superseded."""
        if self.decision is not None:
            return self.decision
        if self.superseded_by is not None:
            return "superseded"
        return "clear" if self.result == "clear" else "pending"

    @property
    def undecided(self) -> bool:
        return self.decision is None and self.superseded_by is None

    @property
    def sealed(self) -> bool:
        """Whether the name screened is a data subject's (sealed, not in the clear)."""
        return bool(self.subject_id)

    def as_dict(self, opened_name: tuple[str, str] | None = None) -> dict[str, Any]:
        """The case; ``opened_name``: (name, normal form) of a sealed case as the
        reader may see them (opened, or ``[erased]``); a sealed case's own fields
        are empty."""
        party_name, normalised_name = opened_name or (self.party_name, self.normalised_name)
        return {
            "case_id": str(self.id),
            "item_kind": self.item_kind,
            "item_id": self.item_id,
            "subject_id": self.subject_id or None,
            "party_name": party_name,
            "normalised_name": normalised_name,
            "list_version": self.list_version,
            "threshold": self.threshold,
            "result": self.result,
            "status": self.status,
            "matches": list(self.matches),
            "screened_by": self.screened_by,
            "screening_number": self.screening_number,
            "decided_by": self.decided_by,
            "decision_reason": self.decision_reason,
            "supersedes": self.supersedes or None,
            "superseded_by": self.superseded_by,
            "created_at": self.created_on.isoformat(),
            "updated_at": self.modified_on.isoformat(),
            "version": self.version,
        }


class ScreenedItem(Aggregate):
    """An item (a payment, a receipt) that has been screened: its latest case."""

    class ItemScreened(Aggregate.Created):
        item_kind: str
        item_id: str
        case_id: str
        list_version: str
        actor: str
        correlation_id: str

    class ItemRescreened(Aggregate.Event):
        case_id: str
        list_version: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.latest_case_id = self.case_id
            aggregate.latest_version = self.list_version
            aggregate.case_count += 1

    def __init__(
        self,
        item_kind: str,
        item_id: str,
        case_id: str,
        list_version: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.item_kind = item_kind
        self.item_id = item_id
        self.latest_case_id = case_id
        self.latest_version = list_version
        self.case_count = 1

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.screening", SanctionsList, ActiveSanctionsList, ScreeningCase, ScreenedItem)
