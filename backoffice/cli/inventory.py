"""CLI: inventory items, their valuation by either method, and their movements.

``backoffice inventory items [--json]`` lists every item with its stock and
value under its own method and the other; ``backoffice inventory valuation
SKU [--method fifo|moving_average] [--location L] [--as-of-date D]
[--as-of-position N] [--json]`` answers what ``GET /v1/inventory/valuation``
does; ``backoffice inventory movements SKU [--json]`` the item's movements as
recorded, with the corrections each caused. A refusal (an unknown SKU) exits 2
with its stable code.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from backoffice.cli.common import DatabaseOption, _system, console

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode())


def item_rows(system: Any) -> list[dict[str, Any]]:
    """Every item with its quantity and its value under both methods."""
    from domain.kernel.money import format_amount
    from projections.inventory.reads import book_of

    inventory = system.services.inventory
    rows = []
    for item in sorted(inventory.list_items(), key=lambda found: found.sku):
        with inventory.app.write_lock:
            state = book_of(inventory, item.sku).final
        scale = item.asset_scale
        names = sorted(set(state.fifo.layers) | set(state.moving_average.pools))
        fifo = sum(state.fifo.value_at(name) for name in names)
        average = sum(state.moving_average.value_at(name) for name in names)
        qty = sum(state.fifo.qty_at(name) for name in names)
        rows.append({
            "sku": item.sku, "name": item.name, "unit": item.unit,
            "costing_method": item.costing_method, "asset": item.asset,
            "qty": format_amount(qty, item.quantity_scale),
            "value_fifo": format_amount(fifo, scale),
            "value_moving_average": format_amount(average, scale),
        })  # fmt: skip
    return rows


def register(app: typer.Typer) -> None:
    inventory_app = typer.Typer(
        help="Inventory: items, stock valuation (FIFO and moving average) and movements.",
        no_args_is_help=True,
    )
    app.add_typer(inventory_app, name="inventory")

    @inventory_app.command("items")
    def items(as_json: JsonOption = False, database: DatabaseOption = None) -> None:
        """Every item with its stock on hand and its value by both methods."""
        with _system(database) as system:
            rows = item_rows(system)
        if as_json:
            _print_json(rows)
            return
        table = Table("sku", "name", "method", "asset", "qty", "FIFO", "moving average")
        for row in rows:
            table.add_row(
                escape(row["sku"]),
                escape(row["name"]),
                row["costing_method"],
                row["asset"],
                row["qty"],
                row["value_fifo"],
                row["value_moving_average"],
            )
        console.print(table)

    @inventory_app.command("valuation")
    def valuation(
        sku: Annotated[str, typer.Argument(help="The item's SKU.")],
        method: Annotated[
            str | None,
            typer.Option("--method", help="fifo or moving_average (default: the item's)"),
        ] = None,
        location: Annotated[str | None, typer.Option("--location")] = None,
        as_of_date: Annotated[
            str | None, typer.Option("--as-of-date", help="YYYY-MM-DD, inclusive")
        ] = None,
        as_of_position: Annotated[
            int | None, typer.Option("--as-of-position", help="inclusive")
        ] = None,
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """Stock on hand of one item and its value, per location, with FIFO layers."""
        from projections.inventory.reads import valuation_view

        with _system(database) as system:
            found = system.services.inventory.valuation(
                sku,
                method=method,
                location=location,
                as_of_date=as_of_date,
                as_of_position=as_of_position,
            )
            view = valuation_view(found, location)
        if as_json:
            _print_json(view)
            return
        console.print(
            f"{escape(view['item'])} by {view['method']}: {view['qty']} on hand,"
            f" {view['value']} {view['asset']}"
        )
        table = Table("location", "qty", "value", "layers")
        for line in view["locations"]:
            layers = ", ".join(
                f"{layer['qty']} @ {layer['unit_cost']} = {layer['value']} ({layer['receipt']})"
                for layer in line.get("layers", [])
            )
            table.add_row(escape(line["location"]), line["qty"], line["value"], escape(layers))
        console.print(table)

    @inventory_app.command("movements")
    def movements(
        sku: Annotated[str, typer.Argument(help="The item's SKU.")],
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """The item's movements in recorded order, as recorded."""
        from projections.inventory.reads import movement_views

        with _system(database) as system:
            views = movement_views(system.services.inventory, sku)
        if as_json:
            _print_json(views)
            return
        table = Table(
            "position", "date", "movement", "kind", "value", "cost", "on hand after", "corrections"
        )
        for view in views:
            table.add_row(
                str(view["position"]),
                view["effective_date"],
                escape(view["id"]),
                view["kind"],
                view.get("value", ""),
                view.get("cost", ""),
                ", ".join(f"{name} {qty}" for name, qty in view["on_hand_after"].items()),
                ", ".join(f"{c['movement']} {c['delta']}" for c in view["corrections"]),
            )
        console.print(table)
