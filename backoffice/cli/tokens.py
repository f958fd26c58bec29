"""CLI: API bearer tokens (the access area). ``tokens create | list | revoke``.

``create`` prints the token once, alone on stdout (``--json``: the token and
its record); ``list [--json]`` never shows a secret. Refusals exit 2.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from adapters.database import SettingsError
from backoffice.cli.common import (
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    ActorOption,
    DatabaseOption,
    JsonOption,
    _context,
    _system,
    console,
    errors,
    print_json,
    print_table,
)

tokens = typer.Typer(help="API bearer tokens: issue, list, revoke (each an event in the log).")
commands = typer.Typer()
commands.add_typer(tokens, name="tokens")


def _server_secret() -> bytes:
    from adapters.settings import Settings

    try:
        return Settings.from_environment().secret_bytes
    except SettingsError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None


@tokens.command("create")
def tokens_create(
    actor_name: Annotated[
        str, typer.Option("--actor", help="Who the token acts as (recorded in events).")
    ],
    role: Annotated[str, typer.Option(help="poster | approver | auditor | compliance | admin")],
    note: Annotated[str, typer.Option(help="What the token is for.")] = "",
    database: DatabaseOption = None,
    issued_by: Annotated[
        str | None, typer.Option("--issued-by", envvar="BACKOFFICE_ACTOR", help="Who issues it.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the token and its record as JSON.")
    ] = False,
) -> None:
    """Issue a token and print it once: only a keyed hash of it is stored.

    stdout holds the token alone (or, with --json, one JSON object), so
    `TOKEN=$(backoffice tokens create ...)` works; the notice goes to stderr."""
    from domain.access.tokens import secret_digest

    secret = _server_secret()
    with _system(database) as system:
        token, text = system.app.issue_token(
            _context(issued_by),
            actor_name,
            role,
            lambda token_secret: secret_digest(secret, token_secret),
            note=note,
        )
    errors.print(
        f"token {token.id.hex} for {escape(actor_name)} as {role} (shown once; store it now):"
    )
    if as_json:
        print_json({**token.as_dict(), "token": text})
    else:
        print(text)


@tokens.command("list")
def tokens_list(as_json: JsonOption = False, database: DatabaseOption = None) -> None:
    """Every token issued: id, actor, role, issuer, revoked (never a secret)."""
    with _system(database) as system:
        rows = [token.as_dict() for token in system.app.list_tokens()]
    if as_json:
        print_json(rows)
        return
    table = Table("token id", "actor", "role", "issued by", "issued at", "revoked")
    for row in rows:
        table.add_row(
            row["token_id"],
            escape(row["actor"]),
            row["role"],
            escape(row["issued_by"]),
            row["issued_at"],
            "yes" if row["revoked"] else "no",
        )
    print_table(table, whole=("token id", "issued at"))


@tokens.command("revoke")
def tokens_revoke(
    token_id: str,
    reason: Annotated[str, typer.Option()],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Revoke a token (an event with its reason)."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        errors.print(f"[red]refused:[/red] {token_id!r} is not a token id")
        raise typer.Exit(EXIT_REFUSED) from None
    with _system(database) as system:
        position = system.app.revoke_token(_context(actor), parsed, reason)
    console.print(f"revoked {parsed.hex} at position {position}")
