"""``backoffice``: the command line.

Thin: each command parses its arguments, calls the application or a
projection, and prints. Exit codes: 0 done; 1 verification found
differences; 2 the input or command was refused (the message says why);
3 the database could not be reached.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from adapters.database import SettingsError
from backoffice.cli.common import (
    EXIT_DIFFERENCES,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    ActorOption,
    DatabaseOption,
    _context,
    _system,
    console,
    errors,
)
from domain.kernel.errors import DomainError

app = typer.Typer(
    name="backoffice",
    help="Event-sourced back office: one append-only log; ledgers and reports are projections.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
POST_FILE_BYTES_MAX = 64 * 1024 * 1024
POST_BATCH_SIZE = 512


@app.command()
def demo(
    database: DatabaseOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated company (printed).")] = 2025,
) -> None:
    """Build a small company's year on the store, then print the trial balance and verify."""
    from adapters.subject_keys import SubjectKeyStore
    from backoffice.demo.ledger_year import DemoCompany

    with _system(database) as system:
        console.print(f"[bold]demo[/bold] seed={seed} store={escape(system.database.display)}")
        started = time.perf_counter()
        keys = SubjectKeyStore(system.database)
        report = DemoCompany(system.app, seed=seed, keys=keys).run_year()
        console.print(
            f"entries posted: {report.entries_posted}, reversals: {report.reversals}, "
            f"pending posted/voided: {report.pending_posted}/{report.pending_voided}, "
            f"periods closed: {', '.join(report.periods_closed) or 'none'}"
        )
        console.print(f"refused as expected: {report.refusals}  (nothing written for those)")
        for line in report.business.lines() if report.business else []:
            console.print(escape(line))
        console.print(
            f"log head position: {report.head_position} ({time.perf_counter() - started:.2f}s)"
        )
        _print_trial_balance(system.projections.trial_balance())
        findings = _verify(system)
    if findings:
        raise typer.Exit(EXIT_DIFFERENCES)


