"""Access records as the business log held them before the access log.

New access entries (denials, audited reads, refused four-eyes attempts) go to
the access log (``domain.access.access_entries``, ``adapters.access_log``),
never to the business log. This aggregate stays so that the events already
in a log replay and old reports still find them."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics


class AccessRecord(Aggregate):
    """One access worth keeping: a denied request or a read of the audit trail.

    ``actor`` is empty when the caller could not be identified.
    """

    class AccessRecorded(Aggregate.Created):
        outcome: str  # "denied" | "read"
        status: int
        actor: str
        role: str
        method: str
        route: str
        query: str
        client: str
        detail: str
        correlation_id: str

    def __init__(  # the AccessRecorded fields; only assigns
        self,
        outcome: str,
        status: int,
        actor: str,
        role: str,
        method: str,
        route: str,
        query: str,
        client: str,
        detail: str,
        correlation_id: str,
    ) -> None:
        self.outcome = outcome
        self.status = status
        self.actor = actor
        self.role = role
        self.method = method
        self.route = route
        self.query = query
        self.client = client
        self.detail = detail

    @classmethod
    def recorded(
        cls,
        *,
        id: UUID,
        outcome: str,
        status: int,
        actor: str,
        role: str,
        method: str,
        route: str,
        query: str,
        client: str,
        detail: str,
        correlation_id: str,
    ) -> AccessRecord:
        """A new access record."""
        return cls._create(
            cls.AccessRecorded,
            id=id,
            outcome=outcome,
            status=status,
            actor=actor,
            role=role,
            method=method,
            route=route,
            query=query,
            client=client,
            detail=detail,
            correlation_id=correlation_id,
        )


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.access", AccessRecord)
