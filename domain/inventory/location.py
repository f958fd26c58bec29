"""A stock location (a warehouse, a shop floor), named by its code."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

_LOCATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:inventory-location")


def location_id(code: str) -> UUID:
    return uuid5(_LOCATION_NAMESPACE, code)


class Location(Aggregate):
    """Where stock is kept; movements name it by ``code``."""

    class LocationOpened(Aggregate.Created):
        class_version = 1

        code: str
        name: str
        actor: str
        correlation_id: str

    class LocationRenamed(Aggregate.Event):
        class_version = 1

        name: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name

    def __init__(self, code: str, name: str, actor: str, correlation_id: str) -> None:
        self.code = code
        self.name = name
        self.opened_by = actor

    @classmethod
    def opened(
        cls,
        *,
        id: UUID,
        code: str,
        name: str,
        actor: str,
        correlation_id: str,
    ) -> Location:
        """A newly opened location."""
        return cls._create(
            cls.LocationOpened,
            id=id,
            code=code,
            name=name,
            actor=actor,
            correlation_id=correlation_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "version": self.version}


pin_topics("domain.inventory.location", Location)
