"""CLI: sanctions lists and screening.

``backoffice sanctions load SDN.csv [ALT.csv] [--source NAME]`` loads a list
version (the same files twice: nothing new) and re-screens the payments and
receipts still pending against it (held, or not yet approved, and not
decided: a newly listed payee holds their payment); ``screen NAME`` matches
a name against the active list and prints the result and matches without
recording (``--record`` records a case for ``--item-kind``/``--item-id``:
an ad hoc name, with no data subject, is recorded in the clear); ``cases
[--pending]`` lists cases from the screening log (a payee's or payer's
name opened, or ``[erased]``); ``clear CASE --reason`` and ``reject CASE
--reason`` decide a review or hit. Refusals exit 2 with the stable code.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from backoffice.cli.common import (
    EXIT_REFUSED,
    ActorOption,
    DatabaseOption,
    JsonOption,
    _context,
    _system,
    console,
    errors,
    print_json,
    print_table,
)
from domain.sanctions.list_files import FILE_BYTES_MAX
from domain.sanctions.matching import THRESHOLD_DEFAULT


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(FILE_BYTES_MAX + 1)
    except OSError as error:
        errors.print(f"[red]refused:[/red] cannot read {escape(str(path))}: {error.strerror}")
        raise typer.Exit(EXIT_REFUSED) from None
    return data


def _case_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        errors.print("[red]refused (invalid_input):[/red] case: not a UUID")
        raise typer.Exit(EXIT_REFUSED) from None


def _screening(system: Any, threshold: int = THRESHOLD_DEFAULT) -> Any:
    """The screening commands with the subject registry, re-screening pending
    payments and receipts when a list is loaded."""
    from adapters.subject_keys import SubjectKeyStore
    from domain.sanctions.pending import screening_with_pending
    from domain.subjects.service import SubjectRegistry

    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    return screening_with_pending(system.app, registry, threshold=threshold)


commands = typer.Typer()
sanctions_app = typer.Typer(help="Sanctions lists (OFAC CSV) and screening cases.")
commands.add_typer(sanctions_app, name="sanctions")


@sanctions_app.command("load")
def load(
    sdn: Annotated[Path, typer.Argument(help="sdn.csv (OFAC legacy CSV, no header).")],
    alt: Annotated[Path | None, typer.Argument(help="alt.csv (aliases), optional.")] = None,
    source: Annotated[str, typer.Option(help="Where the list came from.")] = "OFAC SDN",
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Load a list version and make it the active one (the same files again: no-op)."""
    sdn_bytes = _read(sdn)
    alt_bytes = None if alt is None else _read(alt)
    with _system(database) as system:
        loaded = _screening(system).load_list(_context(actor), sdn_bytes, alt_bytes, source)
    verb = "loaded" if loaded.newly_loaded else "already loaded"
    console.print(
        f"{verb} {loaded.list_version} ({escape(loaded.source)}): "
        f"{loaded.entry_count} entries, {loaded.alias_count} aliases, at {loaded.loaded_at}"
    )
    report = loaded.rescreened
    if report is not None:
        held = sum(1 for outcome in report.screened if outcome.result != "clear")
        console.print(
            f"re-screened {len(report.screened)} pending item(s) ({held} held); "
            f"{len(report.already_screened)} already screened against it, "
            f"{len(report.skipped_decided)} decided by compliance, "
            f"{len(report.skipped_erased)} with an erased party"
        )


@sanctions_app.command("current")
def current(database: DatabaseOption = None) -> None:
    """The active list version."""
    with _system(database) as system:
        summary = _screening(system).current_list()
    if summary is None:
        console.print("no sanctions list is loaded")
        return
    for key, value in summary.items():
        console.print(f"{key}: {escape(str(value))}")


@sanctions_app.command("screen")
def screen(
    name: Annotated[str, typer.Argument(help="The party name to screen.")],
    threshold: Annotated[
        int, typer.Option(help="Fuzzy score (50-100) at or above which a name is a review.")
    ] = THRESHOLD_DEFAULT,
    record: Annotated[bool, typer.Option(help="Record a screening case.")] = False,
    item_kind: Annotated[str, typer.Option(help="payment | receipt | other")] = "other",
    item_id: Annotated[str | None, typer.Option(help="The item's id (with --record).")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Screen a name against the active list; prints the result and matches."""
    with _system(database) as system:
        screening = _screening(system, threshold)
        assessment = screening.assess(name)
        case_id = None
        if record:
            outcome = screening.record(
                _context(actor), item_kind, item_id or f"cli:{uuid.uuid4()}", assessment
            )
            case_id = outcome.case_id
    if as_json:
        print_json(_assessment_view(assessment, case_id))
        return
    console.print(f"result: {assessment.result}  (list {assessment.list_version})")
    if case_id is not None:
        console.print(f"case: {case_id}")
    if assessment.matches:
        table = Table("ent_num", "name", "score", "kind")
        for match in assessment.matches:
            table.add_row(str(match.ent_num), escape(match.name), f"{match.score:.2f}", match.kind)
        print_table(table, whole=("ent_num", "score"))


@sanctions_app.command("cases")
def cases(
    pending: Annotated[bool, typer.Option(help="Only cases awaiting a decision.")] = False,
    status: Annotated[
        str | None, typer.Option(help="clear | pending | cleared | rejected | superseded")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-1000).")] = 100,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Screening cases from the screening log, oldest first."""
    from projections.sanctions.screening_log import ScreeningLog

    with _system(database) as system:
        log = ScreeningLog(system.database)
        try:
            found = log.cases(status="pending" if pending else status, limit=limit)
        finally:
            log.close()
    if as_json:
        print_json(found)
        return
    table = Table("item", "party", "result", "status", "screened_at", "decided_by")
    table.add_column("case", no_wrap=True, min_width=36)
    for case in found:
        table.add_row(
            escape(f"{case['item_kind']}:{case['item_id']}"),
            escape(case["party_name"]),
            case["result"],
            case["status"],
            case["screened_at"],
            escape(case["decided_by"] or ""),
            case["case_id"],
        )
    print_table(table, whole=("case", "screened_at"))


@sanctions_app.command("clear")
def clear(
    case: str,
    reason: Annotated[str, typer.Option(help="Why the match is a false positive.")],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Clear a review or hit (once): the item may proceed."""
    case_id = _case_id(case)
    with _system(database) as system:
        position = _screening(system).clear(_context(actor), case_id, reason)
    console.print(f"cleared {case_id} at position {position}")


@sanctions_app.command("reject")
def reject(
    case: str,
    reason: Annotated[str, typer.Option(help="Why the match stands.")],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Reject a review or hit (once): the item must not proceed."""
    case_id = _case_id(case)
    with _system(database) as system:
        position = _screening(system).reject(_context(actor), case_id, reason)
    console.print(f"rejected {case_id} at position {position}")


def _assessment_view(assessment: Any, case_id: uuid.UUID | None) -> dict[str, Any]:
    return {
        "result": assessment.result,
        "list_version": assessment.list_version,
        "case_id": None if case_id is None else str(case_id),
        "matches": [match.as_dict() for match in assessment.matches],
    }
