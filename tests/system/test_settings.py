"""Settings: one database URL, refused early and clearly when it cannot work."""

from __future__ import annotations

import time

import psycopg
import pytest

from adapters.database import (
    DEFAULT_DATABASE_URL,
    DatabaseUnavailable,
    SettingsError,
    parse_database_url,
    persistence_env,
    postgres_connect_kwargs,
)
from adapters.settings import Settings
from backoffice.container import build_system


def test_a_sqlite_url_names_the_database_file() -> None:
    database = parse_database_url("sqlite:///var/lib/backoffice/books.db")
    assert (database.backend, database.sqlite_path) == ("sqlite", "var/lib/backoffice/books.db")
    assert persistence_env(database)["SQLITE_DBNAME"] == "var/lib/backoffice/books.db"


def test_a_sqlite_url_with_four_slashes_names_an_absolute_path() -> None:
    assert parse_database_url("sqlite:////tmp/books.db").sqlite_path == "/tmp/books.db"


def test_a_sqlite_url_without_a_path_is_refused() -> None:
    with pytest.raises(SettingsError, match="needs a file path"):
        parse_database_url("sqlite:///")


def test_a_full_postgres_url_is_mapped_onto_the_library_settings() -> None:
    database = parse_database_url("postgresql://ledger:s%40cret@db.internal:6543/books?schema=acme")
    assert (database.backend, database.user, database.password, database.host, database.port,
            database.dbname, database.schema) == (
        "postgres", "ledger", "s@cret", "db.internal", 6543, "books", "acme")
    env = persistence_env(database)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"],
            env["POSTGRES_PASSWORD"], env["POSTGRES_DBNAME"], env["POSTGRES_SCHEMA"]) == (
        "db.internal", "6543", "ledger", "s@cret", "books", "acme")


def test_a_postgres_url_without_password_port_or_schema_uses_the_defaults() -> None:
    database = parse_database_url("postgresql://ledger@db.internal/books")
    assert (database.password, database.port, database.schema) == ("", 5432, "public")
    assert postgres_connect_kwargs(database)["password"] is None


def test_a_postgres_url_without_a_user_connects_as_postgres() -> None:
    assert parse_database_url("postgres://db.internal/books").user == "postgres"


def test_the_display_form_of_a_url_hides_the_password() -> None:
    database = parse_database_url("postgresql://ledger:hunter2@db.internal/books")
    assert "hunter2" not in database.display
    assert database.display == "postgresql://ledger@db.internal:5432/books?schema=public"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@db/books", "expected sqlite:///path or postgresql://"),
        ("books.db", "expected sqlite:///path or postgresql://"),
        ("sqlite://books.db", "expected sqlite:///path or postgresql://"),
        ("postgresql://ledger@db.internal", "needs a host and a database"),
        ("postgresql:///books", "needs a host and a database"),
        ("postgresql://ledger@db/books?schema=Acme", "must be a lower-case identifier"),
        ("postgresql://ledger@db/books?schema=acme;drop", "must be a lower-case identifier"),
        ("postgresql://ledger@db/books?schema=1acme", "must be a lower-case identifier"),
        ("postgresql://ledger@db/books?schema=acme%0A", "must be a lower-case identifier"),
        ("postgresql://ledger@db/books?schema=" + "a" * 64, "must be a lower-case identifier"),
        ("postgresql://ledger@db/books?schema=", "must be a lower-case identifier"),
        ("postgresql://ledger@db:notaport/books", "port"),
        ("postgresql://ledger@db:99999/books", "port"),
    ],
    ids=["another database", "a bare file name", "sqlite with two slashes", "no database",
         "no host", "an upper-case schema", "a schema with punctuation",
         "a schema starting with a digit", "a schema with a newline", "a schema of 64 characters",
         "an empty schema", "a port that is not a number", "a port out of range"],
)
def test_an_unusable_url_is_refused_with_a_message_naming_the_setting(url: str, message: str) -> None:
    with pytest.raises(SettingsError) as refusal:
        parse_database_url(url)
    assert "BACKOFFICE_DATABASE_URL" in str(refusal.value)
    assert message in str(refusal.value)


def test_the_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", "postgresql://ledger@db.internal/books")
    assert Settings.from_environment().database.host == "db.internal"


def test_without_a_database_url_the_embedded_sqlite_store_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BACKOFFICE_DATABASE_URL", raising=False)
    assert Settings.from_environment().database == parse_database_url(DEFAULT_DATABASE_URL)
    assert Settings.from_environment().database.backend == "sqlite"


@pytest.mark.postgres
def test_a_missing_postgres_schema_is_created(postgres_url: str) -> None:
    database = parse_database_url(postgres_url)
    system = build_system(postgres_url)
    system.close()
    with psycopg.connect(**postgres_connect_kwargs(database)) as conn:  # type: ignore[arg-type]
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (database.schema,),
        ).fetchall()
    assert ("backoffice_events",) in tables


def test_an_unreachable_postgres_is_reported_within_seconds() -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as refusal:
        build_system("postgresql://postgres@127.0.0.1:1/books?schema=acme")
    elapsed_s = time.monotonic() - started
    assert elapsed_s < 15, f"took {elapsed_s:.1f} s to report an unreachable database"
    assert "127.0.0.1:1" in str(refusal.value)


def test_a_wrong_postgres_password_is_reported_without_showing_it() -> None:
    # Port 1 refuses the connection before any password is sent; the message
    # must still never echo the password from the URL.
    with pytest.raises(DatabaseUnavailable) as refusal:
        build_system("postgresql://postgres:hunter2@127.0.0.1:1/books")
    assert "hunter2" not in str(refusal.value)
