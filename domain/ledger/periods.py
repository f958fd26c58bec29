"""Accounting periods (calendar months): closed and reopened by audited events."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

_PERIOD_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:period")


def period_id(period: str) -> UUID:
    return uuid5(_PERIOD_NAMESPACE, period)


def period_of(effective_date: str) -> str:
    """The period (``YYYY-MM``) an ISO effective date falls in."""
    return effective_date[:7]


class Period(Aggregate):
    """A calendar month of the books. Exists in the log from its first close."""

    class PeriodDefined(Aggregate.Created):
        """The period came into the log (with its first close, in the same commit)."""

        period: str
        actor: str
        correlation_id: str

    class PeriodClosed(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.closed = True

    class PeriodReopened(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.closed = False

    def __init__(self, period: str, actor: str, correlation_id: str) -> None:
        self.period = period
        self.closed = False

    @classmethod
    def defined(
        cls,
        *,
        id: UUID,
        period: str,
        actor: str,
        correlation_id: str,
    ) -> Period:
        """A newly defined period record."""
        return cls._create(
            cls.PeriodDefined,
            id=id,
            period=period,
            actor=actor,
            correlation_id=correlation_id,
        )

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.periods", Period)