@app.command()
def post(
    file: Annotated[
        Path, typer.Argument(help="JSON file: one entry object or a list of them ('-' for stdin).")
    ],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Post journal entries from a JSON file; prints each entry's id and log position."""
    from domain.ledger.commands import PostJournalEntry

    raw = sys.stdin.buffer.read(POST_FILE_BYTES_MAX + 1) if str(file) == "-" else _read_file(file)
    if len(raw) > POST_FILE_BYTES_MAX:
        errors.print(f"[red]refused:[/red] the file is larger than {POST_FILE_BYTES_MAX} bytes")
        raise typer.Exit(EXIT_REFUSED)
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        errors.print(f"[red]refused:[/red] {file} is not valid JSON: {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    items = document if isinstance(document, list) else [document]
    context = _context(actor)
    commands = []
    for index, item in enumerate(items):
        try:
            commands.append(PostJournalEntry(context=context, **_entry_fields(item, index)))
        except ValueError as error:
            errors.print(f"[red]refused:[/red] {error}")
            raise typer.Exit(EXIT_REFUSED) from None
    refused = 0
    with _system(database) as system:
        for start in range(0, len(commands), POST_BATCH_SIZE):
            chunk = commands[start : start + POST_BATCH_SIZE]
            for offset, outcome in enumerate(system.app.post_entries(chunk)):
                key = chunk[offset].idempotency_key
                if isinstance(outcome, DomainError):
                    refused += 1
                    errors.print(f"{key}: [red]refused ({outcome.code})[/red] {outcome.message}")
                else:
                    replay = " (replayed: posted before with this key)" if outcome.replayed else ""
                    console.print(
                        f"{key}: entry {outcome.entry_id} position {outcome.position}{replay}"
                    )
    if refused:
        raise typer.Exit(EXIT_REFUSED)


ENTRY_FIELDS = (
    "idempotency_key",
    "effective_date",
    "postings",
    "description",
    "reference",
    "pending",
    "metadata",
)


def _entry_fields(item: object, index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"entry [{index}]: expected a JSON object")
    unknown = sorted(set(item) - set(ENTRY_FIELDS))
    if unknown:
        raise ValueError(
            f"entry [{index}]: unknown fields {unknown}; allowed: {list(ENTRY_FIELDS)}"
        )
    missing = [name for name in ENTRY_FIELDS[:3] if name not in item]
    if missing:
        raise ValueError(f"entry [{index}]: missing {missing}")
    return dict(item)


def _read_file(file: Path) -> bytes:
    try:
        with file.open("rb") as handle:
            return handle.read(POST_FILE_BYTES_MAX + 1)
    except OSError as error:
        errors.print(f"[red]error:[/red] cannot read {file}: {error.strerror}")
        raise typer.Exit(EXIT_REFUSED) from None


AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Effective date YYYY-MM-DD (inclusive).")
]
AtPositionOption = Annotated[
    int | None, typer.Option("--at-position", min=0, help="Log position (inclusive).")
]


@app.command()
def balance(
    account: Annotated[str, typer.Argument(help="Account code, e.g. Assets:Bank:Checking")],
    as_of: AsOfOption = None,
    at_position: AtPositionOption = None,
    database: DatabaseOption = None,
) -> None:
    """An account's balance per asset, as of an effective date and/or log position."""
    with _system(database) as system:
        result = system.projections.balance(
            account, as_of_date=_date(as_of), at_position=at_position
        )
    console.print_json(data=result.as_dict())


@app.command("trial-balance")
def trial_balance(
    as_of: AsOfOption = None,
    at_position: AtPositionOption = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """The trial balance: every account's balance per asset; it nets to zero per asset."""
    with _system(database) as system:
        result = system.projections.trial_balance(as_of_date=_date(as_of), at_position=at_position)
    if json_output:
        console.print_json(data=result.as_dict())
    else:
        _print_trial_balance(result)


def _date(text: str | None) -> str | None:
    from domain.kernel import limits

    return None if text is None else limits.effective_date(text, "--as-of")


def _print_trial_balance(result: Any) -> None:
    """Conventional layout: each account's net posted balance in the debit or
    credit column; per asset the two columns total the same."""
    from domain.kernel.money import format_amount

    title = f"Trial balance at log position {result.position}"
    if result.as_of_date:
        title += f", as of {result.as_of_date}"
    table = Table(title=title)
    for column, justify in (
        ("account", "left"),
        ("asset", "left"),
        ("debit", "right"),
        ("credit", "right"),
        ("pending dr/cr", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for line in result.lines:
        net_debit = line.debits_posted - line.credits_posted
        pending = ""
        if line.debits_pending or line.credits_pending:
            pending = (
                f"{format_amount(line.debits_pending, line.scale)}/"
                f"{format_amount(line.credits_pending, line.scale)}"
            )
        table.add_row(
            escape(line.account),
            escape(line.asset),
            format_amount(net_debit, line.scale) if net_debit > 0 else "",
            format_amount(-net_debit, line.scale) if net_debit < 0 else "",
            pending,
        )
    for total in result.totals:
        debit = sum(
            max(0, ln.debits_posted - ln.credits_posted)
            for ln in result.lines
            if ln.asset == total.asset
        )
        credit = sum(
            max(0, ln.credits_posted - ln.debits_posted)
            for ln in result.lines
            if ln.asset == total.asset
        )
        table.add_row(
            f"[bold]total {total.asset}[/bold]",
            total.asset,
            format_amount(debit, total.scale),
            format_amount(credit, total.scale),
            "",
        )
    console.print(table)
    verdict = "[green]balanced[/green]" if result.balanced else "[red]NOT balanced[/red]"
    console.print(f"trial balance: {verdict} (debits equal credits per asset, posted and pending)")


@app.command()
def rebuild(
    projection: Annotated[str, typer.Argument(help="Projection to rebuild.")] = "balances",
    database: DatabaseOption = None,
) -> None:
    """Rebuild a projection from position 0 (batched reads), with progress and events/s."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from replay.rebuild import rebuild as rebuild_projection

    with (
        _system(database) as system,
        Progress(
            TextColumn("[bold]rebuild {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as progress,
    ):
        task = progress.add_task(projection, total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        stats = rebuild_projection(system.database, projection, progress=report)
    console.print(
        f"rebuilt {projection}: {stats.events} events in {stats.seconds:.2f}s "
        f"= {stats.events_per_s:,.0f} events/s (to position {stats.position})"
    )


@app.command()
def verify(
    database: DatabaseOption = None,
    chain: Annotated[
        bool,
        typer.Option(
            "--chain", help="Verify the hash chain and signed checkpoints instead (read-only)."
        ),
    ] = False,
    public_key: Annotated[
        list[Path] | None,
        typer.Option("--public-key", help="Checkpoint public key (PEM or hex); repeatable."),
    ] = None,
    checkpoint_file: Annotated[
        list[Path] | None,
        typer.Option("--checkpoint", help="Checkpoints held elsewhere (text); repeatable."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --chain: the report as JSON.")
    ] = False,
) -> None:
    """Rebuild into shadow tables, compare digests with the live tables, re-check invariants;
    with --chain, recompute the hash chain and check every checkpoint instead."""
    if chain:
        from backoffice.cli import chain as cli_chain

        cli_chain.verify_chain_command(database, public_key or [], checkpoint_file or [], as_json)
        return
    with _system(database) as system:
        findings = _verify(system)
    if findings:
        raise typer.Exit(EXIT_DIFFERENCES)


def _verify(system: Any) -> list[Any]:
    from replay.verify import verify as verify_projections

    report = verify_projections(system.database)
    for line in report.summary_lines():
        console.print(line)
    if report.findings:
        for finding in report.findings:
            errors.print(f"[red]DIFFERS[/red] {finding}")
    else:
        console.print("[green]verify: OK[/green] (digests match, invariants hold)")
    return list(report.findings)


@app.command()
def project(
    database: DatabaseOption = None,
    poll_interval_s: Annotated[float, typer.Option("--poll-interval", min=0.05, max=60.0)] = 0.5,
    once: Annotated[bool, typer.Option("--once", help="Catch up to the head, then exit.")] = False,
) -> None:
    """Run the projection worker: follow the log and keep the read models current
    (balances, the audit trail, data subjects, the screening log)."""
    import signal
    import threading

    from projections.audit.trail import AuditTrail
    from projections.sanctions.screening_log import ScreeningLog
    from projections.subjects.projection import SubjectsProjection

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with _system(database) as system:
        others: dict[str, Any] = {
            "audit trail": AuditTrail(system.database, catch_up_on_query=False),
            "subjects": SubjectsProjection(system.database, catch_up_on_query=False),
            "screening log": ScreeningLog(system.database, catch_up_on_query=False),
        }
        try:
            if once:
                reached = [f"balances at position {system.projections.catch_up()}"]
                reached += [
                    f"{name} at {projection.catch_up()}" for name, projection in others.items()
                ]
                console.print(", ".join(reached))
                return
            console.print(
                f"projecting {system.database.display} every {poll_interval_s}s; Ctrl-C stops"
            )
            while not stop.is_set():
                system.projections.catch_up()
                for projection in others.values():
                    projection.catch_up()
                stop.wait(poll_interval_s)
        finally:
            for projection in others.values():
                projection.close()


@app.command("open-account")
def open_account(
    code: str,
    name: Annotated[str, typer.Option(help="Human name of the account.")],
    account_type: Annotated[
        str, typer.Option("--type", help="asset|liability|equity|income|expense")
    ],
    assets: Annotated[
        list[str], typer.Option("--asset", help="Asset the account may hold (repeat).")
    ],
    no_overdraft: Annotated[
        bool, typer.Option("--no-overdraft", help="Never let the balance cross zero.")
    ] = False,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Open an account."""
    with _system(database) as system:
        position = system.app.open_account(
            _context(actor),
            code,
            name,
            account_type,
            assets,
            ["no_overdraft"] if no_overdraft else [],
        )
    console.print(f"opened {code} at position {position}")


@app.command("close-period")
def close_period(
    period: str,
    reason: Annotated[str, typer.Option()],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Close an accounting period (YYYY-MM): entries dated in it are refused."""
    with _system(database) as system:
        position = system.app.close_period(_context(actor), period, reason)
    console.print(f"closed {period} at position {position}")


@app.command("reopen-period")
def reopen_period(
    period: str,
    reason: Annotated[str, typer.Option()],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Reopen a closed period (an audited event with its reason)."""
    with _system(database) as system:
        position = system.app.reopen_period(_context(actor), period, reason)
    console.print(f"reopened {period} at position {position}")


@app.command()
def reverse(
    entry_id: str,
    reason: Annotated[str, typer.Option()],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Reverse a posted entry with a new entry that references it (once)."""
    try:
        parsed = uuid.UUID(entry_id)
    except ValueError:
        errors.print(f"[red]refused:[/red] {entry_id!r} is not an entry id (a UUID)")
        raise typer.Exit(EXIT_REFUSED) from None
    with _system(database) as system:
        outcome = system.app.reverse_entry(_context(actor), parsed, reason)
    console.print(f"reversal entry {outcome.entry_id} at position {outcome.position}")


tokens_app = typer.Typer(help="API bearer tokens: issue, list, revoke (each an event in the log).")
app.add_typer(tokens_app, name="tokens")


def _server_secret() -> bytes:
    from api.settings import ApiSettings

    try:
        return ApiSettings.from_environment().secret_bytes
    except SettingsError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None


@tokens_app.command("create")
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
) -> None:
    """Issue a token and print it once: only a keyed hash of it is stored."""
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
    print(text)


@tokens_app.command("list")
def tokens_list(database: DatabaseOption = None) -> None:
    """Every token issued: id, actor, role, issuer, revoked (never a secret)."""
    with _system(database) as system:
        table = Table("token id", "actor", "role", "issued by", "issued at", "revoked")
        for token in system.app.list_tokens():
            row = token.as_dict()
            table.add_row(
                row["token_id"],
                escape(row["actor"]),
                row["role"],
                escape(row["issued_by"]),
                row["issued_at"],
                "yes" if row["revoked"] else "no",
            )
        console.print(table)


@tokens_app.command("revoke")
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    database: DatabaseOption = None,
    log_level: Annotated[str, typer.Option(help="debug | info | warning | error")] = "info",
) -> None:
    """Serve the HTTP API (uvicorn); settings from BACKOFFICE_* variables (see api/settings.py)."""
    import uvicorn

    from api.observability import configure_json_logging
    from api.settings import ApiSettings

    if database:
        os.environ["BACKOFFICE_DATABASE_URL"] = database
    try:
        settings = ApiSettings.from_environment()
    except SettingsError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    # Worker processes build the app themselves (a factory per process) and
    # configure their logging from these, in create_app.
    os.environ["BACKOFFICE_JSON_LOGS"] = "1"
    os.environ["BACKOFFICE_LOG_LEVEL"] = log_level.upper()
    configure_json_logging(log_level.upper())
    errors.print(
        f"serving {settings.environment} API on http://{host}:{port} with {workers} worker(s), "
        f"projections {settings.projections}"
    )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )


from backoffice.cli import chain as cli_chain  # noqa: E402  (commands that need the names above)

cli_chain.register(app)
cli_chain.register_migrate(app)

from backoffice.cli import subjects as cli_subjects  # noqa: E402

cli_subjects.register(app)
from backoffice.cli import audit as cli_audit  # noqa: E402

cli_audit.register(app)
from backoffice.cli import settlements as cli_settlements  # noqa: E402

cli_settlements.register(app)
from backoffice.cli import banking as cli_bank  # noqa: E402

cli_bank.register(app)
from backoffice.cli import sanctions as cli_sanctions  # noqa: E402

cli_sanctions.register(app)
from backoffice.cli import payments as cli_payments  # noqa: E402

cli_payments.register(app)
from backoffice.cli import reporting as cli_reports  # noqa: E402

cli_reports.register(app)


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
