"""API settings from the environment.

``BACKOFFICE_ENV``            ``development`` (default) or ``production``
``BACKOFFICE_SECRET``         keys the hash of API token secrets; production
                              refuses to start without one (or with the
                              development default), at least 32 characters
``BACKOFFICE_DATABASE_URL``   the event store (see adapters.database)
``BACKOFFICE_PROJECTIONS``    ``inline`` (default: reads catch up first) or
                              ``worker`` (a ``backoffice project`` process folds)
``BACKOFFICE_READ_WAIT_S``    how long a read with ``min_position`` waits (5)
``BACKOFFICE_BODY_BYTES_MAX`` largest request body accepted (262144)
``BACKOFFICE_TOKEN_CACHE_S``  how long a checked token is trusted before the
                              log is asked again (2; revocation takes effect
                              within this time)
``BACKOFFICE_SIGNING_KEY_FILE`` (or ``BACKOFFICE_SIGNING_KEY``) the Ed25519 key
                              that signs checkpoints; production refuses to
                              start without one
``BACKOFFICE_CHECKPOINT_INTERVAL_S`` how often the server signs a checkpoint
                              when the log has grown (300; 0: never)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.database import SettingsError
from adapters.signing import signer_from_environment

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
SECRET_LENGTH_MIN = 32
ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True, slots=True)
class ApiSettings:
    environment: str = "development"
    secret: str = DEVELOPMENT_SECRET
    database_url: str | None = None
    projections: str = "inline"
    read_wait_s: float = 5.0
    body_bytes_max: int = 256 * 1024
    token_cache_s: float = 2.0
    checkpoint_interval_s: float = 300.0
    signer: Any = None  # backoffice.signing.Signer

    @property
    def secret_bytes(self) -> bytes:
        return self.secret.encode("utf-8")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        env = os.environ if environ is None else environ
        settings = cls(
            environment=env.get("BACKOFFICE_ENV", "development").strip() or "development",
            secret=env.get("BACKOFFICE_SECRET", "") or DEVELOPMENT_SECRET,
            database_url=env.get("BACKOFFICE_DATABASE_URL") or None,
            projections=env.get("BACKOFFICE_PROJECTIONS", "inline"),
            read_wait_s=_number(env, "BACKOFFICE_READ_WAIT_S", 5.0, 0.0, 60.0),
            body_bytes_max=int(_number(env, "BACKOFFICE_BODY_BYTES_MAX", 262144, 1024, 16 * 2**20)),
            token_cache_s=_number(env, "BACKOFFICE_TOKEN_CACHE_S", 2.0, 0.0, 60.0),
            checkpoint_interval_s=_number(
                env, "BACKOFFICE_CHECKPOINT_INTERVAL_S", 300.0, 0.0, 86400.0
            ),
            signer=signer_from_environment(env),
        )
        return settings.checked(
            secret_given="BACKOFFICE_SECRET" in env and bool(env["BACKOFFICE_SECRET"])
        )

    def checked(self, *, secret_given: bool = True) -> ApiSettings:
        if self.environment not in ENVIRONMENTS:
            raise SettingsError(
                f"BACKOFFICE_ENV: one of {', '.join(ENVIRONMENTS)}, not {self.environment!r}"
            )
        if self.projections not in ("inline", "worker"):
            raise SettingsError("BACKOFFICE_PROJECTIONS: inline or worker")
        if self.environment == "production":
            if not secret_given or self.secret == DEVELOPMENT_SECRET:
                raise SettingsError(
                    "BACKOFFICE_SECRET: production mode needs a secret of its own "
                    "(the development default is refused)"
                )
            if len(self.secret) < SECRET_LENGTH_MIN:
                raise SettingsError(
                    f"BACKOFFICE_SECRET: at least {SECRET_LENGTH_MIN} characters in production"
                )
            if self.signer is None:
                raise SettingsError(
                    "BACKOFFICE_SIGNING_KEY_FILE: production mode signs checkpoints and needs a key "
                    "(backoffice keys generate --out FILE)"
                )
        return self


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name}: a number, not {text!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: between {low:g} and {high:g}")
    return value
