"""Helpers for the API tests: a running API over a fresh store, with a token per role.

``ApiHarness.client`` is a TestClient (lifespan started); ``headers(role, key)``
builds the Authorization (and Idempotency-Key) headers.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.app import create_app
from backoffice.container import System, build_system
from domain.access.tokens import ROLES, secret_digest
from domain.kernel.context import Context

_keys = itertools.count()


def new_key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


@dataclass
class ApiHarness:
    system: System
    client: TestClient
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(
        self, role: str | None = None, key: str | None = None, *, token: str | None = None
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        chosen = token if token is not None else (self.tokens[role] if role else None)
        if chosen is not None:
            out["Authorization"] = f"Bearer {chosen}"
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    def post(
        self, path: str, role: str, body: Any = None, key: str | None = None, **kwargs: Any
    ) -> Any:
        return self.client.post(
            path, json=body, headers=self.headers(role, key or new_key()), **kwargs
        )

    def get(self, path: str, role: str = "auditor", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(role), **kwargs)

    def event_count(self) -> int:
        return int(self.system.app.recorder.max_notification_id() or 0)

    def access_count(self) -> int:
        """Records in the access log (denials, audited reads), apart from the business log."""
        return int(self.client.app.state.backoffice.access.access_log.head())  # type: ignore[attr-defined]

    def issue(self, role: str, actor: str) -> str:
        return issue_token(self.system, self.settings, role, actor)

    def checkpoint(self) -> Any:
        """Sign a checkpoint of the log as it stands, with the API's key."""
        from replay.checkpointing import LogWitness

        assert self.settings.signer is not None, "running_api gives the API a signing key"
        return LogWitness(self.system.database).write_checkpoint(
            self.system.app, self.settings.signer, Context("test-setup", "checkpoint")
        )


def issue_token(system: System, settings: Settings, role: str, actor: str) -> str:
    _token, text = system.app.issue_token(
        Context("test-setup", "setup"),
        actor,
        role,
        lambda secret: secret_digest(settings.secret_bytes, secret),
    )
    return text


@contextmanager
def running_api(database_url: str, **settings_fields: Any) -> Iterator[ApiHarness]:
    from adapters.signing import generate

    settings_fields.setdefault("signing_key", generate().private_pem())
    # The role matrix and the suites make thousands of denials from one test client.
    settings_fields.setdefault("access_records_per_minute", 1_000_000)
    settings = Settings(database_url=database_url, **settings_fields)
    system = build_system(database_url)
    tokens = {role: issue_token(system, settings, role, f"{role}-actor") for role in ROLES}
    app = create_app(settings, system=system)
    try:
        with TestClient(app, raise_server_exceptions=True) as client:
            yield ApiHarness(system, client, settings, tokens)
    finally:
        system.close()


def open_usd_chart(api: ApiHarness) -> None:
    """Bank (no_overdraft), capital, expenses and revenue in USD."""
    for code, kind, flags in (
        ("Assets:Bank", "asset", ["no_overdraft"]),
        ("Equity:Capital", "equity", []),
        ("Expenses:Rent", "expense", []),
        ("Income:Sales", "income", []),
    ):
        response = api.post(
            "/v1/accounts",
            "admin",
            {"code": code, "name": code, "type": kind, "assets": ["USD"], "flags": flags},
        )
        assert response.status_code == 201, response.text


def entry_body(
    debit: str,
    credit: str,
    amount: str,
    *,
    date: str = "2026-01-15",
    pending: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "effective_date": date,
        "postings": [
            {"account": debit, "direction": "debit", "amount": amount, "asset": "USD"},
            {"account": credit, "direction": "credit", "amount": amount, "asset": "USD"},
        ],
        "pending": pending,
        **extra,
    }
