"""What every CLI command module shares: consoles, exit codes, options, the
system and context helpers, JSON and table output, and the root group that
turns a database that cannot be opened into exit 3 with one line.

backoffice/cli/main.py builds the Typer app and adds each area's module-level
``commands`` with one line; the area modules import from here (never from
main.py), so any of them can be imported first.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

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


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


@contextmanager
def _system(database: str | None) -> Iterator[Any]:
    from backoffice.container import build_system

    try:
        built = build_system(database)
    except (SettingsError, DatabaseUnavailable) as error:
        exit_unavailable(error)
    except Exception as error:
        if database_fault(error) is None:
            raise
        exit_unavailable(error, database)
    try:
        yield built
    except DomainError as refusal:
        errors.print(f"[red]refused ({refusal.code}):[/red] {refusal.message}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        built.close()


def database_fault(error: BaseException) -> str | None:
    from adapters.connections import database_fault as fault

    return fault(error)


def exit_unavailable(error: BaseException, database: str | None = None) -> NoReturn:
    """One line on stderr (never a traceback, never wrapped), then exit 3."""
    reason = " ".join(str(error).split()) or type(error).__name__
    if database_fault(error) is not None and not isinstance(error, DatabaseUnavailable):
        where = f" {_display(database)}" if database else ""
        reason = f"the database{where} cannot be opened: {reason}"
    errors.print(f"[red]error:[/red] {escape(reason)}", soft_wrap=True)
    raise typer.Exit(EXIT_UNAVAILABLE) from None


def _display(database: str) -> str:
    """The URL as the settings show it (no password), else as given."""
    from adapters.database import parse_database_url

    try:
        return parse_database_url(database).display
    except SettingsError:
        return database


class BackofficeGroup(TyperGroup):
    """The root command group: a database that cannot be opened or that fails
    while a command runs (unreachable, missing directory, disk full) ends the
    command with exit 3 and one line, whichever command it was."""

    def invoke(self, ctx: Any) -> Any:
        arguments = list(ctx.args)  # the group's invoke consumes them
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise  # the command's own ending, whatever it was handling
        except (SettingsError, DatabaseUnavailable) as error:
            exit_unavailable(error)
        except Exception as error:
            if database_fault(error) is None:
                raise
            exit_unavailable(error, _database_argument(arguments))


def _database_argument(args: list[str]) -> str | None:
    """The ``--database`` a command line gave, to name it in the one line."""
    for index, arg in enumerate(args):
        if arg == "--database" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--database="):
            return arg.partition("=")[2]
    return None


def print_json(value: Any) -> None:
    """Sorted keys, indented, on stdout: the --json of every listing."""
    typer.echo(orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode())


def parse_uuid(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        errors.print(f"[red]refused (invalid_input):[/red] {what}: not a UUID")
        raise typer.Exit(EXIT_REFUSED) from None


TABLE_WIDTH_MAX = 100_000


def print_table(table: Table, whole: tuple[str, ...] = ()) -> None:
    """Print a table without ever cutting a cell of the ``whole`` columns
    (amounts, ids) nor, when stdout is no terminal, any cell.

    On a terminal narrower than the table, the other columns fold. When even
    that cannot fit (or stdout is a pipe or file), the table is printed at its
    natural width: a long line is better than a wrong amount.
    """
    for column in table.columns:
        header = str(column.header)
        if header in whole:
            column.no_wrap = True
            column.min_width = max(
                [Text.from_markup(str(cell)).cell_len for cell in column.cells] + [len(header)]
            )
        else:
            column.overflow = "fold"
    natural = console.measure(table, options=console.options.update_width(TABLE_WIDTH_MAX)).maximum
    if natural <= console.width:
        console.print(table)
        return
    kept = sum(column.min_width or 0 for column in table.columns if str(column.header) in whole)
    others = len(table.columns) - len([c for c in table.columns if str(c.header) in whole])
    borders = 3 * len(table.columns) + 1
    if console.is_terminal and kept + 2 * others + borders <= console.width:
        console.print(table)
        return
    # Rich sizes a table's columns a little under its measured maximum; a console
    # wider than any table leaves every column at the width of its widest cell.
    wide = Console(file=console.file, width=TABLE_WIDTH_MAX, emoji=False, highlight=False)
    wide.print(table)


def _context(actor: str | None) -> Any:
    from domain.kernel.context import Context

    return Context(actor=_actor(actor), correlation_id=f"cli-{uuid.uuid4()}")
