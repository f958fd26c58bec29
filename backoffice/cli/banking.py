"""CLI: bank statements and reconciliation.

``backoffice statements import FILE --account LEDGER_ACCOUNT [--format camt053|csv]``
imports every statement of a file (prints lines and the balance check of
each); ``backoffice reconcile ACCOUNT --period YYYY-MM [--json]`` runs the
automatic matching and prints the report; ``backoffice statements match
LINE ENTRY`` and ``backoffice statements unmatch LINE --reason R`` match by
hand. (``reconcile`` takes the account as its argument, so the manual
commands live under ``statements``.) Refusals exit 2 with the stable code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from backoffice.cli.common import (
    EXIT_REFUSED,
    ActorOption,
    DatabaseOption,
    _context,
    _system,
    console,
    errors,
    parse_uuid,
)

STATEMENT_FILE_BYTES_MAX = 32 * 1024 * 1024


def _reconciler(system: Any) -> Any:
    from adapters.subject_keys import SubjectKeyStore
    from domain.banking.service import BankReconciler
    from domain.subjects.service import SubjectRegistry

    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    return BankReconciler(system.app, system.projections, registry)


def _read(file: Path) -> bytes:
    try:
        with file.open("rb") as handle:
            raw = handle.read(STATEMENT_FILE_BYTES_MAX + 1)
    except OSError as error:
        errors.print(f"[red]error:[/red] cannot read {escape(str(file))}: {error.strerror}")
        raise typer.Exit(EXIT_REFUSED) from None
    if len(raw) > STATEMENT_FILE_BYTES_MAX:
        errors.print(f"[red]refused:[/red] larger than {STATEMENT_FILE_BYTES_MAX} bytes")
        raise typer.Exit(EXIT_REFUSED)
    return raw


def _print_report(report: dict[str, Any]) -> None:
    totals = report["totals"]
    console.print(
        f"[bold]{escape(report['account'])}[/bold] {report['period']} ({report['currency']}):"
        f" {totals['lines']} lines, {totals['matched']} matched,"
        f" {totals['unmatched_lines']} unmatched lines"
        f" (net {totals['unmatched_lines_net']}),"
        f" {totals['unmatched_movements']} unmatched ledger movements"
        f" (net {totals['unmatched_movements_net']})"
    )
    for pair in report["matched"]:
        console.print(
            f"  matched {pair['line_id']} -> {pair['entry_id']} ({pair['how']})"
            f" {pair['direction']} {pair['amount']}"
        )
    for line in report["unmatched_lines"]:
        console.print(
            f"  unmatched line {line['line_id']} {line['booking_date']} {line['direction']}"
            f" {line['amount']} {escape(line['counterparty'])} {escape(line['description'])}"
        )
    for movement in report["unmatched_movements"]:
        console.print(
            f"  unmatched entry {movement['entry_id']} {movement['effective_date']}"
            f" {movement['direction']} {movement['amount']} {escape(movement['reference'])}"
        )
    closing = report["statement_closing_balance"]
    if closing is None:
        console.print(
            f"statement closing balance: none in the period; ledger {report['ledger_balance']}"
        )
    else:
        console.print(
            f"statement closing balance {closing} ({report['statement_closing_date']}),"
            f" ledger {report['ledger_balance']}, difference {report['difference']}"
        )


commands = typer.Typer()
statements_app = typer.Typer(help="Bank statements: import camt.053 / CSV, match lines.")
commands.add_typer(statements_app, name="statements")


@statements_app.command("import")
def import_statements(
    file: Annotated[Path, typer.Argument(help="camt.053/camt.054 XML or CSV statement file.")],
    account: Annotated[str, typer.Option(help="The ledger bank account the statements belong to.")],
    source_format: Annotated[
        str | None,
        typer.Option("--format", help="camt053 or csv (default: csv for *.csv, else camt053)."),
    ] = None,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Import every statement of a file; prints each statement's lines and balance check."""
    raw = _read(file)
    chosen = source_format or ("csv" if file.suffix.lower() == ".csv" else "camt053")
    with _system(database) as system:
        plan, position = _reconciler(system).import_statements(
            _context(actor), raw, account, chosen
        )
    for item in plan.statements:
        view = item.as_view()
        check = view["balance_check"]
        status = "already imported" if item.already_imported else "imported"
        detail = check["status"]
        if check["status"] == "mismatch":
            detail += (
                f" (expected closing {check['expected_closing']}, stated"
                f" {check['stated_closing']}, difference {check['difference']})"
            )
        console.print(
            f"{status} {view['id']} {escape(view['bank_account'])}"
            f" {escape(view['statement_id'])}: {view['lines']} lines,"
            f" balance check {detail}"
        )
    console.print(f"log position: {position if position is not None else 'unchanged'}")


@statements_app.command("match")
def match(
    line: Annotated[str, typer.Argument(help="Statement line id (<statement id>:<index>).")],
    entry: Annotated[str, typer.Argument(help="Journal entry id.")],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Match a statement line to a journal entry by hand."""
    entry_id = parse_uuid(entry, "entry")
    with _system(database) as system:
        position = _reconciler(system).match(_context(actor), line, entry_id)
    console.print(f"matched {line} -> {entry_id} at position {position}")


@statements_app.command("unmatch")
def unmatch(
    line: Annotated[str, typer.Argument(help="Statement line id (<statement id>:<index>).")],
    reason: Annotated[str, typer.Option(help="Why the match was wrong.")],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Undo a line's match (an event with its reason)."""
    with _system(database) as system:
        position = _reconciler(system).unmatch(_context(actor), line, reason)
    console.print(f"unmatched {line} at position {position}")


@commands.command("reconcile")
def reconcile(
    account: Annotated[str, typer.Argument(help="Ledger bank account code.")],
    period: Annotated[str, typer.Option(help="Month, YYYY-MM.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    window_days: Annotated[
        int, typer.Option(min=0, max=31, help="Days between booking and effective date.")
    ] = 3,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Match the period's statement lines automatically, then print the report."""
    with _system(database) as system:
        reconciler = _reconciler(system)
        matches, _position = reconciler.run(_context(actor), account, period, window_days)
        report = reconciler.report(account, period).as_dict()
    if json_output:
        console.print_json(data={**report, "new_matches": len(matches)})
        return
    console.print(f"new automatic matches: {len(matches)}")
    _print_report(report)
