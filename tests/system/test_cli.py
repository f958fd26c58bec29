"""The command line as a user meets it: a database that cannot be opened,
a file of entries posted all or nothing, tables that never cut an amount or
an id, and ``--json`` on every listing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from backoffice.cli.main import app as cli
from tests.ledger.support import CHART

MISSING_SQLITE = "sqlite:////nonexistent-backoffice-dir/x/backoffice.db"
UNREACHABLE_POSTGRES = "postgresql://postgres@127.0.0.1:1/nothing"
SOME_UUID = "0b7f5d2e-8a11-4c51-9d43-6b1c2b3a4f55"


def _leaf_commands() -> Iterator[tuple[list[str], Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        if hasattr(command, "commands"):
            for name in sorted(command.commands):
                yield from walk(command.commands[name], [*path, name])
        else:
            yield path, command

    yield from walk(typer.main.get_command(cli), [])


def _arguments(path: list[str], command: Any, files: Path) -> list[str]:
    """Well-formed arguments, so that the command gets as far as the database."""
    entry = files / "entry.json"
    entry.write_text('{"idempotency_key": "k", "effective_date": "2026-01-01", "postings": []}')
    key = files / "public.pem"
    if not key.exists():
        from adapters.signing import generate

        signer = generate()
        key.write_text(signer.public_pem())
        (files / "private.pem").write_text(signer.private_pem())
    known = {
        "post": [str(entry)],
        "reverse": [SOME_UUID, "--reason", "r"],
        "report": ["trial-balance"],
        "audit-export": ["--to", str(files / "package"), "--public-key", str(key)],
        "statements import": [str(entry), "--account", "Assets:Bank"],
        "sanctions load": [str(entry)],
        "statements match": ["s:0", SOME_UUID],
    }
    if " ".join(path) in known:
        return known[" ".join(path)]
    arguments: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        value = SOME_UUID if "id" in param.name or param.name in {"case", "subject"} else "x"
        if param.name == "period":
            value = "2026-01"
        if param.param_type_name == "option":
            arguments += [param.opts[0], value]
        else:
            arguments.append(value)
    return arguments


DATABASE_COMMANDS = [
    " ".join(path)
    for path, command in _leaf_commands()
    if any(param.name == "database" for param in command.params)
]


@pytest.mark.parametrize("command_line", DATABASE_COMMANDS)
@pytest.mark.parametrize(
    "url", [MISSING_SQLITE, pytest.param(UNREACHABLE_POSTGRES, marks=pytest.mark.postgres)]
)
def test_every_command_on_a_database_that_cannot_be_opened_exits_3_with_one_line(
    command_line: str, url: str, tmp_path: Path
) -> None:
    path = command_line.split()
    command = dict((" ".join(p), c) for p, c in _leaf_commands())[command_line]
    arguments = [*path, *_arguments(path, command, tmp_path), "--database", url]
    if command_line == "verify":
        arguments.append("--chain")  # the other mode is covered by `rebuild` and `project`
    env = {"COLUMNS": "80", "BACKOFFICE_SIGNING_KEY_FILE": str(tmp_path / "private.pem")}
    result = CliRunner().invoke(cli, arguments, env=env)
    assert result.exit_code == 3, (arguments, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and "Traceback" not in result.output
    assert "cannot" in lines[0]


@pytest.mark.parametrize(
    "command_line", [["trial-balance"], ["verify", "--chain"], ["checkpoints"]]
)
def test_a_sqlite_path_in_a_missing_directory_is_named_in_the_one_line(
    command_line: list[str],
) -> None:
    result = CliRunner().invoke(cli, [*command_line, "--database", MISSING_SQLITE])
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"error: the database {MISSING_SQLITE} cannot be opened: unable to open database file"
    )


# --- post FILE: all or nothing ---------------------------------------------------------


@pytest.fixture
def books(database_url: str) -> str:
    """A store with the ledger tests' chart of accounts."""
    from backoffice.container import build_system

    system = build_system(database_url)
    try:
        for code, name, account_type, assets, flags in CHART:
            system.app.open_account(_context(), code, name, account_type, assets, flags)
    finally:
        system.close()
    return database_url


def _context() -> Any:
    from domain.kernel.context import Context

    return Context(actor="clerk", correlation_id="test-cli")


def _entry(
    key: str, amount: str, debit: str = "Assets:Bank", credit: str = "Equity:Capital"
) -> Any:
    return {
        "idempotency_key": key,
        "effective_date": "2026-01-15",
        "postings": [
            {"account": debit, "direction": "debit", "amount": amount, "asset": "USD"},
            {"account": credit, "direction": "credit", "amount": amount, "asset": "USD"},
        ],
    }


