"""Who may act as whom: API tokens, as events in the one log (access records
and completed requests are in ``records`` and ``requests`` beside this).

A token is ``bo_<token id, 32 hex digits>_<secret>``. The log keeps the
token id, the actor and role it stands for, and a keyed hash of the secret
(HMAC-SHA256 under the server's secret), never the secret itself. Issuing
and revoking are events, so the audit trail shows who could act as whom.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

ROLES = ("poster", "approver", "auditor", "compliance", "admin", "payroll", "billing", "inventory")
TOKEN_PREFIX = "bo_"
_TOKEN = re.compile(r"^bo_([0-9a-f]{32})_([A-Za-z0-9_-]{43})\Z")


def new_token() -> tuple[UUID, str]:
    """A fresh token id and the full token text (shown once, never stored)."""
    token_id = uuid4()
    return token_id, f"{TOKEN_PREFIX}{token_id.hex}_{secrets.token_urlsafe(32)}"


def parse_token(token: str) -> tuple[UUID, str] | None:
    """The token id and secret of a well-formed token, else None."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    return UUID(hex=match.group(1)), match.group(2)


def secret_digest(server_secret: bytes, token_secret: str) -> str:
    """What the log keeps of a token's secret: HMAC-SHA256 under the server secret."""
    return hmac.new(server_secret, token_secret.encode("ascii"), hashlib.sha256).hexdigest()


def digests_match(stored: str, presented: str) -> bool:
    return hmac.compare_digest(stored, presented)


class ApiToken(Aggregate):
    """A bearer token: acts as ``subject`` in ``role`` until revoked."""

    class TokenIssued(Aggregate.Created):
        subject: str
        role: str
        secret_digest: str
        note: str
        actor: str
        correlation_id: str

    class TokenRevoked(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.revoked = True

    def __init__(  # the TokenIssued fields; only assigns
        self,
        subject: str,
        role: str,
        secret_digest: str,
        note: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.subject = subject
        self.role = role
        self.secret_digest = secret_digest
        self.note = note
        self.issued_by = actor
        self.revoked = False

    @classmethod
    def issued(
        cls,
        *,
        id: UUID,
        subject: str,
        role: str,
        secret_digest: str,
        note: str,
        actor: str,
        correlation_id: str,
    ) -> ApiToken:
        """A newly issued API token (only the secret's digest is kept)."""
        return cls._create(
            cls.TokenIssued,
            id=id,
            subject=subject,
            role=role,
            secret_digest=secret_digest,
            note=note,
            actor=actor,
            correlation_id=correlation_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "token_id": self.id.hex,
            "actor": self.subject,
            "role": self.role,
            "note": self.note,
            "issued_by": self.issued_by,
            "issued_at": self.created_on.isoformat(),
            "revoked": self.revoked,
        }


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.access", ApiToken)
