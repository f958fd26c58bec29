"""CLI: ``audit-export``, the offline audit package (replay/audit_package.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from adapters.database import SettingsError
from backoffice.cli.common import EXIT_REFUSED, DatabaseOption, _system, console, errors

commands = typer.Typer()


@commands.command("audit-export")
def audit_export(
    to: Annotated[Path, typer.Option("--to", help="An empty or new directory for the package.")],
    from_position: Annotated[
        int | None, typer.Option("--from-position", help="First chain position (default 1).")
    ] = None,
    to_position: Annotated[
        int | None,
        typer.Option("--to-position", help="Last chain position (default: the chain's end)."),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The checkpoint public key (PEM or hex); default: the configured signing key's.",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write an offline audit package: events, leaves, checkpoints, trial balance, verifier."""
    from replay.audit_package import export_audit_package

    public_key_raw = _public_key(public_key)
    with _system(database) as system:
        summary = export_audit_package(
            system.reader_database,  # the standby when one is configured
            system.projections,
            to,
            public_key_raw,
            from_position=from_position,
            to_position=to_position,
        )
    console.print(
        f"audit package written to {escape(str(summary.directory))}: chain positions "
        f"{summary.from_position}..{summary.to_position} of {summary.chain_length}, "
        f"{summary.checkpoints_written} checkpoints, "
        f"{summary.open_pending_written} open pending entries before the range"
    )
    print(f"trial balance sha256 {summary.trial_balance_sha256}")
    if summary.unmatched_key_ids:
        errors.print(
            "[yellow]warning:[/yellow] checkpoints signed by other keys than the exported one: "
            f"{', '.join(summary.unmatched_key_ids)} (they will not verify)"
        )
    print(
        "verify it: python3 -m venv v && v/bin/pip install cryptography && "
        f"v/bin/python {to / 'verify_audit_package.py'} {to}"
    )


def _public_key(path: Path | None) -> bytes:
    """The raw public key from ``path``, else the configured signing key's; refuses if neither."""
    from adapters.auditkit.audit_verify import public_key_from_text
    from adapters.settings import Settings
    from replay.audit_package import public_key_pem

    try:
        if path is not None:
            raw = public_key_from_text(path.read_text(encoding="ascii"))
            public_key_pem(raw)  # refuses bytes that are no Ed25519 key
            return raw
        signer = Settings.from_environment().signer
    except (OSError, UnicodeError, ValueError, SettingsError) as error:
        errors.print(f"[red]refused:[/red] public key: {escape(str(error))}")
        raise typer.Exit(EXIT_REFUSED) from None
    if signer is None:
        errors.print(
            "[red]refused:[/red] no public key: pass --public-key FILE, or configure the "
            "signing key (BACKOFFICE_SIGNING_KEY_FILE) to derive it"
        )
        raise typer.Exit(EXIT_REFUSED)
    return signer.public_raw
