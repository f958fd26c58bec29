"""Registered assets (securities, stock units, hours) with their own scale."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

_ASSET_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:asset")


def asset_id(code: str) -> UUID:
    return uuid5(_ASSET_NAMESPACE, code)


class AssetDefinition(Aggregate):
    """An asset other than an ISO currency: ``code``, ``scale``, ``name``."""

    class AssetRegistered(Aggregate.Created):
        code: str
        scale: int
        name: str
        actor: str
        correlation_id: str

    def __init__(self, code: str, scale: int, name: str, actor: str, correlation_id: str) -> None:
        self.code = code
        self.scale = scale
        self.name = name

    @classmethod
    def registered(
        cls,
        *,
        id: UUID,
        code: str,
        scale: int,
        name: str,
        actor: str,
        correlation_id: str,
    ) -> AssetDefinition:
        """A newly registered asset."""
        return cls._create(
            cls.AssetRegistered,
            id=id,
            code=code,
            scale=scale,
            name=name,
            actor=actor,
            correlation_id=correlation_id,
        )

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.assets", AssetDefinition)
