"""CLI: outgoing payments.

``backoffice payments list [--status S] [--json]`` prints every payment as it
stands (no personal data: the payee is a subject id); ``backoffice payments
show ID [--json]`` prints one. An unknown id exits 2 with the stable code.
"""

from __future__ import annotations

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


def _desk(system: Any) -> Any:
    from adapters.subject_keys import SubjectKeyStore
    from backoffice.payment_settings import load_payment_policy
    from domain.payments.service import Payments
    from domain.sanctions.pending import follow_decision
    from domain.sanctions.port_adapter import SanctionsScreeningPort
    from domain.sanctions.service import SanctionsScreening
    from domain.subjects.service import SubjectRegistry

    return Payments(
        system.app,
        SubjectRegistry(system.app, SubjectKeyStore(system.database)),
        SanctionsScreeningPort(
            SanctionsScreening(system.app, on_decided=follow_decision(system.app))
        ),
        load_payment_policy(system.settings.payment_policy),
    )


commands = typer.Typer()
payments_app = typer.Typer(
    help="Outgoing payments: requested, screened, approved, reserved, submitted, settled.",
    no_args_is_help=True,
)
commands.add_typer(payments_app, name="payments")


@payments_app.command("list")
def list_payments(
    status: Annotated[
        str | None, typer.Option("--status", help="Only payments in this status.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Every payment, oldest first, as it stands now."""
    with _system(database) as system:
        desk = _desk(system)
        views = [desk.view(payment) for payment in desk.list_payments(status)]
    if as_json:
        print_json(views)
        return
    table = Table(
        "payment id", "status", "amount", "asset", "value date", "paying account",
        "approvals", "requested by",
    )  # fmt: skip
    for view in views:
        table.add_row(
            view["id"],
            view["status"],
            view["amount"],
            view["asset"],
            view["value_date"],
            escape(view["paying_account"]),
            f"{len(view['approved_by'])}/{view['approvals_required']}",
            escape(view["requested_by"]),
        )
    print_table(table, whole=("payment id", "amount", "value date", "approvals"))


@payments_app.command("show")
def show(
    payment_id: Annotated[str, typer.Argument(help="A payment id.")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """One payment (without personal data)."""
    parsed = parse_uuid(payment_id, "payment_id")
    with _system(database) as system:
        desk = _desk(system)
        view = desk.view(desk.get(parsed))
    if as_json:
        print_json(view)
        return
    for name, value in view.items():
        console.print(f"{name}: {escape(str(value))}")
