"""Sanctions screening as events: lists loaded, the active list, screening cases.

``ScreeningCase`` and the ids and checks the four aggregates share are here;
the others each have their module (``sanctions_list``, ``active_list``,
``screened_item``), all under the topics of this module's first name.

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

    @classmethod
    def performed(
        cls,
        *,
        id: UUID,
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
    ) -> ScreeningCase:
        """A new screening case: one screening of one item."""
        return cls._create(
            cls.ScreeningPerformed,
            id=id,
            item_kind=item_kind,
            item_id=item_id,
            subject_id=subject_id,
            party_name=party_name,
            sealed_name=sealed_name,
            normalised_name=normalised_name,
            name_digest=name_digest,
            list_version=list_version,
            threshold=threshold,
            scorer=scorer,
            normalisation=normalisation,
            result=result,
            matches=matches,
            supersedes=supersedes,
            actor=actor,
            correlation_id=correlation_id,
        )

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


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.screening", ScreeningCase)
