"""Multi-host URLs, the read URL and the sync-replica setting (no database needed)."""

from __future__ import annotations

import pytest

from adapters.database import (
    SettingsError,
    parse_database_url,
    persistence_env,
    postgres_connect_kwargs,
)
from adapters.settings import Settings

MULTI = "postgresql://app:pw@h1:5433,h2:5434,h3/db?schema=bo&target_session_attrs=read-write"


def test_a_multi_host_url_keeps_every_host_in_order() -> None:
    database = parse_database_url(MULTI)
    assert database.hosts == (("h1", 5433), ("h2", 5434), ("h3", 5432))
    assert (database.host, database.port) == ("h1", 5433)
    assert (database.user, database.password, database.dbname, database.schema) == (
        "app",
        "pw",
        "db",
        "bo",
    )
    assert database.target_session_attrs == "read-write"
    assert "pw" not in database.display and "h2:5434" in database.display


def test_libpq_gets_comma_separated_hosts_ports_and_the_session_attrs() -> None:
    database = parse_database_url(MULTI)
    kwargs = postgres_connect_kwargs(database)
    assert kwargs["host"] == "h1,h2,h3" and kwargs["port"] == "5433,5434,5432"
    assert kwargs["target_session_attrs"] == "read-write"
    env = persistence_env(database)
    assert env["POSTGRES_HOST"] == "h1,h2,h3" and env["POSTGRES_PORT"] == "5433,5434,5432"
    assert env["PERSISTENCE_MODULE"] == "adapters.replicas:FailoverPostgresFactory"
    assert env["POSTGRES_TARGET_SESSION_ATTRS"] == "read-write"


def test_psycopg_accepts_the_multi_host_arguments() -> None:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    text = make_conninfo("", **postgres_connect_kwargs(parse_database_url(MULTI)))  # type: ignore[arg-type]
    parsed = conninfo_to_dict(text)
    assert parsed["host"] == "h1,h2,h3" and parsed["target_session_attrs"] == "read-write"


def test_the_failover_factory_gives_the_library_pool_the_session_attrs() -> None:
    from adapters.replicas import FailoverPostgresFactory

    env = persistence_env(parse_database_url(MULTI))
    factory = FailoverPostgresFactory(env)
    try:
        kwargs = factory.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        assert kwargs["target_session_attrs"] == "read-write"
        assert kwargs["host"] == "h1,h2,h3"
    finally:
        factory.close()


def test_a_single_host_url_is_unchanged() -> None:
    database = parse_database_url("postgresql://u@db:6000/x?schema=s")
    assert database.hosts == () and database.target_session_attrs == ""
    assert postgres_connect_kwargs(database)["port"] == 6000
    assert "target_session_attrs" not in postgres_connect_kwargs(database)
    env = persistence_env(database)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert database.display == "postgresql://u@db:6000/x?schema=s"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h1:1,h2:notaport/db",
        "postgresql://u@h1:1,:5/db",
        "postgresql://u@h1,h2/",
        "postgresql://u@h/db?target_session_attrs=writable",
    ],
)
def test_bad_multi_host_urls_are_refused_naming_the_variable(url: str) -> None:
    with pytest.raises(SettingsError, match="BACKOFFICE_DATABASE_URL"):
        parse_database_url(url)


def test_the_read_url_and_the_sync_replica_setting() -> None:
    settings = Settings.from_environment(
        {
            "BACKOFFICE_READ_DATABASE_URL": "postgresql://u@standby:5432/db?schema=bo",
            "BACKOFFICE_REQUIRE_SYNC_REPLICA": "yes",
        }
    )
    assert settings.read_database is not None and settings.read_database.host == "standby"
    assert settings.require_sync_replica is True
    plain = Settings.from_environment({})
    assert plain.read_database is None and plain.require_sync_replica is False
    with pytest.raises(SettingsError, match="BACKOFFICE_READ_DATABASE_URL"):
        Settings.from_environment({"BACKOFFICE_READ_DATABASE_URL": "sqlite:///x.db"})
    with pytest.raises(SettingsError, match="BACKOFFICE_READ_DATABASE_URL") as refused:
        Settings.from_environment({"BACKOFFICE_READ_DATABASE_URL": "postgresql://u:secret@/db"})
    assert "secret" not in str(refused.value)


def test_without_a_read_url_the_system_reads_the_primary(tmp_path: object) -> None:
    from backoffice.container import build_system

    system = build_system(f"sqlite:///{tmp_path}/db.sqlite", settings=Settings())
    try:
        assert system.read_database is None
        assert system.reader_database is system.database
        assert system.services.reports.source.database is system.database  # type: ignore[attr-defined]
    finally:
        system.close()
