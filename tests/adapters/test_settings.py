"""Settings: one typed class reads every BACKOFFICE_* variable, and refuses bad ones by name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from adapters.database import DEFAULT_DATABASE_URL, SettingsError
from adapters.settings import (
    DEVELOPMENT_SECRET,
    PREFIX,
    Settings,
    settings_table_markdown,
    variable_name,
)
from adapters.signing import generate

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_PACKAGES = ("domain", "adapters", "projections", "replay", "api", "backoffice")
SEED = "33" * 32  # an Ed25519 seed, hex
PRODUCTION = {"BACKOFFICE_ENV": "production", "BACKOFFICE_SECRET": "p" * 32}


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment(environ)
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_without_any_variable_every_setting_has_its_default() -> None:
    settings = Settings.from_environment({})
    assert (settings.environment, settings.secret, settings.database_url) == (
        "development",
        DEVELOPMENT_SECRET,
        DEFAULT_DATABASE_URL,
    )
    assert settings.create_tables is True and settings.projections == "inline"
    assert (settings.read_wait_s, settings.body_bytes_max, settings.token_cache_s) == (
        5.0,
        262144,
        2.0,
    )
    assert settings.checkpoint_interval_s == 300.0
    assert settings.signing_key_file is None and settings.signing_key == ""
    assert settings.signer is None and settings.payment_policy is None
    assert (settings.log_level, settings.json_logs, settings.actor) == ("INFO", False, "")
    assert settings.database.backend == "sqlite"


def test_an_empty_variable_means_its_default() -> None:
    settings = Settings.from_environment({"BACKOFFICE_READ_WAIT_S": "", "BACKOFFICE_ENV": ""})
    assert (settings.read_wait_s, settings.environment) == (5.0, "development")


def test_every_variable_is_read_from_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    values = {
        "BACKOFFICE_ENV": "production",
        "BACKOFFICE_SECRET": "s" * 40,
        "BACKOFFICE_DATABASE_URL": "postgresql://ledger@db.internal/books?schema=acme",
        "BACKOFFICE_CREATE_TABLES": "no",
        "BACKOFFICE_PROJECTIONS": "worker",
        "BACKOFFICE_READ_WAIT_S": "1.5",
        "BACKOFFICE_BODY_BYTES_MAX": "4096",
        "BACKOFFICE_TOKEN_CACHE_S": "0",
        "BACKOFFICE_SIGNING_KEY": SEED,
        "BACKOFFICE_CHECKPOINT_INTERVAL_S": "60",
        "BACKOFFICE_PAYMENT_POLICY": str(policy),
        "BACKOFFICE_LOG_LEVEL": "debug",
        "BACKOFFICE_JSON_LOGS": "1",
        "BACKOFFICE_ACTOR": "ops@example.test",
        "BACKOFFICE_READ_DATABASE_URL": "postgresql://u@standby.internal:5432/db?schema=acme",
        "BACKOFFICE_REQUIRE_SYNC_REPLICA": "yes",
        "BACKOFFICE_READY_LAG_MAX": "50",
        "BACKOFFICE_ACCESS_RECORDS_PER_MINUTE": "30",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_environment()
    assert settings.environment == "production" and settings.secret == "s" * 40
    assert settings.read_database is not None and settings.require_sync_replica is True
    assert (settings.ready_lag_max, settings.access_records_per_minute) == (50, 30)
    assert (settings.database.host, settings.database.schema) == ("db.internal", "acme")
    assert settings.create_tables is False and settings.projections == "worker"
    assert (settings.read_wait_s, settings.body_bytes_max, settings.token_cache_s) == (
        1.5,
        4096,
        0.0,
    )
    assert settings.signer is not None and settings.checkpoint_interval_s == 60.0
    assert settings.payment_policy == policy
    assert (settings.log_level, settings.json_logs, settings.actor) == (
        "DEBUG",
        True,
        "ops@example.test",
    )
    # Every field but the key file (set one key, not both) was given above.
    assert {variable_name(name) for name in Settings.model_fields} == {
        *values,
        "BACKOFFICE_SIGNING_KEY_FILE",
    }


def test_a_mapping_alone_decides_and_the_process_environment_plays_no_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BACKOFFICE_PROJECTIONS", "worker")
    assert Settings.from_environment({}).projections == "inline"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKOFFICE_READ_WAIT_S", "-1"),
        ("BACKOFFICE_READ_WAIT_S", "61"),
        ("BACKOFFICE_BODY_BYTES_MAX", "1023"),
        ("BACKOFFICE_BODY_BYTES_MAX", str(16 * 2**20 + 1)),
        ("BACKOFFICE_BODY_BYTES_MAX", "a lot"),
        ("BACKOFFICE_TOKEN_CACHE_S", "61"),
        ("BACKOFFICE_CHECKPOINT_INTERVAL_S", "86401"),
        ("BACKOFFICE_CHECKPOINT_INTERVAL_S", "hourly"),
    ],
)
def test_a_number_out_of_range_or_not_a_number_is_refused_naming_the_variable(
    name: str, value: str
) -> None:
    message = refusal({name: value})
    assert message.startswith(f"{name}: ") and repr(value) in message


def test_an_unknown_environment_is_refused_naming_the_variable() -> None:
    message = refusal({"BACKOFFICE_ENV": "staging"})
    assert message.startswith("BACKOFFICE_ENV: ") and "'production'" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKOFFICE_PROJECTIONS", "sometimes"),
        ("BACKOFFICE_CREATE_TABLES", "maybe"),
        ("BACKOFFICE_JSON_LOGS", "perhaps"),
        ("BACKOFFICE_LOG_LEVEL", "verbose"),
    ],
)
def test_an_unknown_choice_is_refused_naming_the_variable(name: str, value: str) -> None:
    assert refusal({name: value}).startswith(f"{name}: ")


def test_a_bad_database_url_is_refused_naming_the_variable_without_its_password() -> None:
    message = refusal({"BACKOFFICE_DATABASE_URL": "mysql://root:hunter2@db/books"})
    assert message.startswith("BACKOFFICE_DATABASE_URL: ") and "hunter2" not in message


def test_production_without_a_secret_is_refused_naming_the_variable() -> None:
    assert refusal({"BACKOFFICE_ENV": "production", "BACKOFFICE_SIGNING_KEY": SEED}).startswith(
        "BACKOFFICE_SECRET: "
    )


def test_production_without_a_signing_key_is_refused_naming_the_variables() -> None:
    message = refusal(PRODUCTION)
    assert "BACKOFFICE_SIGNING_KEY_FILE" in message and "BACKOFFICE_SIGNING_KEY:" in message


def test_both_a_signing_key_and_a_signing_key_file_are_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(generate().private_pem())
    message = refusal(
        {"BACKOFFICE_SIGNING_KEY_FILE": str(key_file), "BACKOFFICE_SIGNING_KEY": SEED}
    )
    assert message == "BACKOFFICE_SIGNING_KEY_FILE and BACKOFFICE_SIGNING_KEY: set one, not both"


def test_a_signing_key_file_gives_the_signer_of_that_key(tmp_path: Path) -> None:
    signer = generate()
    key_file = tmp_path / "key.pem"
    key_file.write_text(signer.private_pem())
    settings = Settings.from_environment(
        {**PRODUCTION, "BACKOFFICE_SIGNING_KEY_FILE": str(key_file)}
    )
    assert settings.signer is not None and settings.signer.key_id == signer.key_id


def test_a_refused_secret_is_never_echoed() -> None:
    message = refusal({"BACKOFFICE_ENV": "production", "BACKOFFICE_SECRET": "hunter2"})
    assert "hunter2" not in message
    assert "hunter2" not in repr(Settings.from_environment({"BACKOFFICE_SECRET": "hunter2"}))


def test_several_bad_values_are_refused_in_one_line_naming_each() -> None:
    message = refusal({"BACKOFFICE_READ_WAIT_S": "soon", "BACKOFFICE_TOKEN_CACHE_S": "-1"})
    assert "BACKOFFICE_READ_WAIT_S: " in message and "; BACKOFFICE_TOKEN_CACHE_S: " in message


def test_settings_are_immutable() -> None:
    settings = Settings.from_environment({})
    with pytest.raises(ValueError, match="frozen"):
        settings.read_wait_s = 1.0


def test_the_settings_table_lists_every_variable_with_its_default_and_meaning() -> None:
    table = settings_table_markdown().splitlines()
    assert table[:2] == ["| variable | default | meaning |", "|---|---|---|"]
    rows = table[2:]
    assert len(rows) == len(Settings.model_fields)
    for row, (name, info) in zip(rows, Settings.model_fields.items(), strict=True):
        assert row.startswith(f"| `{variable_name(name)}` | ")
        assert info.description and info.description in row
    assert DEVELOPMENT_SECRET not in "\n".join(rows)


def test_the_readme_carries_the_settings_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table_markdown() in readme, (
        "README.md is missing the current settings table: paste settings_table_markdown()"
    )


READ_CALLS = frozenset(
    {"os.getenv", "getenv", "os.environ.get", "environ.get", "os.environ.pop", "environ.pop"}
)
"""Calls that read a variable (``setdefault`` and assignment set one for a child process)."""


def _environment_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, variable) of each read of os.environ / os.getenv naming a BACKOFFICE_ variable."""

    def is_environ(node: ast.AST) -> bool:
        return ast.unparse(node) in ("os.environ", "environ")

    def prefixed(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value if node.value.startswith(PREFIX) else None
        text = ast.unparse(node)  # a name or an f-string: KEY_FILE_ENV, f"{PREFIX}X"
        return text if PREFIX in text or "PREFIX" in text or text.endswith("_ENV") else None

    found = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Call) and ast.unparse(node.func) in READ_CALLS and node.args:
            name = prefixed(node.args[0])
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            name = prefixed(node.slice) if is_environ(node.value) else None
        elif isinstance(node, ast.Compare) and any(map(is_environ, node.comparators)):
            name = prefixed(node.left)
        if name is not None:
            found.append((getattr(node, "lineno", 0), name))
    return sorted(found)


