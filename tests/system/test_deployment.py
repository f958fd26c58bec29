"""Deployment files: docker-compose.yml, Dockerfile, the init SQL and .ci/run.

No Docker engine is needed: the compose file is validated against the
Compose Specification's JSON schema (vendored in tests/data/compose-spec/),
and the init SQL is applied with psql to a throwaway database on the
PostgreSQL test server.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from adapters.database import parse_database_url, postgres_connect_kwargs

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CI_RUN = ROOT / ".ci" / "run"
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "data" / "compose-spec"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
APP_SERVICES = ("api", "projector")
OWNER_SERVICES = ("migrate", "backoffice")
BUILT_SERVICES = (*APP_SERVICES, *OWNER_SERVICES)
REPLICA_SERVICES = ("postgres-standby", "api-replica")
"""The ``replica`` profile (issue 16): a hot standby and an API reading from it."""
INITDB_MOUNT = "/docker-entrypoint-initdb.d"
ENTRIES_ON_DISTINCT_DAYS = 60
PG_ENV = "BACKOFFICE_TEST_DATABASE_URL"
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def postgres_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _interpolated(text: str) -> str:
    """Compose's ${NAME:-default} with nothing set: the defaults."""
    return _VARIABLE.sub(lambda match: match.group("default") or "", text)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: _interpolated(str(value)) for name, value in environment.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _initdb_directory(compose: dict[str, Any]) -> Path:
    for volume in compose["services"]["postgres"].get("volumes", []):
        source, _, target = str(volume).partition(":")
        if target.split(":")[0] == INITDB_MOUNT:
            return (ROOT / source).resolve()
    raise AssertionError(f"the postgres service mounts nothing at {INITDB_MOUNT}")


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


# --- docker-compose.yml -------------------------------------------------------


def test_the_vendored_compose_schema_is_the_recorded_one() -> None:
    digest = hashlib.sha256((SCHEMA_DIR / "compose-spec.json").read_bytes()).hexdigest()
    assert digest == SCHEMA_SHA256
    assert SCHEMA_SHA256 in (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    assert "Apache License" in (SCHEMA_DIR / "LICENSE").read_text(encoding="utf-8")


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((SCHEMA_DIR / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(_compose()), key=lambda error: list(error.path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, error.path)) or '<root>'}: {error.message}" for error in errors
    )


def test_the_compose_schema_check_catches_a_misspelt_key() -> None:
    schema = json.loads((SCHEMA_DIR / "compose-spec.json").read_text(encoding="utf-8"))
    broken = _compose()
    broken["services"]["projector"]["depends"] = broken["services"]["projector"].pop("depends_on")
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)


def test_the_compose_file_runs_postgres_the_api_the_projector_and_the_cli() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", *BUILT_SERVICES, *REPLICA_SERVICES}
    assert str(services["postgres"]["image"]).startswith("postgres:15")
    assert services["postgres"]["healthcheck"]["test"]


@pytest.mark.parametrize("name", BUILT_SERVICES)
def test_each_app_service_is_built_from_the_dockerfile_and_waits_for_a_healthy_postgres(
    name: str,
) -> None:
    service = _compose()["services"][name]
    build = service["build"]
    context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (context / dockerfile).resolve() == DOCKERFILE
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_connects_as_the_application_role_through_one_url(name: str) -> None:
    environment = _environment(_compose()["services"][name])
    assert "BACKOFFICE_DATABASE_URL" in environment
    database = parse_database_url(environment["BACKOFFICE_DATABASE_URL"])
    assert (database.backend, database.host) == ("postgres", "postgres")
    assert (database.dbname, database.schema) == ("backoffice", "backoffice")
    assert database.user == "backoffice_app"
    assert database.password, "the application role connects with a password"


