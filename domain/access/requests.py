"""Completed requests: the response to a request made under an idempotency key."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

_REQUEST_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:completed-request")


def completed_request_id(actor: str, key: str) -> UUID:
    """An idempotency key is scoped to the actor that used it."""
    return uuid5(_REQUEST_NAMESPACE, f"{actor}\x00{key}")


class CompletedRequest(Aggregate):
    """The response to a request made under an idempotency key.

    Saved in the same commit as the request's effects, so a key has at most
    one effect; ``body`` is the response without its log position, which is
    this record's own position (the last of the commit).
    """

    class RequestCompleted(Aggregate.Created):
        key: str
        method: str
        route: str
        fingerprint: str
        status: int
        body: dict[str, Any]
        actor: str
        correlation_id: str

    def __init__(  # the RequestCompleted fields; only assigns
        self,
        key: str,
        method: str,
        route: str,
        fingerprint: str,
        status: int,
        body: dict[str, Any],
        actor: str,
        correlation_id: str,
    ) -> None:
        self.key = key
        self.method = method
        self.route = route
        self.fingerprint = fingerprint
        self.status = status
        self.body = body
        self.actor = actor

    @staticmethod
    def create_id(actor: str, key: str) -> UUID:
        return completed_request_id(actor, key)

    @classmethod
    def record(
        cls,
        *,
        actor: str,
        key: str,
        method: str,
        route: str,
        fingerprint: str,
        status: int,
        body: dict[str, Any],
        correlation_id: str,
    ) -> CompletedRequest:
        """The record of a request completed by ``actor`` under ``key`` (its id:
        ``completed_request_id(actor, key)``, by ``create_id``)."""
        return cls(
            key=key,
            method=method,
            route=route,
            fingerprint=fingerprint,
            status=status,
            body=body,
            actor=actor,
            correlation_id=correlation_id,
        )


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.access", CompletedRequest)