def test_no_module_but_the_settings_reads_a_backoffice_variable_from_the_environment() -> None:
    readers = []
    for package in APPLICATION_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "adapters/settings.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), relative)
            readers += [f"{relative}:{line} {name}" for line, name in _environment_reads(tree)]
    assert readers == [], "read BACKOFFICE_* through adapters.settings.Settings instead"


def test_the_source_scan_finds_each_way_of_reading_the_environment() -> None:
    source = """
import os
from os import environ
a = os.environ.get("BACKOFFICE_X")
b = os.environ["BACKOFFICE_Y"]
c = os.getenv("BACKOFFICE_Z", "")
d = "BACKOFFICE_W" in os.environ
e = environ.get(KEY_FILE_ENV)
os.environ["BACKOFFICE_SET_FOR_A_CHILD"] = "1"
os.environ.setdefault("PYTHONUNBUFFERED", "1")
f = os.environ.get("HOME")
"""
    assert [name for _, name in _environment_reads(ast.parse(source))] == [
        "BACKOFFICE_X",
        "BACKOFFICE_Y",
        "BACKOFFICE_Z",
        "BACKOFFICE_W",
        "KEY_FILE_ENV",
    ]


def test_the_payment_policy_file_is_read_from_the_path_the_settings_name(tmp_path: Path) -> None:
    from backoffice.payment_settings import load_payment_policy

    policy_file = tmp_path / "policy.json"
    policy_file.write_text('{"clearing_account": "Assets:Clearing"}')
    settings = Settings.from_environment({"BACKOFFICE_PAYMENT_POLICY": str(policy_file)})
    assert load_payment_policy(settings.payment_policy).clearing_account == "Assets:Clearing"
    policy_file.write_text('{"colour": "blue"}')
    with pytest.raises(SettingsError, match=r"^BACKOFFICE_PAYMENT_POLICY: "):
        load_payment_policy(settings.payment_policy)
