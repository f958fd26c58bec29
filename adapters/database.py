"""The database: one ``BACKOFFICE_DATABASE_URL`` mapped onto the library's settings.

``sqlite:///path`` (default ``sqlite:///./backoffice.db``; ``sqlite:///:memory:``
for throwaway stores) or ``postgresql://user[:password]@host[:port]/db[?schema=name]``.
The library waits forever for locks and retries failed calls ten times by
default; here lock and connect timeouts are set in seconds so that a dead or
locked database surfaces as an error within about ten seconds. The URL
itself is read by ``adapters.settings``; everything here takes values.
"""

from __future__ import annotations

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
    hosts: tuple[tuple[str, int], ...] = ()
    """Every ``host:port`` of a multi-host URL, in order (empty: just ``host``/``port``)."""
    target_session_attrs: str = ""
    """libpq's ``target_session_attrs`` (``read-write`` to find the primary of several)."""

    @property
    def host_param(self) -> str:
        """libpq's ``host``: one host, or the comma-separated list of a multi-host URL."""
        return ",".join(host for host, _ in self.hosts) if self.hosts else self.host

    @property
    def port_param(self) -> str:
        """libpq's ``port``: one port, or the comma-separated list, one per host."""
        return ",".join(str(port) for _, port in self.hosts) if self.hosts else str(self.port)

    @property
    def display(self) -> str:
        """The URL without its password, for logs and errors."""
        if self.backend == "sqlite":
            return self.url
        where = (
            ",".join(f"{host}:{port}" for host, port in self.hosts)
            if self.hosts
            else f"{self.host}:{self.port}"
        )
        tail = (
            f"&target_session_attrs={self.target_session_attrs}"
            if self.target_session_attrs
            else ""
        )
        return f"postgresql://{self.user}@{where}/{self.dbname}?schema={self.schema}{tail}"


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
    # keep_blank_values: "?schema=" is a mistake to report, not a request for "public".
    query = parse_qs(parts.query, keep_blank_values=True)
    schema = query.get("schema", ["public"])[0]
    if not _SCHEMA.match(schema):
        raise SettingsError(
            f"BACKOFFICE_DATABASE_URL: schema {schema!r} must be a lower-case identifier"
        )
    attrs = query.get("target_session_attrs", [""])[0]
    if attrs not in TARGET_SESSION_ATTRS:
        raise SettingsError(
            f"BACKOFFICE_DATABASE_URL: target_session_attrs {attrs!r} must be one of "
            + ", ".join(value for value in TARGET_SESSION_ATTRS if value)
        )
    if "," in parts.netloc:
        return _multi_host(url, parts.netloc, dbname, schema, attrs)
    if not parts.hostname or not dbname:
        raise SettingsError("BACKOFFICE_DATABASE_URL: a PostgreSQL URL needs a host and a database")
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
        target_session_attrs=attrs,
    )


TARGET_SESSION_ATTRS = (
    "",
    "any",
    "read-write",
    "read-only",
    "primary",
    "standby",
    "prefer-standby",
)
"""libpq's values of ``target_session_attrs`` (empty: not given, libpq's ``any``)."""


def _multi_host(url: str, netloc: str, dbname: str, schema: str, attrs: str) -> Database:
    """``user[:password]@h1[:p1],h2[:p2]/db``: libpq's multi-host form, which urllib
    cannot split (it reads ``p1,h2:p2`` as one port)."""
    userinfo, _, hostlist = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    hosts: list[tuple[str, int]] = []
    for item in hostlist.split(","):
        host, _, port_text = item.rpartition(":") if ":" in item else (item, "", "")
        if not host or not dbname:
            raise SettingsError(
                "BACKOFFICE_DATABASE_URL: a multi-host PostgreSQL URL needs host[:port] "
                "items separated by commas and a database"
            )
        try:
            port = int(port_text) if port_text else 5432
            if not 0 < port < 65536:
                raise ValueError(port_text)
        except ValueError:
            raise SettingsError(
                f"BACKOFFICE_DATABASE_URL: bad port {port_text!r} of {host}"
            ) from None
        hosts.append((host, port))
    return Database(
        url=url,
        backend="postgres",
        host=hosts[0][0],
        port=hosts[0][1],
        user=unquote(user or "postgres"),
        password=unquote(password),
        dbname=dbname,
        schema=schema,
        hosts=tuple(hosts),
        target_session_attrs=attrs,
    )


