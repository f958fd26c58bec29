"""``backoffice``: the command line.

Thin: each command parses its arguments, calls the application or a
projection, and prints. Exit codes: 0 done; 1 verification found
differences; 2 the input or command was refused (the message says why);
3 the database could not be reached or opened (one line, on every command:
``BackofficeGroup``).

Each area's module holds its commands at module level (``commands``, a Typer
whose commands and sub-apps join the root); one line here adds each.
"""

from __future__ import annotations

import os

import typer

from backoffice.cli import audit as cli_audit
from backoffice.cli import banking as cli_bank
from backoffice.cli import chain as cli_chain
from backoffice.cli import ledger as cli_ledger
from backoffice.cli import operations as cli_operations
from backoffice.cli import payments as cli_payments
from backoffice.cli import projections as cli_projections
from backoffice.cli import reporting as cli_reports
from backoffice.cli import sanctions as cli_sanctions
from backoffice.cli import settlements as cli_settlements
from backoffice.cli import subjects as cli_subjects
from backoffice.cli import tokens as cli_tokens
from backoffice.cli.common import BackofficeGroup

app = typer.Typer(
    name="backoffice",
    help="Event-sourced back office: one append-only log; ledgers and reports are projections.",
    cls=BackofficeGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(cli_operations.commands)  # demo, serve, migrate
app.add_typer(cli_ledger.commands)  # post, balance, trial-balance, open-account, periods, reverse
app.add_typer(cli_tokens.commands)  # tokens create | list | revoke
app.add_typer(cli_chain.commands)  # keys, checkpoint, checkpoints, verify-proof
app.add_typer(cli_subjects.commands)  # erase, subjects hold | lift
app.add_typer(cli_audit.commands)  # audit-export
app.add_typer(cli_settlements.commands)  # settlements list | show
app.add_typer(cli_bank.commands)  # statements import | match | unmatch, reconcile
app.add_typer(cli_sanctions.commands)  # sanctions load | current | screen | cases | clear | reject
app.add_typer(cli_payments.commands)  # payments list | show
app.add_typer(cli_reports.commands)  # report
app.add_typer(cli_projections.commands)  # rebuild, verify, project: every registered projection

from backoffice.cli import inventory as cli_inventory  # noqa: E402

cli_inventory.register(app)
from backoffice.cli import billing as cli_billing  # noqa: E402

cli_billing.register(app)
app.add_typer(__import__("backoffice.cli.payroll", fromlist=["commands"]).commands)  # payroll


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
