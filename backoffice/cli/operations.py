"""CLI: running the system. ``demo`` (a company's year, then verify), ``serve``
(the HTTP API) and ``migrate`` (every table, and the app role's grants)."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer
from rich.markup import escape

from adapters.database import DatabaseUnavailable, SettingsError, refuse_unsafe_durability
from backoffice.cli.common import (
    EXIT_DIFFERENCES,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    DatabaseOption,
    _system,
    console,
    errors,
)
from backoffice.cli.ledger import print_trial_balance
from backoffice.cli.projections import print_verify

commands = typer.Typer()


@commands.command()
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
        print_trial_balance(system.projections.trial_balance())
        findings = print_verify(system)
    if findings:
        raise typer.Exit(EXIT_DIFFERENCES)


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    database: DatabaseOption = None,
    log_level: Annotated[str, typer.Option(help="debug | info | warning | error")] = "info",
) -> None:
    """Serve the HTTP API (uvicorn); settings from BACKOFFICE_* variables (see adapters/settings.py)."""
    import uvicorn

    from adapters.settings import Settings
    from api.observability import configure_json_logging

    # Worker processes build the app themselves (a factory per process, reading
    # Settings from the environment they inherit): hand them these values there.
    if database:
        os.environ["BACKOFFICE_DATABASE_URL"] = database
    os.environ["BACKOFFICE_JSON_LOGS"] = "1"
    os.environ["BACKOFFICE_LOG_LEVEL"] = log_level.upper()
    try:
        settings = Settings.from_environment()  # refuse here, before any worker starts
        if settings.environment == "production":
            # fsync, synchronous_commit, full_page_writes: an acknowledged write must survive a crash.
            refuse_unsafe_durability(settings.database)
            if settings.require_sync_replica:
                from adapters.replicas import refuse_async_replicas

                # Every acknowledged entry on a standby before the 201 (issue 16).
                refuse_async_replicas(settings.database)
    except (SettingsError, DatabaseUnavailable) as error:
        errors.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    with _system(database):  # a database that cannot be opened: exit 3 before any worker
        pass
    configure_json_logging(settings.log_level)
    errors.print(
        f"serving {settings.environment} API on http://{host}:{port} with {workers} worker(s), "
        f"projections {settings.projections}"
    )
    uvicorn.run(
        "backoffice.serving:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )


@commands.command()
def migrate(
    database: DatabaseOption = None,
    app_role: Annotated[
        str | None,
        typer.Option(
            "--app-role",
            help="PostgreSQL role the api and projector run as: it keeps INSERT and SELECT "
            "only on the log's tables.",
        ),
    ] = None,
) -> None:
    """Create every table (the log, its chain, checkpoints, read models) as the connecting
    role, which should own them; with --app-role, take UPDATE, DELETE and TRUNCATE on the
    log's tables away from the application role."""
    from psycopg import sql

    from backoffice.migrate import create_all_tables

    with _system(database) as system:
        created = create_all_tables(system)
        console.print(f"tables ready: {', '.join(created)}")
        if app_role:
            if system.database.backend != "postgres":
                errors.print("[red]refused:[/red] --app-role applies to PostgreSQL only")
                raise typer.Exit(EXIT_REFUSED)
            recorder = system.app.recorder
            schema = sql.Identifier(system.database.schema)
            role = sql.Identifier(app_role)
            with recorder.datastore.get_connection() as connection:
                for table in (
                    recorder.events_table_name,
                    recorder.chain_table_name,
                    recorder.checkpoints_table_name,
                ):
                    name = sql.Identifier(table)
                    connection.execute(
                        sql.SQL("REVOKE ALL ON {}.{} FROM {}").format(schema, name, role)
                    )
                    connection.execute(
                        sql.SQL("GRANT SELECT, INSERT ON {}.{} TO {}").format(schema, name, role)
                    )
                connection.commit()
            console.print(f"{escape(app_role)}: INSERT and SELECT only on the log's tables")
