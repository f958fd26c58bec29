"""Who may do what, and the record of it: API tokens, access records and
completed requests (idempotency), all as events in the one log.

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
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

ROLES = ("poster", "approver", "auditor", "compliance", "admin")
TOKEN_PREFIX = "bo_"
_TOKEN = re.compile(r"^bo_([0-9a-f]{32})_([A-Za-z0-9_-]{43})\Z")
_REQUEST_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:completed-request")


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

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.access", ApiToken, AccessRecord, CompletedRequest)
