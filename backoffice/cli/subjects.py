"""CLI: erasure of a data subject's personal data, and legal holds.

``backoffice erase SUBJECT --reason R`` destroys the subject's key and
records the erasure; ``backoffice subjects hold SUBJECT --reason R [--until
DATE]`` and ``backoffice subjects lift SUBJECT HOLD_ID --reason R`` place and
lift legal holds. Refusals (a hold is active, already erased, unknown
subject) exit 2 with the stable code.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backoffice.cli.common import (
    ActorOption,
    DatabaseOption,
    _context,
    _system,
    console,
    parse_uuid,
)


def _registry(system: Any) -> Any:
    from adapters.subject_keys import SubjectKeyStore
    from domain.subjects.service import SubjectRegistry

    return SubjectRegistry(system.app, SubjectKeyStore(system.database))


commands = typer.Typer()
subjects_app = typer.Typer(help="Data subjects: legal holds (erasure is `backoffice erase`).")
commands.add_typer(subjects_app, name="subjects")


@commands.command("erase")
def erase(
    subject: str,
    reason: Annotated[str, typer.Option(help="Why (the request, its reference).")],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Erase a data subject's personal data: destroy their key, record the erasure.

    Refused while a legal hold is active. The log is not touched; balances stay.
    """
    subject_id = parse_uuid(subject, "subject")
    with _system(database) as system:
        position = _registry(system).erase(_context(actor), subject_id, reason)
    console.print(f"erased {subject_id} at position {position}")


@subjects_app.command("hold")
def hold(
    subject: str,
    reason: Annotated[str, typer.Option(help="Why (AML retention, litigation).")],
    until: Annotated[
        str | None, typer.Option(help="Last day of the hold, YYYY-MM-DD (default: open).")
    ] = None,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Place a legal hold: erasure is refused until it is lifted (or ends)."""
    subject_id = parse_uuid(subject, "subject")
    with _system(database) as system:
        hold_id, position = _registry(system).place_hold(_context(actor), subject_id, reason, until)
    console.print(f"hold {hold_id} placed on {subject_id} at position {position}")


@subjects_app.command("lift")
def lift(
    subject: str,
    hold_id: str,
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Lift a legal hold (an event with its reason)."""
    subject_id = parse_uuid(subject, "subject")
    parsed_hold = parse_uuid(hold_id, "hold_id")
    with _system(database) as system:
        position = _registry(system).lift_hold(_context(actor), subject_id, parsed_hold, reason)
    console.print(f"hold {parsed_hold} lifted at position {position}")
