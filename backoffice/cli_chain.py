"""CLI: signing keys, checkpoints and chain verification (``verify --chain``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape

# backoffice.cli imports this module at its end, when these names exist.
from backoffice.cli import (
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
from backoffice.settings import Database, SettingsError
from backoffice.signing import Signer


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="The Ed25519 key that signs checkpoints.")
    app.add_typer(keys_app, name="keys")

    def _signer_or_exit() -> Signer:
        from backoffice.signing import signer_from_environment

        try:
            signer = signer_from_environment()
        except SettingsError as error:
            errors.print(f"[red]error:[/red] {error}")
            raise typer.Exit(EXIT_UNAVAILABLE) from None
        if signer is None:
            errors.print(
                "[red]error:[/red] no signing key: set BACKOFFICE_SIGNING_KEY_FILE "
                "(see `backoffice keys generate`)"
            )
            raise typer.Exit(EXIT_UNAVAILABLE)
        return signer

    @keys_app.command("generate")
    def keys_generate(
        out: Annotated[
            Path, typer.Option("--out", help="Where to write the private key (PEM, mode 0600).")
        ],
    ) -> None:
        """Generate a signing key; prints the public key (give it to auditors)."""
        from backoffice.signing import generate

        if out.exists():
            errors.print(
                f"[red]refused:[/red] {escape(str(out))} exists; keys are never overwritten"
            )
            raise typer.Exit(EXIT_REFUSED)
        signer = generate()
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(signer.private_pem())
        errors.print(f"private key written to {escape(str(out))} (key id {signer.key_id})")
        print(signer.public_pem(), end="")

    @keys_app.command("public")
    def keys_public() -> None:
        """Print the public key of the configured signing key (PEM)."""
        signer = _signer_or_exit()
        print(signer.public_pem(), end="")

    @app.command()
    def checkpoint(database: DatabaseOption = None, actor: ActorOption = None) -> None:
        """Sign the log as it stands (size, chain head, Merkle root, time) and record it."""
        from backoffice.checkpointing import LogWitness

        signer = _signer_or_exit()
        with _system(database) as system:
            signed = LogWitness(system.database).write_checkpoint(
                system.app, signer, _context(actor)
            )
        print(signed.text(), end="")

    @app.command("checkpoints")
    def checkpoints_export(database: DatabaseOption = None) -> None:
        """Print every checkpoint as text (blank-line separated), for safekeeping elsewhere."""
        from replay.chain_db import ChainReader

        database_setting = _database(database)
        with ChainReader(database_setting) as reader:
            for index, note in enumerate(reader.checkpoints()):
                print(("\n" if index else "") + note.text(), end="")

    def _database(url: str | None) -> Database:
        from backoffice.settings import database_from_environment, parse_database_url

        try:
            return parse_database_url(url) if url else database_from_environment()
        except SettingsError as error:
            errors.print(f"[red]error:[/red] {error}")
            raise typer.Exit(EXIT_UNAVAILABLE) from None

    def verify_chain_command(
        database: str | None, public_keys: list[Path], checkpoint_files: list[Path], as_json: bool
    ) -> None:
        from backoffice.signing import signer_from_environment
        from replay.audit_verify import public_key_from_text
        from replay.chain_db import verify_chain
        from replay.checkpoint_note import parse_many

        raws: list[bytes] = []
        try:
            for path in public_keys:
                raws.append(public_key_from_text(path.read_text(encoding="ascii")))
            if not raws:
                signer = signer_from_environment()
                if signer is not None:
                    raws.append(signer.public_raw)
            extra = []
            for path in checkpoint_files:
                extra += parse_many(path.read_text(encoding="ascii"))
        except (OSError, UnicodeError, ValueError, SettingsError) as error:
            errors.print(f"[red]refused:[/red] {escape(str(error))}")
            raise typer.Exit(EXIT_REFUSED) from None
        report = verify_chain(_database(database), raws, extra)
        if as_json:
            print(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
        else:
            console.print(
                f"chain: {report.chain_length} positions, {report.events_checked} events rehashed, "
                f"{report.checkpoints_checked} checkpoints checked"
            )
            for problem in report.problems:
                errors.print(f"[red]BAD[/red] {escape(problem)}")
            if report.ok:
                console.print(
                    "[green]verify --chain: OK[/green] (every link, leaf and checkpoint holds)"
                )
            else:
                errors.print(
                    f"[red]verify --chain: first bad position {report.first_bad_position}[/red]"
                )
        if not report.ok:
            raise typer.Exit(EXIT_DIFFERENCES)

    register.verify_chain = verify_chain_command  # type: ignore[attr-defined]
