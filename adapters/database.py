"""Settings: one ``BACKOFFICE_DATABASE_URL`` mapped onto the library's settings.

``sqlite:///path`` (default ``sqlite:///./backoffice.db``; ``sqlite:///:memory:``
for throwaway stores) or ``postgresql://user[:password]@host[:port]/db[?schema=name]``.
The library waits forever for locks and retries failed calls ten times by
default; here lock and connect timeouts are set in seconds so that a dead or
locked database surfaces as an error within about ten seconds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///./backoffice.db"
CONNECT_TIMEOUT_S = 2
LOCK_TIMEOUT_S = 2
TRANSCODER_TOPIC = "adapters.transcoder:OrjsonTranscoder"
"""The library's ``TRANSCODER_TOPIC`` setting: orjson, sorted keys (see adapters.transcoder)."""
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")


class SettingsError(ValueError):
    """The configuration is unusable; the message says which setting and why."""


@dataclass(frozen=True, slots=True)
class Database:
    """A parsed database URL."""

    url: str
    backend: str  # "sqlite" | "postgres"
    sqlite_path: str = ""
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = "public"

    @property
    def display(self) -> str:
        """The URL without its password, for logs and errors."""
        if self.backend == "sqlite":
            return self.url
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}?schema={self.schema}"


def parse_database_url(url: str) -> Database:
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise SettingsError("BACKOFFICE_DATABASE_URL: sqlite:/// needs a file path")
        return Database(url=url, backend="sqlite", sqlite_path=path)
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            "BACKOFFICE_DATABASE_URL: expected sqlite:///path or "
            f"postgresql://user@host:port/db[?schema=name], got scheme {parts.scheme!r}"
        )
    dbname = parts.path.lstrip("/")
    if not parts.hostname or not dbname:
        raise SettingsError("BACKOFFICE_DATABASE_URL: a PostgreSQL URL needs a host and a database")
    # keep_blank_values: "?schema=" is a mistake to report, not a request for "public".
    schema = parse_qs(parts.query, keep_blank_values=True).get("schema", ["public"])[0]
    if not _SCHEMA.match(schema):
        raise SettingsError(
            f"BACKOFFICE_DATABASE_URL: schema {schema!r} must be a lower-case identifier"
        )
    try:
        port = parts.port or 5432
    except ValueError as error:  # urllib's message does not say which setting
        raise SettingsError(f"BACKOFFICE_DATABASE_URL: bad port: {error}") from None
    return Database(
        url=url,
        backend="postgres",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
        schema=schema,
    )


def database_from_environment() -> Database:
    return parse_database_url(os.environ.get("BACKOFFICE_DATABASE_URL") or DEFAULT_DATABASE_URL)


def create_tables_setting() -> str:
    """``BACKOFFICE_CREATE_TABLES=no``: the tables exist (``backoffice migrate`` made
    them as the owner role) and this process's role could not create them."""
    value = os.environ.get("BACKOFFICE_CREATE_TABLES", "yes").strip().lower()
    if value not in ("yes", "no", "y", "n", "true", "false", "1", "0"):
        raise SettingsError("BACKOFFICE_CREATE_TABLES: yes or no")
    return "y" if value in ("yes", "y", "true", "1") else "n"


def persistence_env(database: Database, *, pool_size: int = 4) -> dict[str, str]:
    """The eventsourcing library's environment for ``database``."""
    if database.backend == "sqlite":
        return {
            "CREATE_TABLE": create_tables_setting(),
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": "adapters.chained_store:ChainedSQLiteApplicationRecorder",
            "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
            "SQLITE_DBNAME": database.sqlite_path,
            "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S * 5),
        }
    return {
        "CREATE_TABLE": create_tables_setting(),
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "adapters.chained_store:ChainedPostgresApplicationRecorder",
        "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
        "POSTGRES_DBNAME": database.dbname,
        "POSTGRES_HOST": database.host,
        "POSTGRES_PORT": str(database.port),
        "POSTGRES_USER": database.user,
        "POSTGRES_PASSWORD": database.password,
        "POSTGRES_SCHEMA": database.schema,
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_S),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
    }


def postgres_connect_kwargs(database: Database) -> dict[str, object]:
    assert database.backend == "postgres"
    return {
        "host": database.host,
        "port": database.port,
        "user": database.user,
        "password": database.password or None,
        "dbname": database.dbname,
        "connect_timeout": CONNECT_TIMEOUT_S,
    }


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or prepared; the message says which and why."""


def prepare_database(database: Database) -> None:
    """Create the PostgreSQL schema if missing (the library expects it to exist).

    Connecting here first also turns an unreachable server into one clear
    error within seconds, before the library's retry loops start. The schema
    is created only when absent: PostgreSQL checks the CREATE privilege even
    for ``CREATE SCHEMA IF NOT EXISTS``, and a deployed application role need
    not have it.
    """
    if database.backend != "postgres":
        return
    import psycopg
    from psycopg import sql

    try:
        conn = psycopg.connect(**postgres_connect_kwargs(database), autocommit=True)  # type: ignore[arg-type]
    except psycopg.Error as error:
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {database.display}: {str(error).strip()}"
        ) from error
    with conn:
        try:
            exists = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (database.schema,)
            ).fetchone()
            if exists is None:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(database.schema))
                )
        except psycopg.Error as error:
            raise DatabaseUnavailable(
                f"PostgreSQL at {database.display} refused to prepare schema "
                f"{database.schema!r}: {str(error).strip()}"
            ) from error


@contextmanager
def schema_setup_lock(database: Database) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock per schema while the library creates its tables.

    The library runs ``CREATE OR REPLACE FUNCTION`` and ``CREATE TABLE IF NOT
    EXISTS`` at every start; two processes starting together on one schema
    (API workers, projection workers) fail with "tuple concurrently updated".
    """
    if database.backend != "postgres":
        yield
        return
    import psycopg

    try:
        conn = psycopg.connect(**postgres_connect_kwargs(database), autocommit=True)  # type: ignore[arg-type]
    except psycopg.Error as error:
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {database.display}: {str(error).strip()}"
        ) from error
    with conn:
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S * 5}s'")
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"backoffice:{database.schema}",))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"backoffice:{database.schema}",))
