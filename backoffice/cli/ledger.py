"""CLI: the ledger. ``post``, ``balance``, ``trial-balance``, ``open-account``,
``close-period``, ``reopen-period``, ``reverse``.

``post FILE`` posts a list all or nothing in one save (``--each``: one by
one, each refused alone); every line names the entry's id and its log
position. Refusals exit 2 with the stable code.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from backoffice.cli.common import (
    EXIT_REFUSED,
    ActorOption,
    DatabaseOption,
    JsonOption,
    _context,
    _system,
    console,
    errors,
    print_table,
)

commands = typer.Typer()

POST_FILE_BYTES_MAX = 64 * 1024 * 1024
POST_BATCH_SIZE = 512
"""With ``--each``: how many commands share one group commit."""


@commands.command()
def post(
    file: Annotated[
        Path, typer.Argument(help="JSON file: one entry object or a list of them ('-' for stdin).")
    ],
    each: Annotated[
        bool,
        typer.Option(
            "--each", help="Post one by one: refused entries are refused alone, the rest posted."
        ),
    ] = False,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Post journal entries from a JSON file, all or nothing (one save); prints each
    entry's id and log position."""
    post_commands = _commands(file, _context(actor))
    with _system(database) as system:
        refused = _post_each(system, post_commands) if each else _post_all(system, post_commands)
    if refused:
        raise typer.Exit(EXIT_REFUSED)


def _commands(file: Path, context: Any) -> list[Any]:
    from domain.ledger.commands import PostJournalEntry

    raw = sys.stdin.buffer.read(POST_FILE_BYTES_MAX + 1) if str(file) == "-" else _read_file(file)
    if len(raw) > POST_FILE_BYTES_MAX:
        errors.print(f"[red]refused:[/red] the file is larger than {POST_FILE_BYTES_MAX} bytes")
        raise typer.Exit(EXIT_REFUSED)
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        errors.print(f"[red]refused:[/red] {file} is not valid JSON: {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    items = document if isinstance(document, list) else [document]
    post_commands = []
    for index, item in enumerate(items):
        try:
            post_commands.append(PostJournalEntry(context=context, **_entry_fields(item, index)))
        except ValueError as error:
            errors.print(f"[red]refused:[/red] {error}")
            raise typer.Exit(EXIT_REFUSED) from None
    return post_commands


def _post_all(system: Any, post_commands: list[Any]) -> int:
    """All or nothing: the refusals, or every entry posted in one save."""
    from backoffice.cli.posting import post_atomically

    done = post_atomically(system.app, post_commands)
    for index, refusal in done.refusals:
        key = post_commands[index].idempotency_key
        errors.print(
            f"{escape(str(key))}: [red]refused ({refusal.code})[/red] {refusal.message}",
            soft_wrap=True,
        )
    if done.refusals:
        errors.print(
            f"nothing posted: {len(done.refusals)} of {len(post_commands)} entries refused "
            "(--each posts the others)"
        )
        return len(done.refusals)
    for command, outcome in zip(post_commands, done.outcomes, strict=True):
        _print_posted(command.idempotency_key, outcome)
    return 0


def _post_each(system: Any, post_commands: list[Any]) -> int:
    """One by one (group commits of POST_BATCH_SIZE): each refusal refuses its entry only."""
    from backoffice.cli.posting import with_position
    from domain.kernel.errors import DomainError

    refused = 0
    for start in range(0, len(post_commands), POST_BATCH_SIZE):
        chunk = post_commands[start : start + POST_BATCH_SIZE]
        for command, outcome in zip(chunk, system.app.post_entries(chunk), strict=True):
            key = command.idempotency_key
            if isinstance(outcome, DomainError):
                refused += 1
                errors.print(
                    f"{escape(str(key))}: [red]refused ({outcome.code})[/red] {outcome.message}",
                    soft_wrap=True,
                )
            else:
                _print_posted(key, with_position(system.app, outcome))
    return refused


def _print_posted(key: str, outcome: Any) -> None:
    where = "" if outcome.position is None else f" position {outcome.position}"
    replay = " (replayed: posted before with this key)" if outcome.replayed else ""
    console.print(f"{escape(key)}: entry {outcome.entry_id}{where}{replay}", soft_wrap=True)


ENTRY_FIELDS = (
    "idempotency_key",
    "effective_date",
    "postings",
    "description",
    "reference",
    "pending",
    "metadata",
)


def _entry_fields(item: object, index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"entry [{index}]: expected a JSON object")
    unknown = sorted(set(item) - set(ENTRY_FIELDS))
    if unknown:
        raise ValueError(
            f"entry [{index}]: unknown fields {unknown}; allowed: {list(ENTRY_FIELDS)}"
        )
    missing = [name for name in ENTRY_FIELDS[:3] if name not in item]
    if missing:
        raise ValueError(f"entry [{index}]: missing {missing}")
    return dict(item)


def _read_file(file: Path) -> bytes:
    try:
        with file.open("rb") as handle:
            return handle.read(POST_FILE_BYTES_MAX + 1)
    except OSError as error:
        errors.print(f"[red]error:[/red] cannot read {file}: {error.strerror}")
        raise typer.Exit(EXIT_REFUSED) from None


AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Effective date YYYY-MM-DD (inclusive).")
]
AtPositionOption = Annotated[
    int | None, typer.Option("--at-position", min=0, help="Log position (inclusive).")
]


