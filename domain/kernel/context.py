"""Who acts and under which correlation id: passed to every command, recorded on every event."""

from __future__ import annotations

from dataclasses import dataclass

from domain.kernel import limits


@dataclass(frozen=True, slots=True)
class Context:
    """Who acts (from authentication, never from a request body) and the correlation id."""

    actor: str
    correlation_id: str

    def checked(self) -> Context:
        limits.bounded_text(self.actor, "actor", limits.ACTOR_LENGTH_MAX)
        limits.bounded_text(
            self.correlation_id, "correlation_id", limits.CORRELATION_ID_LENGTH_MAX
        )
        return self
