"""The server refuses, in production, a PostgreSQL that would lose acknowledged writes.

``fsync=off``, ``full_page_writes=off`` and ``synchronous_commit=off`` each
let a crash take away commits the client was told are durable. The check
reads the settings through the application's own connection, so a value set
per database or per role is caught too. It runs on a throwaway cluster: the
shared server's configuration is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from adapters.database import (
    SettingsError,
    durability_refusals,
    parse_database_url,
    refuse_unsafe_durability,
)
from tests.pg_cluster import available, throwaway_cluster


@pytest.fixture(scope="module")
def unsafe_cluster_url() -> Iterator[str]:
    reason = available()
    if reason is not None:
        pytest.skip(f"PostgreSQL test: cannot start a throwaway cluster: {reason}")
    with throwaway_cluster() as cluster:  # started with fsync=off (it is throwaway)
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET full_page_writes = off")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("ALTER DATABASE postgres SET synchronous_commit = off")
        yield cluster.url


@pytest.mark.postgres
def test_every_unsafe_setting_is_named(unsafe_cluster_url: str) -> None:
    findings = durability_refusals(parse_database_url(unsafe_cluster_url))
    named = sorted(finding.split("=")[0].removeprefix("PostgreSQL ") for finding in findings)
    assert named == ["fsync", "full_page_writes", "synchronous_commit"], findings


@pytest.mark.postgres
def test_a_production_start_is_refused_with_the_settings_named(unsafe_cluster_url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        refuse_unsafe_durability(parse_database_url(unsafe_cluster_url))
    assert "fsync=off" in str(refused.value) and "synchronous_commit=off" in str(refused.value)


@pytest.mark.postgres
def test_the_shared_server_is_safe(postgres_url: str) -> None:
    assert durability_refusals(parse_database_url(postgres_url)) == []


def test_sqlite_has_no_server_settings_to_refuse(tmp_path: Path) -> None:
    assert durability_refusals(parse_database_url(f"sqlite:///{tmp_path}/db")) == []