def _post(url: str, entries: Any, tmp_path: Path, *options: str) -> Any:
    file = tmp_path / "entries.json"
    file.write_bytes(orjson.dumps(entries))
    return CliRunner().invoke(cli, ["post", str(file), "--database", url, *options])


def _head(url: str) -> int:
    from backoffice.container import build_system

    system = build_system(url)
    try:
        return int(system.app.recorder.max_notification_id() or 0)
    finally:
        system.close()


def test_a_list_with_one_refused_entry_posts_nothing_and_names_the_refusal(
    books: str, tmp_path: Path
) -> None:
    before = _head(books)
    overdraft = _entry("rent", "500.00", debit="Expenses:Rent", credit="Assets:Bank")
    result = _post(books, [_entry("capital", "100.00"), overdraft], tmp_path)
    assert result.exit_code == 2, result.output
    assert "rent: refused (" in result.stderr
    assert "nothing posted: 1 of 2 entries refused" in result.stderr
    assert "capital" not in result.stdout
    assert _head(books) == before


def test_a_valid_list_is_posted_in_one_save_with_each_entry_at_its_own_position(
    books: str, tmp_path: Path
) -> None:
    before = _head(books)
    entries = [_entry("capital", "100.00"), _entry("rent", "30.00", "Expenses:Rent", "Assets:Bank")]
    result = _post(books, entries, tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["capital", "rent"]
    positions = [int(line.split(" position ")[1]) for line in lines]
    assert before < positions[0] < positions[1] <= _head(books)
    assert "None" not in result.stdout


def test_a_list_is_written_by_one_save(
    books: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from domain.application import BackOffice

    saves: list[int] = []
    original = BackOffice.save

    def counted(self: Any, *objs: Any, **kwargs: Any) -> Any:
        saves.append(len(objs))
        return original(self, *objs, **kwargs)

    monkeypatch.setattr(BackOffice, "save", counted)
    entries = [_entry(f"capital-{index}", "1.00") for index in range(5)]
    result = _post(books, entries, tmp_path)
    assert result.exit_code == 0, result.output
    assert len(saves) == 1 and saves[0] >= 5


def test_with_each_the_valid_entries_are_posted_and_the_refused_one_named(
    books: str, tmp_path: Path
) -> None:
    overdraft = _entry("rent", "500.00", debit="Expenses:Rent", credit="Assets:Bank")
    result = _post(books, [_entry("capital", "100.00"), overdraft], tmp_path, "--each")
    assert result.exit_code == 2
    assert "capital: entry " in result.stdout and " position " in result.stdout
    assert "rent: refused (" in result.stderr


@pytest.mark.parametrize("mode", [[], ["--each"]])
def test_posting_the_same_file_again_prints_the_original_positions_never_none(
    books: str, tmp_path: Path, mode: list[str]
) -> None:
    entries = [_entry("capital", "100.00"), _entry("capital", "100.00")]
    first = _post(books, entries, tmp_path, *mode)
    again = _post(books, entries, tmp_path, *mode)
    assert first.exit_code == 0 and again.exit_code == 0, (first.output, again.output)
    assert "None" not in first.stdout + again.stdout
    original = first.stdout.splitlines()[0].split(" (replayed")[0]
    assert again.stdout.splitlines()[0].startswith(original)
    assert "(replayed: posted before with this key)" in again.stdout


def test_a_key_used_before_for_another_entry_refuses_the_whole_list(
    books: str, tmp_path: Path
) -> None:
    assert _post(books, [_entry("capital", "100.00")], tmp_path).exit_code == 0
    before = _head(books)
    result = _post(books, [_entry("more", "5.00"), _entry("capital", "99.00")], tmp_path)
    assert result.exit_code == 2
    assert "capital: refused (" in result.stderr
    assert _head(books) == before


# --- tables never cut amounts or ids ----------------------------------------------------

LONG_AMOUNT = "1234567890123.45"


def test_a_trial_balance_piped_at_80_columns_keeps_every_amount_and_account_whole(
    books: str, tmp_path: Path
) -> None:
    assert _post(books, [_entry("capital", LONG_AMOUNT)], tmp_path).exit_code == 0
    result = CliRunner().invoke(cli, ["trial-balance", "--database", books], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert LONG_AMOUNT in result.stdout and "Equity:Capital" in result.stdout
    assert "…" not in result.stdout


def _wide_table() -> Table:
    table = Table("payment id", "status", "amount", "paying account", "requested by")
    for index in range(3):
        table.add_row(
            f"{SOME_UUID[:-1]}{index}", "awaiting_approval", LONG_AMOUNT,
            "Assets:Bank:Operating:Europe:Main", "a person with a long name",
        )  # fmt: skip
    return table


def _printed(monkeypatch: pytest.MonkeyPatch, terminal: bool, width: int) -> str:
    from backoffice.cli import common

    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    monkeypatch.setattr(common, "console", console)
    common.print_table(_wide_table(), whole=("payment id", "amount"))
    return out.getvalue()


def test_on_an_80_column_terminal_the_other_columns_fold_and_ids_and_amounts_stay_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed = _printed(monkeypatch, terminal=True, width=80)
    assert all(len(line) <= 80 for line in printed.splitlines())
    assert printed.count(LONG_AMOUNT) == 3 and printed.count(SOME_UUID[:-1]) == 3
    assert "…" not in printed


def test_piped_a_wide_table_is_printed_at_its_natural_width_without_cutting_a_cell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed = _printed(monkeypatch, terminal=False, width=40)
    assert "Assets:Bank:Operating:Europe:Main" in printed
    assert "a person with a long name" in printed and "…" not in printed


def test_on_a_terminal_too_narrow_for_the_whole_columns_nothing_is_cut_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed = _printed(monkeypatch, terminal=True, width=30)
    assert printed.count(LONG_AMOUNT) == 3 and "…" not in printed


# --- --json on every listing, and tokens create -----------------------------------------


def test_tokens_create_piped_prints_only_the_token_on_stdout(database_url: str) -> None:
    arguments = ["tokens", "create", "--actor", "alice", "--role", "poster"]
    result = CliRunner().invoke(cli, [*arguments, "--database", database_url])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 and " " not in result.stdout.strip()
    assert "shown once" in result.stderr


def test_tokens_create_with_json_prints_the_token_and_its_record(database_url: str) -> None:
    arguments = ["tokens", "create", "--actor", "alice", "--role", "poster", "--json"]
    result = CliRunner().invoke(cli, [*arguments, "--database", database_url])
    assert result.exit_code == 0, result.output
    created = orjson.loads(result.stdout)
    assert created["actor"] == "alice" and created["role"] == "poster" and created["token"]
    listed = CliRunner().invoke(cli, ["tokens", "list", "--json", "--database", database_url])
    assert listed.exit_code == 0, listed.output
    rows = orjson.loads(listed.stdout)
    assert [row["token_id"] for row in rows] == [created["token_id"]]
    assert created["token"] not in listed.stdout


def test_tokens_list_piped_at_80_columns_keeps_each_token_id_whole(database_url: str) -> None:
    for actor in ("alice", "bob"):
        arguments = ["tokens", "create", "--actor", actor, "--role", "poster"]
        assert CliRunner().invoke(cli, [*arguments, "--database", database_url]).exit_code == 0
    ids = orjson.loads(
        CliRunner().invoke(cli, ["tokens", "list", "--json", "--database", database_url]).stdout
    )
    table = CliRunner().invoke(
        cli, ["tokens", "list", "--database", database_url], env={"COLUMNS": "80"}
    )
    assert all(row["token_id"] in table.stdout for row in ids) and "…" not in table.stdout


def test_sanctions_cases_and_screen_print_json(database_url: str) -> None:
    cases = CliRunner().invoke(cli, ["sanctions", "cases", "--json", "--database", database_url])
    assert cases.exit_code == 0, cases.output
    assert orjson.loads(cases.stdout) == []


def test_every_listing_takes_json() -> None:
    listings = {
        "trial-balance", "tokens list", "payments list", "settlements list", "sanctions cases",
        "sanctions screen", "reconcile", "checkpoints",
    }  # fmt: skip
    options = {
        " ".join(path): {opt for param in command.params for opt in param.opts}
        for path, command in _leaf_commands()
    }
    assert {name for name in listings if "--json" not in options[name]} == set()
    assert "--json" in options["tokens create"]


def test_checkpoints_print_json_with_each_note_text(books: str, tmp_path: Path) -> None:
    from adapters.signing import generate

    database_url = books
    key = tmp_path / "private.pem"
    key.write_text(generate().private_pem())
    env = {"BACKOFFICE_SIGNING_KEY_FILE": str(key)}
    signed = CliRunner().invoke(cli, ["checkpoint", "--database", database_url], env=env)
    assert signed.exit_code == 0, signed.output
    listed = CliRunner().invoke(cli, ["checkpoints", "--json", "--database", database_url])
    assert listed.exit_code == 0, listed.output
    [note] = orjson.loads(listed.stdout)
    assert note["text"] == signed.stdout and note["size"] >= 1 and note["signature"]
