"""Access commands on the application: API tokens, access records, completed requests.

Mixed into ``BackOffice`` (``domain.application``), so callers keep calling
``app.issue_token(...)``. Tokens are few: they are listed from the log by
their creation topic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.access.errors import TokenAlreadyRevoked, UnknownToken
from domain.access.records import AccessRecord
from domain.access.requests import CompletedRequest, completed_request_id
from domain.access.tokens import ROLES, ApiToken, new_token
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.unit_of_work import find, ids_with_topic, save_once

if TYPE_CHECKING:
    from domain.application import ApplicationCore as _Core
else:
    _Core = object


class AccessCommands(_Core):
    """Issue, list and revoke tokens; record access; find completed requests."""

    def issue_token(
        self, context: Context, subject: str, role: str, secret_digest_of: Callable[[str], str],
        note: str = "",
        token: tuple[UUID, str] | None = None,
    ) -> tuple[ApiToken, str]:
        """Issue a bearer token acting as ``subject`` in ``role``.

        Returns the token aggregate and the token text, which is shown once:
        the log keeps only ``secret_digest_of(secret)``.
        """
        context.checked()
        subject = limits.bounded_text(subject, "actor", limits.ACTOR_LENGTH_MAX)
        if role not in ROLES:
            raise InvalidInput(f"role: one of {', '.join(ROLES)}", field="role")
        note = limits.bounded_text(note, "note", limits.REASON_LENGTH_MAX, required=False)
        token_id, text = token or new_token()
        issued = ApiToken.issued(
            id=token_id,
            subject=subject,
            role=role,
            secret_digest=secret_digest_of(text[len(f"bo_{token_id.hex}_") :]),
            note=note,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        save_once(self, issued)
        return issued, text

    def get_token(self, token_id: UUID) -> ApiToken:
        token = find(self, token_id, ApiToken)
        if token is None:
            raise UnknownToken(f"token {token_id.hex} does not exist", field="token_id")
        return token

    def list_tokens(self) -> list[ApiToken]:
        """Every token ever issued, from the log (tokens are few)."""
        return [self.get_token(token_id) for token_id in ids_with_topic(self, ApiToken.TokenIssued)]

    def revoke_token(self, context: Context, token_id: UUID, reason: str) -> int:
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.write_lock:
            token = self.get_token(token_id)
            if token.revoked:
                raise TokenAlreadyRevoked(f"token {token_id.hex} is already revoked", field="token_id")
            token.trigger_event(
                ApiToken.TokenRevoked,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return save_once(self, token)

    def record_access(self, **fields: Any) -> int:
        """Append an access record (a denied request, a read of the audit trail)."""
        record = AccessRecord.recorded(id=uuid4(), **fields)
        return int(self.save(record)[-1].notification.id)

    def completed_request(self, actor: str, key: str) -> CompletedRequest | None:
        return find(self, completed_request_id(actor, key), CompletedRequest)
