"""CLI: ``backoffice report NAME``, a report computed from the log as of a position.

``--format json`` (default) writes the envelope (digest last); ``--format
csv`` writes pure data and, with ``--out FILE``, the provenance beside it in
``FILE.provenance.json`` (on stderr without ``--out``). Rows are written as
they are computed: a large report (the audit extract) streams in constant
memory. ``--param k=v`` (repeatable) sets the report's parameters; an
unknown report exits 2 naming the known ones.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, BinaryIO

import orjson
import typer
from rich.markup import escape

from backoffice.cli.common import EXIT_REFUSED, DatabaseOption, _system, errors

FORMATS = ("json", "csv")


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            errors.print(
                f"[red]refused (invalid_input):[/red] --param {escape(pair)}: expected k=v"
            )
            raise typer.Exit(EXIT_REFUSED)
        parameters[name.strip()] = value.strip()
    return parameters


commands = typer.Typer()


@commands.command("report")
def report(
    name: Annotated[
        str,
        typer.Argument(
            help="trial-balance, balance-sheet, income-statement, audit-extract, screening, ..."
        ),
    ],
    as_of_position: Annotated[
        int | None,
        typer.Option(
            "--as-of-position", min=0, help="Compute as of this log position (default: head)."
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="json | csv")] = "json",
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: stdout).")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A report parameter, k=v (repeatable).")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Compute a report from the log as of a position; JSON or CSV, streamed."""
    from projections.reports import report_catalog
    from projections.reports.service import ReportService

    known = report_catalog()
    if name not in known:
        errors.print(
            f"[red]refused (unknown_report):[/red] report {escape(name)!r} does not exist; "
            f"known: {', '.join(known)}"
        )
        raise typer.Exit(EXIT_REFUSED)
    if format not in FORMATS:
        errors.print(f"[red]refused (invalid_input):[/red] --format: one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_REFUSED)
    parameters = _parameters(param or [])
    with _system(database) as system:
        service = ReportService(system.database, system.app)
        output = service.start(service.prepare(name, parameters, as_of_position))
        chunks = output.json_chunks() if format == "json" else output.csv_chunks()
        if out is None:
            _write(sys.stdout.buffer, chunks)
        else:
            with out.open("wb") as handle:
                _write(handle, chunks)
        summary = output.summary()
    line = (
        f"{summary['report']} as of position {summary['as_of_position']}: "
        f"{summary['row_count']} rows, sha256 {summary['digest']}"
    )
    if format == "csv" and out is not None:
        sidecar = out.with_name(out.name + ".provenance.json")
        sidecar.write_bytes(orjson.dumps(summary, option=orjson.OPT_SORT_KEYS) + b"\n")
        line += f"; provenance in {sidecar}"
    if out is not None or format == "csv":
        errors.print(escape(line))


def _write(handle: BinaryIO, chunks: Iterable[bytes]) -> None:
    for chunk in chunks:
        handle.write(chunk)
    handle.flush()
