"""Which sanctions list version is the active one (screening matches against it)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics


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

    @classmethod
    def activated(
        cls,
        *,
        id: UUID,
        list_version: str,
        actor: str,
        correlation_id: str,
    ) -> ActiveSanctionsList:
        """The active-list record, on its first activation."""
        return cls._create(
            cls.ListActivated,
            id=id,
            list_version=list_version,
            actor=actor,
            correlation_id=correlation_id,
        )


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.screening", ActiveSanctionsList)
