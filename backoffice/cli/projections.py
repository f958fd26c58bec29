"""``backoffice rebuild | verify | project``: the projections of the registry.

Each command iterates ``projections.registry``: ``rebuild`` rebuilds the
projections named (all by default), ``verify`` rebuilds every one into
shadow tables and compares digests, ``project`` keeps them all current.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from adapters.connections import database_fault
from backoffice.cli.common import (
    EXIT_DIFFERENCES,
    EXIT_REFUSED,
    DatabaseOption,
    _system,
    console,
    errors,
)

ProjectionNames = Annotated[
    list[str] | None,
    typer.Argument(
        help="Projections to rebuild (default: every registered one).", show_default=False
    ),
]


commands = typer.Typer()


def _checked_names(names: list[str] | None) -> list[str]:
    """The names asked for, in registry order when none are; unknown ones refused."""
    from projections.registry import UnknownProjection, selected

    try:
        return [entry.name for entry in selected(names)]
    except UnknownProjection as unknown:
        errors.print(f"[red]refused[/red] {escape(str(unknown))}")
        raise typer.Exit(EXIT_REFUSED) from None


@commands.command()
def rebuild(projection: ProjectionNames = None, database: DatabaseOption = None) -> None:
    """Rebuild projections from position 0 (batched reads), with progress and events/s."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from replay.rebuild import rebuild as rebuild_projection

    names = _checked_names(projection)
    with _system(database) as system:
        for name in names:
            with Progress(
                TextColumn("[bold]rebuild {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=not console.is_terminal,
            ) as progress:
                task = progress.add_task(name, total=None)

                def report(done: int, total: int, task: Any = task, bar: Any = progress) -> None:
                    bar.update(task, completed=done, total=total)

                stats = rebuild_projection(system.database, name, progress=report)
            console.print(
                f"rebuilt {name}: {stats.events} events in {stats.seconds:.2f}s "
                f"= {stats.events_per_s:,.0f} events/s (to position {stats.position})"
            )


@commands.command()
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
    """Rebuild every projection into shadow tables, compare digests with the live
    tables, re-check invariants; with --chain, recompute the hash chain and check
    every checkpoint instead."""
    if chain:
        from backoffice.cli import chain as cli_chain

        cli_chain.verify_chain_command(database, public_key or [], checkpoint_file or [], as_json)
        return
    with _system(database) as system:
        findings = print_verify(system)
    if findings:
        raise typer.Exit(EXIT_DIFFERENCES)


def print_verify(system: Any) -> list[Any]:
    """Verify every registered projection; print each one's digests per table
    and the findings; return the findings (the demo ends with this too)."""
    from replay.verify import verify_all

    report = verify_all(system.database)
    for line in report.summary_lines():
        console.print(escape(line))
    if report.findings:
        for name in report.differing:
            errors.print(f"[red]DIFFERS[/red] projection {name}")
        for finding in report.findings:
            errors.print(f"[red]DIFFERS[/red] {escape(str(finding))}")
    else:
        console.print("[green]verify: OK[/green] (digests match, invariants hold)")
    return list(report.findings)


@commands.command()
def project(
    database: DatabaseOption = None,
    poll_interval_s: Annotated[float, typer.Option("--poll-interval", min=0.05, max=60.0)] = 0.5,
    once: Annotated[bool, typer.Option("--once", help="Catch up to the head, then exit.")] = False,
) -> None:
    """Run the projection worker: follow the log and keep every registered read
    model current (balances, the audit trail, data subjects, the screening log)."""
    import signal
    import threading

    from projections.registry import open_all

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with _system(database) as system:
        projections = open_all(
            system.database, catch_up_on_query=False, reuse={"balances": system.projections}
        )
        try:
            if once:
                reached = [
                    f"{projection.label} at position {projection.catch_up()}"
                    for projection in projections.values()
                ]
                console.print(", ".join(reached))
                return
            console.print(
                f"projecting {system.database.display} every {poll_interval_s}s; Ctrl-C stops"
            )
            while not stop.is_set():
                stop.wait(poll_interval_s if _follow(projections) else FAULT_BACKOFF_S)
        finally:
            for projection in projections.values():
                if projection is not system.projections:
                    projection.close()


FAULT_BACKOFF_S = 2.0
"""How long the worker waits after the database failed before it tries again."""


def _follow(projections: Mapping[str, Any]) -> bool:
    """One round of catch-up over every projection; False when the database failed.

    A database that restarts or drops the worker's connections is waited for,
    not a reason to exit: each projection resumes from its tracked position,
    and its connection holder reconnects. Any other error is a bug and stops
    the worker (tracked projections stop on error, they never skip).
    """
    for projection in projections.values():
        try:
            projection.catch_up()
        except Exception as error:
            if database_fault(error) is None:
                raise
            console.print(f"database unavailable ({type(error).__name__}); retrying")
            return False
    return True