def persistence_env(
    database: Database, *, pool_size: int = 4, create_tables: bool = True
) -> dict[str, str]:
    """The eventsourcing library's environment for ``database``.

    ``create_tables=False`` (``BACKOFFICE_CREATE_TABLES=no``): the tables exist
    (``backoffice migrate`` made them as the owner role) and this process's role
    could not create them.
    """
    create_table = "y" if create_tables else "n"
    if database.backend == "sqlite":
        return {
            "CREATE_TABLE": create_table,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": "adapters.chained_store:ChainedSQLiteApplicationRecorder",
            "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
            "SQLITE_DBNAME": database.sqlite_path,
            "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S * 5),
        }
    failover = (
        # The library's factory has no target_session_attrs setting (adapters.replicas).
        {
            "PERSISTENCE_MODULE": "adapters.replicas:FailoverPostgresFactory",
            "POSTGRES_TARGET_SESSION_ATTRS": database.target_session_attrs,
        }
        if database.target_session_attrs
        else {}
    )
    return {
        "CREATE_TABLE": create_table,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "adapters.chained_store:ChainedPostgresApplicationRecorder",
        "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
        "POSTGRES_DBNAME": database.dbname,
        # libpq takes comma-separated lists here; the library passes both through
        # to psycopg as they are (target_session_attrs: adapters.replicas).
        "POSTGRES_HOST": database.host_param,
        "POSTGRES_PORT": database.port_param,
        "POSTGRES_USER": database.user,
        "POSTGRES_PASSWORD": database.password,
        "POSTGRES_SCHEMA": database.schema,
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_S),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        **failover,
    }


def postgres_connect_kwargs(database: Database) -> dict[str, object]:
    assert database.backend == "postgres"
    kwargs: dict[str, object] = {
        "host": database.host_param,
        "port": database.port_param if database.hosts else database.port,
        "user": database.user,
        "password": database.password or None,
        "dbname": database.dbname,
        "connect_timeout": CONNECT_TIMEOUT_S,
    }
    if database.target_session_attrs:
        kwargs["target_session_attrs"] = database.target_session_attrs
    return kwargs


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
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        sql.Identifier(database.schema)
                    )
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
            conn.execute(
                "SELECT pg_advisory_unlock(hashtext(%s))", (f"backoffice:{database.schema}",)
            )


DURABILITY_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": ("on", "remote_write", "remote_apply", "local"),
    "full_page_writes": "on",
}
"""PostgreSQL settings an acknowledged write depends on, and the values that keep it.

``fsync=off`` or ``full_page_writes=off`` can corrupt the cluster on a crash;
``synchronous_commit=off`` acknowledges a commit before its WAL is flushed,
so a crash loses writes the client was told are durable.
"""


def durability_refusals(database: Database) -> list[str]:
    """One message per PostgreSQL setting that would lose acknowledged writes.

    Read through a connection of this process's role and database, so a
    per-role or per-database ``synchronous_commit`` is seen as the server
    applies it. SQLite answers no findings: its durability is the library's
    ``synchronous`` pragma in WAL mode, not a server setting.
    """
    if database.backend != "postgres":
        return []
    import psycopg

    try:
        conn = psycopg.connect(**postgres_connect_kwargs(database), autocommit=True)  # type: ignore[arg-type]
    except psycopg.Error as error:
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {database.display}: {str(error).strip()}"
        ) from error
    findings = []
    with conn:
        for name, safe in DURABILITY_SETTINGS.items():
            row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
            value = str(row[0]) if row else ""
            allowed = (safe,) if isinstance(safe, str) else safe
            if value not in allowed:
                findings.append(
                    f"PostgreSQL {name}={value} at {database.display}: acknowledged writes could"
                    f" be lost in a crash; production needs {name}={allowed[0]}"
                )
    return findings


def refuse_unsafe_durability(database: Database) -> None:
    """Raise ``SettingsError`` naming every setting that would lose acknowledged writes."""
    findings = durability_refusals(database)
    if findings:
        raise SettingsError("; ".join(findings))
