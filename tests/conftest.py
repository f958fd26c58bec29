"""Backends for storage tests: every storage test runs on SQLite and PostgreSQL.

PostgreSQL comes from ``BACKOFFICE_TEST_DATABASE_URL``; each test gets a fresh
schema, dropped afterwards. Without the variable, PostgreSQL tests skip with
the reason (``.ci/run`` sets it and fails on any such skip).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ENV = "BACKOFFICE_TEST_DATABASE_URL"
_RUN_TAG = uuid.uuid4().hex[:8]
_counter = itertools.count()


def postgres_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}schema={schema}"


def drop_schema(base: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    from adapters.database import parse_database_url, postgres_connect_kwargs

    database = parse_database_url(base)
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(f"PostgreSQL test: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"bo_test_{_RUN_TAG}_{next(_counter)}"
    yield _schema_url(base, schema)
    drop_schema(base, schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'backoffice.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh store on each backend: the test runs once per backend."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def system(database_url: str) -> Iterator[object]:
    from backoffice.container import build_system

    built = build_system(database_url)
    yield built
    built.close()


@pytest.fixture
def app(database_url: str) -> Iterator[object]:
    """The ledger tests' company: the chart of tests/ledger_support.py, bank funded with 100.00.

    Modules that need another start (no funding, another key) override it.
    """
    from backoffice.container import build_system
    from tests.ledger.support import fund_bank, open_chart

    system = build_system(database_url)
    open_chart(system.app)
    fund_bank(system.app, "100.00")
    yield system.app
    system.close()
