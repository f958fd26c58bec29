"""A sanctions list version as loaded: its files' digests, counts and entries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics


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

    @classmethod
    def loaded(
        cls,
        *,
        id: UUID,
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
    ) -> SanctionsList:
        """A newly loaded sanctions list version."""
        return cls._create(
            cls.SanctionsListLoaded,
            id=id,
            list_version=list_version,
            source=source,
            sdn_sha256=sdn_sha256,
            alt_sha256=alt_sha256,
            entry_count=entry_count,
            alias_count=alias_count,
            loaded_at=loaded_at,
            normalisation=normalisation,
            entries=entries,
            actor=actor,
            correlation_id=correlation_id,
        )

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


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.screening", SanctionsList)
