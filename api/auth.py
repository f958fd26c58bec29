"""Bearer tokens and roles.

Which role may call what is one table (``PERMISSIONS``), read by the routes
and by the tests' endpoint x role matrix. A missing, malformed, unknown or
revoked token is a 401; a valid token whose role is not allowed is a 403.
Both are recorded in the log as denied attempts; nothing else is written.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from uuid import UUID

from domain.access.errors import UnknownToken
from domain.access.tokens import ApiToken, digests_match, parse_token, secret_digest
from domain.application import BackOffice

ALL_ROLES = (
    "poster",
    "approver",
    "auditor",
    "compliance",
    "admin",
    "payroll",
    "billing",
    "inventory",
)
READERS = ALL_ROLES  # the ledger (accounts, entries, balances) is readable by every role

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "assets:write": ("admin",),
    "accounts:write": ("admin",),
    "periods:write": ("admin",),
    "tokens:write": ("admin",),
    "tokens:read": ("admin", "auditor"),
    "ledger:read": READERS,
    "entries:post": ("poster",),
    "entries:approve": ("approver",),  # post or void a pending entry
    "entries:reverse": ("poster", "approver"),
    "audit:read": ("auditor", "compliance"),
    "settlements:write": ("poster",),  # obligations, instructions, confirmations
    "settlements:approve": ("approver",),  # settle, fail, reschedule, cancel an instruction
    "settlements:read": READERS,
    # Data subjects (api/routes/subjects.py): finance systems register payees
    # (poster) but cannot read personal data back.
    "subjects:write": ("admin", "poster"),
    "subjects:read": ("admin", "compliance", "auditor"),
    "subjects:hold": ("compliance",),
    "subjects:erase": ("admin",),
    # Sanctions (api/routes/sanctions.py): compliance screens and decides.
    "sanctions:load": ("compliance", "admin"),
    "sanctions:read": ("compliance", "auditor"),
    "sanctions:screen": ("compliance",),
    "sanctions:decide": ("compliance",),
    # Bank statements and reconciliation (api/routes/banking.py).
    "bank:write": ("poster", "approver"),  # import statements
    "bank:read": READERS,
    "bank:match": ("approver",),  # run matching, match and unmatch by hand
    # Payments and receipts (api/routes/payments.py): four eyes, the admin never approves.
    "payments:request": ("poster",),  # request, amend, screen again
    "payments:approve": ("approver",),
    "payments:operate": ("poster", "approver"),  # submit, settle, fail, return
    "payments:cancel": ("poster", "approver"),
    "payments:read": READERS,
    "receipts:write": ("poster",),  # record, post once cleared
    "receipts:read": READERS,
    # Reports (api/routes/reporting.py): every read is recorded as an access.
    "reports:read": ("compliance", "auditor"),
    "reports:file": ("compliance",),
    # Payroll (api/routes/payroll.py): the payroll role prepares, an approver approves.
    "payroll:calculate": ("payroll", "approver", "auditor"),  # the calculator, writes nothing
    "payroll:read": ("payroll", "approver", "auditor"),
    "payroll:write": ("payroll",),  # employees; open, calculate, cancel runs
    "payroll:approve": ("payroll", "approver"),  # never whoever prepared the run
    "payroll:pay": ("payroll",),
    # Billing (api/routes/billing.py): billing clerks invoice, receive bills and
    # allocate; an approver approves supplier bills (four eyes: never who received it).
    "billing:read": ("billing", "approver", "auditor"),
    "billing:write": ("billing",),  # parties, invoices, credit notes, write-offs, bills, pay
    "billing:allocate": ("billing",),  # apply receipts and payments, undo, refund credit
    "billing:approve": ("approver",),
    # Inventory (api/routes/inventory.py): warehouse clerks open items and locations and
    # record stock movements; every role reads stock and its valuation.
    "inventory:write": ("inventory",),
    "inventory:read": READERS,
    # The web console (api/console/): every role may sign in; its pages ask the permissions above.
    "console:use": READERS,
}


@dataclass(frozen=True, slots=True)
class Principal:
    actor: str
    role: str
    token_id: str


class TokenCheckFailed(Exception):
    """The presented token does not authenticate anyone; ``actor`` if it named one."""

    def __init__(self, detail: str, actor: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.actor = actor


class TokenVerifier:
    """Checks bearer tokens against the log, trusting a check for ``cache_s``."""

    def __init__(self, app: BackOffice, server_secret: bytes, cache_s: float) -> None:
        self.app = app
        self.server_secret = server_secret
        self.cache_s = cache_s
        self._cache: dict[UUID, tuple[float, ApiToken]] = {}
        self._lock = threading.Lock()

    def cached(self, authorization: str | None) -> Principal | None:
        """The principal from a recent check of this token, without asking the log;
        None when the log must be asked (``verify``). Raises like ``verify``."""
        token_id, secret = self._parse(authorization)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token_id)
        if cached is None or now - cached[0] >= self.cache_s:
            return None
        return self._check(cached[1], token_id, secret)

    def verify(self, authorization: str | None) -> Principal:
        token_id, secret = self._parse(authorization)
        token = self._token(token_id)
        if token is None:
            raise TokenCheckFailed("the bearer token is not known")
        return self._check(token, token_id, secret)

    def _parse(self, authorization: str | None) -> tuple[UUID, str]:
        if not authorization:
            raise TokenCheckFailed("an Authorization: Bearer token is required")
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise TokenCheckFailed("the Authorization header must be 'Bearer <token>'")
        parsed = parse_token(presented.strip())
        if parsed is None:
            raise TokenCheckFailed("the bearer token is malformed")
        return parsed

    def _check(self, token: ApiToken, token_id: UUID, secret: str) -> Principal:
        if not digests_match(token.secret_digest, secret_digest(self.server_secret, secret)):
            raise TokenCheckFailed("the bearer token is not valid", actor=token.subject)
        if token.revoked:
            raise TokenCheckFailed("the bearer token was revoked", actor=token.subject)
        return Principal(token.subject, token.role, token_id.hex)

    def forget(self, token_id: UUID) -> None:
        with self._lock:
            self._cache.pop(token_id, None)

    def _token(self, token_id: UUID) -> ApiToken | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token_id)
        if cached is not None and now - cached[0] < self.cache_s:
            return cached[1]
        try:
            token = self.app.get_token(token_id)
        except UnknownToken:
            return None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token_id] = (now, token)
        return token