def test_the_app_password_is_the_one_the_init_sql_gives_the_role() -> None:
    services = _compose()["services"]
    role_password = _environment(services["postgres"])["BACKOFFICE_APP_PASSWORD"]
    for name in APP_SERVICES:
        url = _environment(services[name])["BACKOFFICE_DATABASE_URL"]
        assert parse_database_url(url).password == role_password


@pytest.mark.parametrize("name", OWNER_SERVICES)
def test_migrate_and_maintenance_connect_as_the_owner_role(name: str) -> None:
    services = _compose()["services"]
    database = parse_database_url(_environment(services[name])["BACKOFFICE_DATABASE_URL"])
    assert database.user == "backoffice_owner" and database.schema == "backoffice"
    assert database.password == _environment(services["postgres"])["BACKOFFICE_OWNER_PASSWORD"]


def test_the_app_services_wait_for_migrate_and_do_not_create_tables() -> None:
    services = _compose()["services"]
    assert _command(services["migrate"]) == [
        "backoffice",
        "migrate",
        "--app-role",
        "backoffice_app",
    ]
    for name in APP_SERVICES:
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
        assert _environment(services[name])["BACKOFFICE_CREATE_TABLES"] == "no"


def test_the_projector_projects_and_the_cli_service_is_a_one_off() -> None:
    services = _compose()["services"]
    assert _command(services["projector"])[:2] == ["backoffice", "project"]
    assert services["backoffice"]["entrypoint"] == ["backoffice"]
    assert services["backoffice"]["profiles"] == ["cli"], "not started by `docker compose up`"


