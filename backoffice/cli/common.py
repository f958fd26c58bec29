"""What every CLI command module shares: consoles, exit codes, options, the
system and context helpers.

backoffice/cli/main.py builds the Typer app and imports every command module;
the command modules import from here (not from cli.py), so any of them can
be imported first.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from adapters.database import DatabaseUnavailable, SettingsError
from domain.kernel.errors import DomainError

# Account codes such as "Assets:Bank:EUR" must print as written: no emoji
# shortcodes, no highlighting; data cells are escaped against markup.
console = Console(emoji=False, highlight=False)
errors = Console(stderr=True, emoji=False, highlight=False)

EXIT_DIFFERENCES = 1
EXIT_REFUSED = 2
EXIT_UNAVAILABLE = 3

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="BACKOFFICE_DATABASE_URL",
        help="sqlite:///path or postgresql://user@host:port/db?schema=name",
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", envvar="BACKOFFICE_ACTOR", help="Who is acting (recorded in events)."),
]


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


@contextmanager
def _system(database: str | None) -> Iterator[Any]:
    from backoffice.container import build_system

    try:
        built = build_system(database)
    except (SettingsError, DatabaseUnavailable) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    try:
        yield built
    except DomainError as refusal:
        errors.print(f"[red]refused ({refusal.code}):[/red] {refusal.message}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        built.close()


def _context(actor: str | None) -> Any:
    from domain.ledger.commands import Context

    return Context(actor=_actor(actor), correlation_id=f"cli-{uuid.uuid4()}")


