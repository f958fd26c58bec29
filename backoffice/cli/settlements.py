"""CLI: settlement instructions and the obligations they net.

``backoffice settlements list [--obligations] [--json]`` prints every
instruction (or obligation) as it stands; ``backoffice settlements show ID
[--json]`` prints one instruction with its obligations, or one obligation.
An unknown id exits 2 with the stable code.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from backoffice.cli.common import (
    DatabaseOption,
    JsonOption,
    _system,
    console,
    parse_uuid,
    print_json,
    print_table,
)

OBLIGATION_WHOLE = ("obligation id", "amount", "due")


def _obligation_table(views: list[dict[str, Any]]) -> Table:
    table = Table(
        "obligation id", "counterparty", "direction", "amount", "asset", "due", "account", "status"
    )
    for view in views:
        table.add_row(
            view["id"],
            escape(view["counterparty"]),
            view["direction"],
            view["amount"],
            view["asset"],
            view["due_date"],
            escape(view["account"]),
            view["status"],
        )
    return table


commands = typer.Typer()
settlements_app = typer.Typer(
    help="Settlements: obligations netted into instructions per counterparty, asset and"
    " value date.",
    no_args_is_help=True,
)
commands.add_typer(settlements_app, name="settlements")


@settlements_app.command("list")
def list_settlements(
    obligations: Annotated[
        bool, typer.Option("--obligations", help="List obligations instead of instructions.")
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Every settlement instruction (or obligation), oldest first, as it stands now."""
    from domain.settlements.service import Settlements

    with _system(database) as system:
        desk = Settlements(system.app)
        if obligations:
            views = [desk.obligation_view(found) for found in desk.list_obligations()]
        else:
            views = [desk.instruction_view(found) for found in desk.list_instructions()]
    if as_json:
        print_json(views)
        return
    if obligations:
        print_table(_obligation_table(views), OBLIGATION_WHOLE)
        return
    table = Table(
        "instruction id", "counterparty", "asset", "value date", "net", "direction", "status"
    )
    for view in views:
        table.add_row(
            view["id"],
            escape(view["counterparty"]),
            view["asset"],
            view["value_date"],
            view["net_amount"],
            view["net_direction"],
            view["status"],
        )
    print_table(table, whole=("instruction id", "value date", "net"))


@settlements_app.command("show")
def show(
    settlement_id: Annotated[str, typer.Argument(help="An instruction or obligation id.")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """One instruction with its obligations, or one obligation."""
    from domain.settlements.errors import UnknownObligation
    from domain.settlements.service import Settlements

    parsed = parse_uuid(settlement_id, "id")
    with _system(database) as system:
        desk = Settlements(system.app)
        obligations: list[dict[str, Any]] | None = None
        try:
            view = desk.obligation_view(desk.get_obligation(parsed))
        except UnknownObligation:
            instruction = desk.get_instruction(parsed)  # refuses an unknown id
            view = desk.instruction_view(instruction)
            obligations = [
                desk.obligation_view(desk.get_obligation(uuid.UUID(text)))
                for text in instruction.obligation_ids
            ]
    if as_json:
        print_json(view if obligations is None else {**view, "obligations": obligations})
        return
    for name, value in view.items():
        shown = ", ".join(value) if name == "obligation_ids" else str(value)
        console.print(f"{name}: {escape(shown)}")
    if obligations is not None:
        print_table(_obligation_table(obligations), OBLIGATION_WHOLE)