@commands.command()
def balance(
    account: Annotated[str, typer.Argument(help="Account code, e.g. Assets:Bank:Checking")],
    as_of: AsOfOption = None,
    at_position: AtPositionOption = None,
    database: DatabaseOption = None,
) -> None:
    """An account's balance per asset, as of an effective date and/or log position."""
    with _system(database) as system:
        result = system.projections.balance(
            account, as_of_date=_date(as_of), at_position=at_position
        )
    console.print_json(data=result.as_dict())


@commands.command("trial-balance")
def trial_balance(
    as_of: AsOfOption = None,
    at_position: AtPositionOption = None,
    json_output: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """The trial balance: every account's balance per asset; it nets to zero per asset."""
    with _system(database) as system:
        result = system.projections.trial_balance(as_of_date=_date(as_of), at_position=at_position)
    if json_output:
        console.print_json(data=result.as_dict())
    else:
        print_trial_balance(result)


def _date(text: str | None) -> str | None:
    from domain.kernel import limits

    return None if text is None else limits.effective_date(text, "--as-of")


def print_trial_balance(result: Any) -> None:
    """Conventional layout: each account's net posted balance in the debit or
    credit column; per asset the two columns total the same."""
    from domain.kernel.money import format_amount

    title = f"Trial balance at log position {result.position}"
    if result.as_of_date:
        title += f", as of {result.as_of_date}"
    table = Table(title=title)
    for column, justify in (
        ("account", "left"),
        ("asset", "left"),
        ("debit", "right"),
        ("credit", "right"),
        ("pending dr/cr", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for line in result.lines:
        net_debit = line.debits_posted - line.credits_posted
        pending = ""
        if line.debits_pending or line.credits_pending:
            pending = (
                f"{format_amount(line.debits_pending, line.scale)}/"
                f"{format_amount(line.credits_pending, line.scale)}"
            )
        table.add_row(
            escape(line.account),
            escape(line.asset),
            format_amount(net_debit, line.scale) if net_debit > 0 else "",
            format_amount(-net_debit, line.scale) if net_debit < 0 else "",
            pending,
        )
    for total in result.totals:
        debit = sum(
            max(0, ln.debits_posted - ln.credits_posted)
            for ln in result.lines
            if ln.asset == total.asset
        )
        credit = sum(
            max(0, ln.credits_posted - ln.debits_posted)
            for ln in result.lines
            if ln.asset == total.asset
        )
        table.add_row(
            f"[bold]total {total.asset}[/bold]",
            total.asset,
            format_amount(debit, total.scale),
            format_amount(credit, total.scale),
            "",
        )
    print_table(table, whole=("account", "asset", "debit", "credit", "pending dr/cr"))
    verdict = "[green]balanced[/green]" if result.balanced else "[red]NOT balanced[/red]"
    console.print(f"trial balance: {verdict} (debits equal credits per asset, posted and pending)")


@commands.command("open-account")
def open_account(
    code: str,
    name: Annotated[str, typer.Option(help="Human name of the account.")],
    account_type: Annotated[
        str, typer.Option("--type", help="asset|liability|equity|income|expense")
    ],
    assets: Annotated[
        list[str], typer.Option("--asset", help="Asset the account may hold (repeat).")
    ],
    no_overdraft: Annotated[
        bool, typer.Option("--no-overdraft", help="Never let the balance cross zero.")
    ] = False,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Open an account."""
    with _system(database) as system:
        position = system.app.open_account(
            _context(actor),
            code,
            name,
            account_type,
            assets,
            ["no_overdraft"] if no_overdraft else [],
        )
    console.print(f"opened {code} at position {position}")


@commands.command("close-period")
def close_period(
    period: str,
    reason: Annotated[str, typer.Option()],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Close an accounting period (YYYY-MM): entries dated in it are refused."""
    with _system(database) as system:
        position = system.app.close_period(_context(actor), period, reason)
    console.print(f"closed {period} at position {position}")


@commands.command("reopen-period")
def reopen_period(
    period: str,
    reason: Annotated[str, typer.Option()],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Reopen a closed period (an audited event with its reason)."""
    with _system(database) as system:
        position = system.app.reopen_period(_context(actor), period, reason)
    console.print(f"reopened {period} at position {position}")


@commands.command()
def reverse(
    entry_id: str,
    reason: Annotated[str, typer.Option()],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Reverse a posted entry with a new entry that references it (once)."""
    try:
        parsed = uuid.UUID(entry_id)
    except ValueError:
        errors.print(f"[red]refused:[/red] {entry_id!r} is not an entry id (a UUID)")
        raise typer.Exit(EXIT_REFUSED) from None
    with _system(database) as system:
        outcome = system.app.reverse_entry(_context(actor), parsed, reason)
    console.print(f"reversal entry {outcome.entry_id} at position {outcome.position}")