def test_the_api_serves_in_production_mode_with_a_required_secret_on_loopback() -> None:
    service = _compose()["services"]["api"]
    command = _command(service)
    assert command[:2] == ["backoffice", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # inside the container
    port = command[command.index("--port") + 1]
    assert service["ports"] == [f"127.0.0.1:{port}:{port}"]  # published to the host's loopback only
    environment = service["environment"]
    assert environment["BACKOFFICE_ENV"] == "production"
    # ${NAME:?message}: compose refuses to start without the variable.
    assert str(environment["BACKOFFICE_SECRET"]).startswith("${BACKOFFICE_SECRET:?")
    assert str(environment["BACKOFFICE_SIGNING_KEY"]).startswith("${BACKOFFICE_SIGNING_KEY:?")
    assert environment["BACKOFFICE_PROJECTIONS"] == "worker"
    assert "/health/ready" in " ".join(service["healthcheck"]["test"])


def test_the_api_settings_of_the_compose_file_are_accepted_with_a_secret() -> None:
    from adapters.settings import Settings

    environment = {
        name: value
        for name, value in _environment(_compose()["services"]["api"]).items()
        if name not in ("BACKOFFICE_SECRET", "BACKOFFICE_SIGNING_KEY")
    }
    settings = Settings.from_environment(
        {**environment, "BACKOFFICE_SECRET": "s" * 40, "BACKOFFICE_SIGNING_KEY": "22" * 32}
    )
    assert (settings.environment, settings.projections) == ("production", "worker")


def test_every_command_the_compose_file_runs_exists_in_the_cli() -> None:
    from typer.testing import CliRunner

    from backoffice.cli.main import app

    for name, service in _compose()["services"].items():
        if str(service.get("image", "")).startswith("postgres:"):
            continue
        entrypoint = service.get("entrypoint") or []
        argv = [*entrypoint, *_command(service)]
        assert argv[0] == "backoffice", f"{name} does not run the backoffice CLI"
        arguments = argv[1:] if argv[1:] == ["--help"] else [argv[1], "--help"]
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 0, (
            f"{name}: `backoffice {' '.join(arguments)}` failed: {result.output}"
        )


def test_the_replica_profile_runs_a_standby_and_an_api_reading_from_it() -> None:
    from adapters.settings import Settings

    compose = _compose()
    services = compose["services"]
    for name in REPLICA_SERVICES:
        assert services[name]["profiles"] == ["replica"], f"{name}: not started by a plain `up`"
    standby = services["postgres-standby"]
    assert standby["image"] == services["postgres"]["image"]
    script = " ".join(_command(standby))
    assert "pg_basebackup" in script and "--write-recovery-conf" in script
    assert "--host=postgres" in script and "hot_standby=on" in script
    assert standby["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert standby["healthcheck"]["test"]
    assert standby["volumes"][0].split(":")[0] in compose["volumes"]
    replication = _environment(services["postgres"])["BACKOFFICE_REPLICATION_PASSWORD"]
    assert _environment(standby)["PGPASSWORD"] == replication
    initdb = _initdb_directory(compose)
    assert "REPLICATION" in (initdb / "40-replication.sh").read_text(encoding="utf-8")

    api = services["api-replica"]
    environment = _environment(api)
    primary = parse_database_url(environment["BACKOFFICE_DATABASE_URL"])
    read = parse_database_url(environment["BACKOFFICE_READ_DATABASE_URL"])
    assert primary.host == "postgres" and read.host == "postgres-standby"
    assert (read.user, read.dbname, read.schema) == ("backoffice_app", "backoffice", "backoffice")
    assert api["depends_on"]["postgres-standby"]["condition"] == "service_healthy"
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert _command(api) == _command(services["api"])
    assert api["ports"] != services["api"]["ports"]
    settings = Settings.from_environment(
        {
            **{
                k: v
                for k, v in environment.items()
                if k not in ("BACKOFFICE_SECRET", "BACKOFFICE_SIGNING_KEY")
            },
            "BACKOFFICE_SECRET": "s" * 40,
            "BACKOFFICE_SIGNING_KEY": "22" * 32,
        }
    )
    assert settings.read_database is not None and settings.read_database.host == "postgres-standby"


def test_the_init_sql_the_postgres_service_mounts_exists() -> None:
    initdb = _initdb_directory(_compose())
    assert initdb.is_dir(), f"{initdb} is missing"
    scripts = sorted(path.name for path in initdb.glob("*.sql"))
    assert scripts, f"no .sql files in {initdb}"
    text = "\n".join((initdb / name).read_text(encoding="utf-8") for name in scripts)
    assert "backoffice_app" in text
    assert "CREATE SCHEMA backoffice" in text


# --- Dockerfile ---------------------------------------------------------------


def test_the_image_is_python_3_11_slim_and_does_not_run_as_root() -> None:
    instructions = _dockerfile_instructions()
    bases = [arguments.split()[0] for keyword, arguments in instructions if keyword == "FROM"]
    assert bases and all(base == "python:3.11-slim" for base in bases)
    final_stage = instructions[max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM") :]
    users = [arguments for keyword, arguments in final_stage if keyword == "USER"]
    assert users, "the final stage needs a USER line"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"runs as {user}"


def test_the_image_installs_every_package_non_editable() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [name.rstrip("*") for name in include]
    instructions = _dockerfile_instructions()
    copied = {arguments.split()[0] for keyword, arguments in instructions if keyword == "COPY"}
    allowed = DOCKERIGNORE.read_text(encoding="utf-8").split()
    for package in packages:
        assert package in copied, f"the Dockerfile does not copy {package}/"
        assert f"!{package}/" in allowed, f".dockerignore keeps {package}/ out of the context"
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert "pip install" in runs and "--editable" not in runs and " -e " not in runs


# --- .ci/run ------------------------------------------------------------------


def test_ci_run_is_valid_bash_that_fails_on_skipped_postgres_tests() -> None:
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable"
    subprocess.run(["bash", "-n", str(CI_RUN)], check=True)
    text = CI_RUN.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    assert "--skip-audit" in text and "skip_audit.py judge" in text
    assert "BACKOFFICE_TEST_DATABASE_URL" in text


def _audit_and_judge(tmp_path: Path, test_source: str) -> tuple[dict[str, Any], int, str]:
    """Run pytest with the audit plugin on one test file, then the CI judge."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    postgres: needs PostgreSQL\n    browser: drives a browser\n",
        encoding="utf-8",
    )
    (tmp_path / "test_sample.py").write_text(test_source, encoding="utf-8")
    audit = tmp_path / "audit.json"
    environment = {**os.environ, "PYTHONPATH": str(ROOT / ".ci")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "skip_audit",
            f"--skip-audit={audit}",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        check=False,
        timeout=120,
    )
    judged = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "skip_audit.py"), "judge", str(audit), "0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return json.loads(audit.read_text(encoding="utf-8")), judged.returncode, judged.stdout


def test_the_ci_judge_fails_a_run_that_skipped_a_postgres_test(tmp_path: Path) -> None:
    audit, status, output = _audit_and_judge(
        tmp_path,
        (
            "import pytest\n"
            "def test_passes():\n    pass\n"
            "@pytest.mark.postgres\n"
            "def test_on_postgres():\n    pytest.skip('no database')\n"
            "def test_reason_only():\n    pytest.skip('PostgreSQL test: set the URL')\n"
            "@pytest.mark.skip(reason='unrelated')\n"
            "def test_unrelated():\n    pass\n"
        ),
    )
    assert audit["passed"] == 1
    assert {skip["nodeid"].split("::")[-1] for skip in audit["skipped"]} == {
        "test_on_postgres",
        "test_reason_only",
        "test_unrelated",
    }
    assert status == 1
    assert "2 PostgreSQL test(s) skipped" in output
    assert output.splitlines()[-1] == "ci: 1 passed, 0 failed, 3 skipped"


def test_the_ci_judge_passes_a_run_whose_skips_are_not_about_postgres(tmp_path: Path) -> None:
    _, status, output = _audit_and_judge(
        tmp_path,
        (
            "import pytest\n"
            "def test_passes():\n    pass\n"
            "@pytest.mark.skip(reason='unrelated')\n"
            "def test_unrelated():\n    pass\n"
        ),
    )
    assert status == 0, output


def test_the_ci_judge_fails_a_run_that_skipped_a_test_of_the_shared_samples(
    tmp_path: Path,
) -> None:
    audit, status, output = _audit_and_judge(
        tmp_path,
        (
            "import pytest\n"
            "def test_passes():\n    pass\n"
            "@pytest.mark.skipif(True, reason='the shared camt samples are not here "
            "(/x/shared/samples/camt); they live in ../shared')\n"
            "def test_a_sample():\n    pass\n"
            "def test_by_path():\n    pytest.skip('no /work/shared/samples/payroll here')\n"
            "def test_sharing_words():\n    pytest.skip('shared fixtures are off')\n"
        ),
    )
    assert {skip["nodeid"].split("::")[-1] for skip in audit["skipped"]} == {
        "test_a_sample",
        "test_by_path",
        "test_sharing_words",
    }
    assert status == 1
    assert "2 shared-samples test(s) skipped" in output
    assert "test_sharing_words" not in output  # "shared" alone is not the samples
    assert "PostgreSQL" not in output
    assert output.splitlines()[-1] == "ci: 1 passed, 0 failed, 3 skipped"


def test_the_ci_judge_fails_a_run_that_skipped_a_browser_test(tmp_path: Path) -> None:
    audit, status, output = _audit_and_judge(
        tmp_path,
        (
            "import pytest\n"
            "def test_passes():\n    pass\n"
            "@pytest.mark.browser\n"
            "def test_in_a_browser():\n    pytest.skip('playwright is not installed')\n"
            "@pytest.mark.browser\n"
            "@pytest.mark.skip(reason='no display')\n"
            "def test_marked_skip():\n    pass\n"
        ),
    )
    assert [skip["browser_marked"] for skip in audit["skipped"]] == [True, True]
    assert status == 1
    assert "2 browser test(s) skipped; CI runs the browser tests" in output
    assert "PostgreSQL" not in output and "shared-samples" not in output


def test_the_ci_judge_reads_an_audit_written_before_browser_tests_were_recorded(
    tmp_path: Path,
) -> None:
    audit = tmp_path / "audit.json"
    audit.write_text(
        json.dumps(
            {
                "passed": 3,
                "failed": 0,
                "xfailed": 0,
                "skipped": [{"nodeid": "t::x", "reason": "unrelated", "postgres_marked": False}],
            }
        ),
        encoding="utf-8",
    )
    judged = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "skip_audit.py"), "judge", str(audit), "0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert judged.returncode == 0, judged.stdout
    assert judged.stdout.splitlines()[-1] == "ci: 3 passed, 0 failed, 1 skipped"


def test_the_ci_judge_fails_a_run_in_which_no_test_ran(tmp_path: Path) -> None:
    _, status, output = _audit_and_judge(tmp_path, "def helper():\n    pass\n")
    assert status == 1
    assert "no test ran" in output


# --- the init SQL on a real server --------------------------------------------


@pytest.fixture
def initdb_database() -> Iterator[tuple[str, str, str, str]]:
    """A throwaway database with the init SQL applied, as the postgres image would.

    Yields (database name, application role, its password, owner role; the
    owner's password is the application's plus "-owner"). The role names get
    a unique suffix because roles are shared by the whole server.
    """
    base = postgres_base_url()
    if base is None:
        pytest.skip("PostgreSQL test: set BACKOFFICE_TEST_DATABASE_URL")
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("PostgreSQL test: the psql client is not installed")
    import psycopg
    from psycopg import sql

    server = parse_database_url(base)
    tag = uuid.uuid4().hex[:8]
    dbname, app_role, owner_role = f"bo_initdb_{tag}", f"bo_app_{tag}", f"bo_owner_{tag}"
    password = uuid.uuid4().hex
    admin = postgres_connect_kwargs(server)
    with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        environment = {
            **os.environ,
            "BACKOFFICE_APP_PASSWORD": password,
            "BACKOFFICE_OWNER_PASSWORD": password + "-owner",
            "PGPASSWORD": server.password,
            "PGCONNECT_TIMEOUT": "5",
        }
        for script in sorted(_initdb_directory(_compose()).glob("*.sql")):
            subprocess.run(
                [
                    psql,
                    "--no-psqlrc",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-v",
                    f"app_role={app_role}",
                    "-v",
                    f"owner_role={owner_role}",
                    "-h",
                    server.host,
                    "-p",
                    str(server.port),
                    "-U",
                    server.user,
                    "-d",
                    dbname,
                    "-f",
                    str(script),
                ],
                env=environment,
                check=True,
                capture_output=True,
                timeout=60,
            )
        yield dbname, app_role, password, owner_role
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
            for role in (app_role, owner_role):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


LOG_TABLES = ("backoffice_events", "backoffice_chain", "backoffice_checkpoints")
"""The tables README's "append-only" names: events, chain, checkpoints."""


def _changes_to_every_log_table() -> list[str]:
    """UPDATE, DELETE and TRUNCATE on each of the three log tables (3 x 3 statements)."""
    set_clause = {
        "backoffice_events": "topic = topic",
        "backoffice_chain": "link = link",
        "backoffice_checkpoints": "note = note",
    }
    return [
        statement
        for table in LOG_TABLES
        for statement in (
            f"UPDATE backoffice.{table} SET {set_clause[table]}",
            f"DELETE FROM backoffice.{table}",
            f"TRUNCATE backoffice.{table}",
        )
    ]


def _log_table_counts(conn: Any) -> dict[str, int]:
    return {
        table: int(conn.execute(f"SELECT count(*) FROM backoffice.{table}").fetchone()[0])
        for table in LOG_TABLES
    }


@pytest.mark.postgres
def test_migrate_as_owner_then_the_app_role_posts_projects_and_cannot_change_the_log(
    initdb_database: tuple[str, str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg
    from typer.testing import CliRunner

    from adapters.signing import generate
    from backoffice.cli.main import app as cli
    from backoffice.container import build_system
    from domain.kernel.context import Context
    from domain.ledger.commands import PostingOutcome, PostJournalEntry
    from projections.audit.trail import AuditTrail
    from replay.checkpointing import LogWitness

    dbname, app_role, password, owner_role = initdb_database
    server = parse_database_url(postgres_base_url() or "")
    where = f"{server.host}:{server.port}/{dbname}?schema=backoffice"
    owner_url = f"postgresql://{owner_role}:{password}-owner@{where}"
    app_url = f"postgresql://{app_role}:{password}@{where}"

    migrated = CliRunner().invoke(cli, ["migrate", "--database", owner_url, "--app-role", app_role])
    assert migrated.exit_code == 0, migrated.output

    monkeypatch.setenv("BACKOFFICE_CREATE_TABLES", "no")
    system = build_system(app_url)
    try:
        # Entries on many days, folded in one batch: large enough that the
        # projection store stages its upserts in temporary tables.
        context = Context(actor="test:deployment", correlation_id=f"deployment-{uuid.uuid4()}")
        system.app.open_account(context, "Assets:Cash", "Cash", "asset", ["USD"])
        system.app.open_account(context, "Equity:Capital", "Capital", "equity", ["USD"])
        first_day = date(2025, 1, 1)
        outcomes = system.app.post_entries(
            [
                PostJournalEntry(
                    context=context,
                    idempotency_key=f"deployment-{day}",
                    effective_date=(first_day + timedelta(days=day)).isoformat(),
                    postings=[
                        {
                            "account": "Assets:Cash",
                            "direction": "debit",
                            "amount": "1.00",
                            "asset": "USD",
                        },
                        {
                            "account": "Equity:Capital",
                            "direction": "credit",
                            "amount": "1.00",
                            "asset": "USD",
                        },
                    ],
                )
                for day in range(ENTRIES_ON_DISTINCT_DAYS)
            ]
        )
        assert all(isinstance(outcome, PostingOutcome) for outcome in outcomes), outcomes
        # A signed checkpoint, so that the checkpoint table has a row to refuse changing.
        LogWitness(system.database).write_checkpoint(system.app, generate(), context)
        assert system.projections.catch_up() >= ENTRIES_ON_DISTINCT_DAYS
        audit = AuditTrail(system.database)
        assert audit.catch_up() >= ENTRIES_ON_DISTINCT_DAYS
        audit.close()
    finally:
        system.close()

    app_database = parse_database_url(app_url)
    with psycopg.connect(**postgres_connect_kwargs(app_database), autocommit=True) as conn:  # type: ignore[arg-type]
        counts_before = _log_table_counts(conn)
        assert all(counts_before.values()), counts_before  # every table has rows to refuse
        # Refused by the role's privileges, not only by the triggers behind them.
        for statement in _changes_to_every_log_table():
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
        for table in LOG_TABLES:
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                (allowed,) = conn.execute(
                    "SELECT has_table_privilege(%s, %s)", (f"backoffice.{table}", privilege)
                ).fetchone()
                assert allowed is False, f"{app_role} may {privilege} {table}"
        for statement in (
            "DROP TRIGGER backoffice_events_append_only_update_delete ON backoffice.backoffice_events",
            "CREATE TABLE backoffice.sneaky (x int)",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert _log_table_counts(conn) == counts_before
    with psycopg.connect(**postgres_connect_kwargs(app_database)) as conn:  # type: ignore[arg-type]
        owners = conn.execute(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'backoffice'"
        ).fetchall()
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert superuser.fetchone() == (False,)
    assert owners, "no tables were created in the backoffice schema"
    assert {owner for _, owner in owners} == {owner_role}  # the app role owns nothing
