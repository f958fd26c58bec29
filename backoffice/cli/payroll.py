"""CLI: payroll employees and runs as they stand, and the calculator.

``backoffice payroll employees list [--pay-group G] [--json]`` prints every
employee (reference, subject id, pay group; never personal data: the person
is a subject id); ``payroll runs list [--status S] [--json]`` every run;
``payroll runs show ID [--json]`` one run with its payslips (``--json``: the
payslips as stored, amounts in minor units); ``payroll calculate FILE
[--json]`` the payslip the calculator computes from a JSON request (the body
of ``POST /v1/payroll/calculations``; ``-`` reads stdin), writing nothing and
needing no database. An unknown id or a refused request exits 2 with the
stable code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from backoffice.cli.common import (
    EXIT_REFUSED,
    DatabaseOption,
    JsonOption,
    _system,
    console,
    errors,
    parse_uuid,
    print_json,
    print_table,
)

SCALE = 2  # USD and IDR (ISO 4217)
REQUEST_BYTES_MAX = 1024 * 1024

commands = typer.Typer()
payroll_app = typer.Typer(
    help="Payroll: employees, runs (calculated, approved, paid) and the payslip calculator.",
    no_args_is_help=True,
)
employees_app = typer.Typer(help="Employees (no personal data).", no_args_is_help=True)
runs_app = typer.Typer(help="Payroll runs and their payslips.", no_args_is_help=True)
commands.add_typer(payroll_app, name="payroll")
payroll_app.add_typer(employees_app, name="employees")
payroll_app.add_typer(runs_app, name="runs")


def _money(minor: int) -> str:
    from domain.kernel.money import format_amount

    return format_amount(minor, SCALE)


def _refuse(code: str, message: str) -> typer.Exit:
    errors.print(f"[red]refused ({code}):[/red] {escape(message)}")
    return typer.Exit(EXIT_REFUSED)


@employees_app.command("list")
def list_employees(
    pay_group: Annotated[
        str | None, typer.Option("--pay-group", help="Only employees of this pay group.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Every employee by id, as they stand now."""
    with _system(database) as system:
        views = [employee.as_dict() for employee in system.services.payroll.employees(pay_group)]
    if as_json:
        print_json(views)
        return
    table = Table(
        "employee id",
        "reference",
        "subject id",
        "jurisdiction",
        "pay group",
        "frequency",
        "hired",
        "terminated",
        "pay",
    )
    for view in views:
        pay = view["pay_changes"][-1] if view["pay_changes"] else None
        table.add_row(
            view["id"],
            escape(view["reference"]),
            view["subject_id"],
            view["jurisdiction"],
            escape(view["pay_group"]),
            view["pay_frequency"],
            view["hire_date"],
            view["termination_date"] or "",
            "" if pay is None else f"{_money(pay['amount_minor'])} {pay['asset']} {pay['basis']}",
        )
    print_table(table, whole=("employee id", "subject id", "pay"))


@runs_app.command("list")
def list_runs(
    status: Annotated[
        str | None, typer.Option("--status", help="Only runs in this status.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Every run in the order opened, as it stands now (without payslips)."""
    with _system(database) as system:
        views = [
            run.as_dict()
            for run in system.services.payroll.runs()
            if status is None or run.status == status
        ]
    if as_json:
        print_json(views)
        return
    table = Table(
        "run id",
        "status",
        "kind",
        "pay group",
        "period",
        "pay date",
        "payslips",
        "gross",
        "net",
        "asset",
    )
    for view in views:
        totals = view["totals"]
        table.add_row(
            view["id"],
            view["status"],
            view["kind"],
            escape(view["pay_group"]),
            f"{view['period_start']}..{view['period_end']}",
            view["pay_date"],
            str(view["payslip_count"]),
            _money(totals["gross"]) if "gross" in totals else "",
            _money(totals["net"]) if "net" in totals else "",
            view["asset"],
        )
    print_table(table, whole=("run id", "gross", "net"))


@runs_app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="A payroll run id.")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """One run and its payslips (amounts and ids only)."""
    parsed = parse_uuid(run_id, "run_id")
    with _system(database) as system:
        run = system.services.payroll.run(parsed)
        view: dict[str, Any] = {**run.as_dict(), "payslips": run.payslips}
    if as_json:
        print_json(view)
        return
    for name, value in view.items():
        if name not in ("payslips", "totals"):
            console.print(f"{name}: {escape(str(value))}")
    for name, value in sorted(view["totals"].items()):
        console.print(f"total {escape(name)}: {_money(value)} {view['asset']}")
    table = Table("employee id", "subject id", "gross", "withheld", "employer", "net")
    for slip in view["payslips"]:
        table.add_row(
            slip["employee_id"],
            slip["subject_id"],
            _money(slip["gross_minor"]),
            _money(slip["withheld_minor"]),
            _money(slip["employer_minor"]),
            _money(slip["net_minor"]),
        )
    print_table(table, whole=("employee id", "subject id", "gross", "withheld", "employer", "net"))


@payroll_app.command("calculate")
def calculate(
    file: Annotated[str, typer.Argument(help="A calculation request (JSON); - for stdin.")],
    as_json: JsonOption = False,
) -> None:
    """The payslip the calculator computes from FILE; writes nothing."""
    from domain.kernel.errors import DomainError
    from domain.payroll.calculator import calculate as compute
    from domain.payroll.calculator import parse_calculation_request, payslip_to_dict

    try:
        raw = (
            sys.stdin.buffer.read(REQUEST_BYTES_MAX + 1) if file == "-" else Path(file).read_bytes()
        )
    except OSError as error:
        raise _refuse("invalid_input", f"file: {error.strerror or error}") from None
    if len(raw) > REQUEST_BYTES_MAX:
        raise _refuse("invalid_input", f"file: at most {REQUEST_BYTES_MAX} bytes")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _refuse("invalid_input", f"file: not JSON ({error})") from None
    if not isinstance(body, dict):
        raise _refuse("invalid_input", "file: a JSON object (the calculation request)")
    try:
        payslip = payslip_to_dict(compute(parse_calculation_request(body)))
    except DomainError as refusal:
        raise _refuse(refusal.code, refusal.message) from None
    if as_json:
        print_json(payslip)
        return
    console.print(
        f"{payslip['jurisdiction']} {payslip['tax_year']}"
        f" rule set {escape(payslip['rule_set'])}: gross {payslip['gross']},"
        f" net {payslip['net']} {payslip['asset']}"
    )
    table = Table("code", "kind", "amount", "taxable base", "rate %", "explanation")
    for line in payslip["lines"]:
        table.add_row(
            line["code"],
            line["kind"],
            line["amount"],
            line["taxable_base"],
            line["rate_percent"] or "",
            escape(line["explanation"]),
        )
    print_table(table, whole=("code", "amount", "taxable base"))
    for name, value in payslip["year_to_date_after"].items():
        console.print(f"year to date after, {name}: {value}")
