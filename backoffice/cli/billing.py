"""CLI: billing documents, open items and aging.

``backoffice billing invoices [--party ID] [--status S] [--json]`` and
``backoffice billing bills [...]`` print the documents as they stand;
``billing invoice ID`` and ``billing bill ID`` print one; ``billing
open-items [--side receivable|payable] [--json]`` prints the open-items
projection; ``billing aging --side receivable --as-of 2026-04-30
[--position N] [--json]`` prints the AR or AP aging report of the report
framework (the same rows and digest as ``/v1/reports/billing-ar-aging``).
Amounts are minor units in ``--json``. An unknown id exits 2 with the code.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from backoffice.cli.common import EXIT_REFUSED, DatabaseOption, JsonOption, _system, console, errors

PartyOption = Annotated[str | None, typer.Option("--party", help="Only this party's (an id).")]
StatusOption = Annotated[str | None, typer.Option("--status", help="Only in this status.")]
SideOption = Annotated[
    str, typer.Option("--side", help="receivable (customers) or payable (suppliers).")
]


def _print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode())


def _uuid(text: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        errors.print(f"[red]refused (invalid_input):[/red] {field}: not a UUID")
        raise typer.Exit(EXIT_REFUSED) from None


def _money(minor: int, currency: str) -> str:
    from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount

    return format_amount(minor, ISO_CURRENCY_SCALES.get(currency, 2))


def _filtered(views: list[dict[str, Any]], party: str | None, status: str | None) -> list[Any]:
    return [
        view
        for view in views
        if (party is None or view["party_id"] == str(_uuid(party, "party")))
        and (status is None or view["status"] == status)
    ]


def _show(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(view)
        return
    for name, value in view.items():
        console.print(f"{name}: {escape(str(value))}")


def register(app: typer.Typer) -> None:
    billing_app = typer.Typer(
        help="Billing: customer invoices, supplier bills, open items and aging.",
        no_args_is_help=True,
    )
    app.add_typer(billing_app, name="billing")

    @billing_app.command("invoices")
    def invoices(
        party: PartyOption = None,
        status: StatusOption = None,
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """Every invoice (drafts included), oldest first, as it stands now."""
        with _system(database) as system:
            views = _filtered(
                [i.as_dict() for i in system.services.billing.invoices()], party, status
            )
        if as_json:
            _print_json(views)
            return
        table = Table("invoice id", "number", "status", "party", "issued", "due", "gross", "open")
        for view in views:
            currency = view["currency"]
            table.add_row(
                view["id"], view["number"] or "(draft)", view["status"], view["party_id"],
                view["issue_date"] or "", view["due_date"] or "",
                f"{_money(view['gross_total_minor'], currency)} {currency}",
                _money(view["open_amount_minor"], currency),
            )  # fmt: skip
        console.print(table)

    @billing_app.command("invoice")
    def invoice(
        invoice_id: Annotated[str, typer.Argument(help="An invoice id.")],
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """One invoice with its lines, totals, number and entry."""
        parsed = _uuid(invoice_id, "invoice_id")
        with _system(database) as system:
            view = system.services.billing.get_invoice(parsed).as_dict()
        _show(view, as_json)

    @billing_app.command("bills")
    def bills(
        party: PartyOption = None,
        status: StatusOption = None,
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """Every supplier bill, oldest first, as it stands now."""
        with _system(database) as system:
            views = _filtered([b.as_dict() for b in system.services.billing.bills()], party, status)
        if as_json:
            _print_json(views)
            return
        table = Table("bill id", "supplier number", "status", "party", "bill date", "due",
                      "gross", "open", "approvals")  # fmt: skip
        for view in views:
            currency = view["currency"]
            table.add_row(
                view["id"], escape(view["supplier_number"]), view["status"], view["party_id"],
                view["bill_date"], view["due_date"],
                f"{_money(view['gross_total_minor'], currency)} {currency}",
                _money(view["open_amount_minor"], currency),
                f"{len(view['approvers'])}/{view['approvals_required']}",
            )  # fmt: skip
        console.print(table)

    @billing_app.command("bill")
    def bill(
        bill_id: Annotated[str, typer.Argument(help="A supplier bill id.")],
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """One supplier bill."""
        parsed = _uuid(bill_id, "bill_id")
        with _system(database) as system:
            view = system.services.billing.get_bill(parsed).as_dict()
        _show(view, as_json)

    @billing_app.command("open-items")
    def open_items(
        side: Annotated[
            str | None, typer.Option("--side", help="receivable or payable (default: both).")
        ] = None,
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """The open-items projection (caught up first), oldest due first."""
        from projections.billing.open_items import OpenItems

        with _system(database) as system:
            projection = system.tracked[OpenItems.name]
            position, rows = projection.open_items(side=side)
        if as_json:
            _print_json({"position": position, "open_items": rows})
            return
        table = Table("side", "document", "number", "party", "due", "open", "currency")
        for row in rows:
            table.add_row(
                row["side"], row["document_id"], escape(row["number"]), row["party_id"],
                row["due_date"], _money(row["open_amount_minor"], row["currency"]),
                row["currency"],
            )  # fmt: skip
        console.print(table)
        console.print(f"at log position {position}")

    @billing_app.command("aging")
    def aging(
        as_of: Annotated[str, typer.Option("--as-of", help="The date, YYYY-MM-DD.")],
        side: SideOption = "receivable",
        position: Annotated[
            int | None, typer.Option("--position", help="As of this log position (default: head).")
        ] = None,
        as_json: JsonOption = False,
        database: DatabaseOption = None,
    ) -> None:
        """AR or AP aging (current, 1-30, 31-60, 61-90, over 90 days past due)."""
        from projections.reports.service import ReportService

        if side not in ("receivable", "payable"):
            errors.print("[red]refused (invalid_input):[/red] --side: receivable or payable")
            raise typer.Exit(EXIT_REFUSED)
        name = "billing-ar-aging" if side == "receivable" else "billing-ap-aging"
        with _system(database) as system:
            service = ReportService(system.database, system.app)
            prepared = service.prepare(name, {"as_of_date": as_of}, position)
            output = service.start(prepared)
            rows = [{"key": row.key, **row.values} for row, _line in output.rows()]
            summary = service.summary(prepared)
        if as_json:
            _print_json({"report": name, "as_of_position": prepared.as_of_position,
                         "digest": summary["digest"], "rows": rows})  # fmt: skip
            return
        columns = ("party_id", "currency", "current", "days_1_30", "days_31_60", "days_61_90",
                   "over_90", "total")  # fmt: skip
        table = Table(*columns)
        for row in rows:
            table.add_row(*(str(row[column]) for column in columns))
        console.print(table)
        console.print(f"{name} as of {as_of} at log position {prepared.as_of_position}")
