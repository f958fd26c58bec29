"""Settings: every ``BACKOFFICE_*`` variable, typed, in one class.

This is the one place that reads the environment. The CLI builds a
``Settings`` once per command (``backoffice.container.build_system``
without one reads it), ``create_app`` takes one (and reads the environment
when given none: the uvicorn factory), and everything below takes plain
values. A bad value refuses to start with one line naming the variable;
production refuses the development secret and a missing signing key.

``settings_table_markdown()`` renders the README's table from the fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from adapters.database import DEFAULT_DATABASE_URL, Database, SettingsError, parse_database_url
from adapters.signing import KEY_ENV, KEY_FILE_ENV, Signer, load_signer

PREFIX = "BACKOFFICE_"
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
SECRET_LENGTH_MIN = 32
ENVIRONMENTS = ("development", "production")
_QUIET = frozenset({"secret", "signing_key", "database_url", "read_database_url"})
"""Fields whose refused input is never echoed (secrets; a URL may hold a password)."""

__all__ = ["DEVELOPMENT_SECRET", "PREFIX", "Settings", "SettingsError", "settings_table_markdown"]


class Settings(BaseSettings):
    """The back office's configuration, from ``BACKOFFICE_*`` variables (immutable)."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_ignore_empty=True,  # VAR= means "the default", as before
        extra="ignore",
        frozen=True,
        populate_by_name=True,  # Settings(environment=...) as well as BACKOFFICE_ENV
    )

    environment: Literal["development", "production"] = Field(
        default="development",
        validation_alias="BACKOFFICE_ENV",
        description="`development` or `production`; production refuses the development "
        "secret and a missing signing key.",
    )
    secret: str = Field(
        default=DEVELOPMENT_SECRET,
        repr=False,
        description="Keys the stored hash of API token secrets (the CLI that issues tokens "
        f"needs the same value); production needs one of its own, {SECRET_LENGTH_MIN}+ "
        "characters.",
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="The event store: `sqlite:///path` or "
        "`postgresql://user[:password]@host[:port]/db[?schema=name]` (schema created if missing).",
    )
    read_database_url: str = Field(
        default="",
        description="A hot standby of the event store (`postgresql://...`): projection "
        "workers' log reads, report runs, audit exports and chain verification read there; "
        "writes and the reads that decide them stay on `BACKOFFICE_DATABASE_URL`. "
        "None: everything reads the primary.",
    )
    require_sync_replica: bool = Field(
        default=False,
        description="`yes`: production refuses to start against a primary whose standbys are "
        "asynchronous (`synchronous_standby_names` empty or the standby not listed).",
    )
    create_tables: bool = Field(
        default=True,
        description="`no`: the tables exist (`backoffice migrate` made them as the owner role) "
        "and this process's role could not create them.",
    )
    projections: Literal["inline", "worker"] = Field(
        default="inline",
        description="`inline`: API reads catch the read models up first; `worker`: a "
        "`backoffice project` process folds and reads wait for it.",
    )
    read_wait_s: float = Field(
        default=5.0,
        ge=0.0,
        le=60.0,
        description="How long a read with `min_position` waits, seconds.",
    )
    body_bytes_max: int = Field(
        default=256 * 1024,
        ge=1024,
        le=16 * 2**20,
        description="Largest request body accepted, bytes.",
    )
    ready_lag_max: int = Field(
        default=1000,
        ge=0,
        le=1_000_000_000,
        description="`/health/ready` answers 503 while any projection is more than this many "
        "log positions behind the head (liveness, `/health/live`, does not look).",
    )
    access_records_per_minute: int = Field(
        default=120,
        ge=1,
        le=1_000_000,
        description="Access records (denials, audited reads) one client address or one token "
        "may cause per minute and API process; past it the request is answered 429 with "
        "Retry-After and only counted, one counter row per minute and client.",
    )
    token_cache_s: float = Field(
        default=2.0,
        ge=0.0,
        le=60.0,
        description="How long a checked API token is trusted before the log is asked again, "
        "seconds (a revocation takes effect within this time).",
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="File holding the Ed25519 key that signs checkpoints (PEM PKCS#8, or 64 hex "
        "digits of a seed; `backoffice keys generate --out FILE`); production needs a key.",
    )
    signing_key: str = Field(
        default="",
        repr=False,
        description="The same key inline, instead of `BACKOFFICE_SIGNING_KEY_FILE` (set one, "
        "not both).",
    )
    checkpoint_interval_s: float = Field(
        default=300.0,
        ge=0.0,
        le=86400.0,
        description="How often the API signs a checkpoint when the log has grown, seconds "
        "(0: never).",
    )
    payment_policy: Path | None = Field(
        default=None,
        description="JSON file of the payment policy (dual-approval thresholds, accounts); "
        "none: the defaults of `domain.payments.policy`.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO",
        description="Level of the JSON log lines (`backoffice serve --log-level` sets it).",
    )
    json_logs: bool = Field(
        default=False,
        description="Log JSON lines to stderr (`backoffice serve` sets it for its workers).",
    )
    actor: str = Field(
        default="",
        description="Who CLI commands act as, recorded in events (`--actor`); "
        "none: `cli:<os user>`.",
    )

    _signer: Signer | None = PrivateAttr(None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the process environment: no .env file, no secrets dir.
        return (init_settings, env_settings)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of this process (or of ``environ`` alone), refused as ``SettingsError``."""
        try:
            if environ is None:
                return cls()
            # Every field given explicitly, so the process environment plays no part.
            values: dict[str, Any] = {}
            for name, info in cls.model_fields.items():
                text = environ.get(variable_name(name))
                values[name] = text if text else info.get_default(call_default_factory=True)
            return cls(**values)
        except ValidationError as error:
            raise SettingsError(refusal_line(error)) from None

    @field_validator("environment", "projections", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _stripped_upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("create_tables", "json_logs", "require_sync_replica", mode="before")
    @classmethod
    def _stripped_lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        parse_database_url(value)  # SettingsError names the variable
        return value

    @field_validator("read_database_url")
    @classmethod
    def _parsable_read_url(cls, value: str) -> str:
        if value:
            try:
                read = parse_database_url(value)
            except SettingsError as error:
                raise SettingsError(
                    str(error).replace("BACKOFFICE_DATABASE_URL", "BACKOFFICE_READ_DATABASE_URL")
                ) from None
            if read.backend != "postgres":
                raise SettingsError(
                    "BACKOFFICE_READ_DATABASE_URL: a standby is a postgresql:// URL"
                )
        return value

    @model_validator(mode="after")
    def _usable(self) -> Settings:
        if self.signing_key_file is not None and self.signing_key:
            raise SettingsError(f"{KEY_FILE_ENV} and {KEY_ENV}: set one, not both")
        self._signer = load_signer(self.signing_key_file, self.signing_key)
        if self.environment == "production":
            if self.secret == DEVELOPMENT_SECRET:
                raise SettingsError(
                    "BACKOFFICE_SECRET: production mode needs a secret of its own "
                    "(the development default is refused)"
                )
            if len(self.secret) < SECRET_LENGTH_MIN:
                raise SettingsError(
                    f"BACKOFFICE_SECRET: at least {SECRET_LENGTH_MIN} characters in production"
                )
            if self._signer is None:
                raise SettingsError(
                    f"{KEY_FILE_ENV} or {KEY_ENV}: production mode signs checkpoints and needs "
                    "a key (backoffice keys generate --out FILE)"
                )
        return self

    @property
    def database(self) -> Database:
        return parse_database_url(self.database_url)

    @property
    def read_database(self) -> Database | None:
        """The standby that readers use (``BACKOFFICE_READ_DATABASE_URL``), or None."""
        return parse_database_url(self.read_database_url) if self.read_database_url else None

    @property
    def signer(self) -> Signer | None:
        """The checkpoint signer (loaded and checked when the settings were built), or None."""
        return self._signer

    @property
    def secret_bytes(self) -> bytes:
        return self.secret.encode("utf-8")


def variable_name(field_name: str) -> str:
    """The environment variable behind a ``Settings`` field."""
    alias = Settings.model_fields[field_name].validation_alias
    return alias if isinstance(alias, str) else PREFIX + field_name.upper()


def refusal_line(error: ValidationError) -> str:
    """One line per refused value, each starting with its variable, joined by ``; ``."""
    reasons = []
    for problem in error.errors():
        cause = (problem.get("ctx") or {}).get("error")
        if isinstance(cause, SettingsError):  # our own message already names the variable
            reasons.append(str(cause))
            continue
        location = str(problem["loc"][0]) if problem["loc"] else ""
        name = location if location.startswith(PREFIX) else variable_name(location)
        field = location if location in Settings.model_fields else ""
        message = problem["msg"][:1].lower() + problem["msg"][1:]
        if problem["type"] == "bool_parsing":
            message = "yes or no"
        shown = "" if field in _QUIET or field == "" else f", not {problem['input']!r}"
        reasons.append(f"{name}: {message}{shown}")
    return "; ".join(reasons)


def settings_table_markdown() -> str:
    """The README's table: every variable, its default and what it means."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        meaning = info.description or ""
        bounds = _bounds(info.metadata)
        if bounds:
            meaning = f"{meaning} Range {bounds}."
        lines.append(
            f"| `{variable_name(name)}` | {_shown_default(name, info.default)} | {meaning} |"
        )
    return "\n".join(lines) + "\n"


def _shown_default(name: str, default: object) -> str:
    if name == "secret":
        return "a development-only value"
    if default is None or default == "":
        return "none"
    if isinstance(default, bool):
        return "`yes`" if default else "`no`"
    if isinstance(default, float):
        return f"`{_plain(default)}`"
    return f"`{default}`"


def _bounds(metadata: list[Any]) -> str:
    low = next((item.ge for item in metadata if hasattr(item, "ge")), None)
    high = next((item.le for item in metadata if hasattr(item, "le")), None)
    if low is None or high is None:
        return ""
    return f"{_plain(low)} to {_plain(high)}"


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"
