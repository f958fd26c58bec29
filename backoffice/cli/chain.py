"""CLI: signing keys, checkpoints and chain verification (``verify --chain``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape

from adapters.database import Database, SettingsError
from adapters.signing import Signer
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
    print_json,
)

commands = typer.Typer()
keys_app = typer.Typer(help="The Ed25519 key that signs checkpoints.")
commands.add_typer(keys_app, name="keys")


def _signer_or_exit() -> Signer:
    from adapters.settings import Settings

    try:
        signer = Settings.from_environment().signer
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
    from adapters.signing import generate

    if out.exists():
        errors.print(f"[red]refused:[/red] {escape(str(out))} exists; keys are never overwritten")
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


@commands.command()
def checkpoint(database: DatabaseOption = None, actor: ActorOption = None) -> None:
    """Sign the log as it stands (size, chain head, Merkle root, time) and record it."""
    from replay.checkpointing import LogWitness

    signer = _signer_or_exit()
    with _system(database) as system:
        signed = LogWitness(system.database).write_checkpoint(system.app, signer, _context(actor))
    print(signed.text(), end="")


@commands.command("checkpoints")
def checkpoints_export(
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON list of the checkpoints' fields instead.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Print every checkpoint as text (blank-line separated), for safekeeping elsewhere."""
    from dataclasses import asdict

    from adapters.chain_store import ChainReader

    database_setting = _database(database)
    with ChainReader(database_setting) as reader:
        notes = list(reader.checkpoints())
    if as_json:
        print_json([{**asdict(note), "text": note.text()} for note in notes])
        return
    for index, note in enumerate(notes):
        print(("\n" if index else "") + note.text(), end="")


@commands.command("verify-proof")
def verify_proof(
    proof_file: Annotated[
        Path, typer.Argument(help="A proof from GET /v1/audit/events/{position}/proof.")
    ],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="The checkpoint key (PEM or hex).")
    ],
) -> None:
    """Check an inclusion proof offline: the checkpoint's signature, the event's bytes
    against the proven leaf, and the audit path against the signed Merkle root."""
    import base64
    import binascii

    from adapters.auditkit.audit_verify import check_inclusion, public_key_from_text

    try:
        key = public_key_from_text(public_key.read_text(encoding="ascii"))
        proof = orjson.loads(proof_file.read_bytes())
        if not isinstance(proof, dict):
            raise ValueError("a proof is a JSON object")
        event = proof.get("event")
        stored = None
        if event is not None:
            stored = (
                str(event["topic"]),
                str(event["originator_id"]),
                int(event["originator_version"]),
                base64.b64decode(str(event["state_base64"]), validate=True),
            )
    except (OSError, UnicodeError, ValueError, KeyError, TypeError, binascii.Error) as error:
        errors.print(f"[red]refused:[/red] malformed proof or key: {escape(str(error))}")
        raise typer.Exit(EXIT_REFUSED) from None
    ok, why = check_inclusion(proof, [key], stored)
    if not ok:
        errors.print(f"[red]proof does not verify:[/red] {escape(why)}")
        raise typer.Exit(EXIT_DIFFERENCES)
    console.print(
        f"[green]included[/green]: log position {proof.get('log_position')} is in the signed "
        f"checkpoint of {proof.get('tree_size')} events"
    )


def _database(url: str | None) -> Database:
    from adapters.database import parse_database_url
    from adapters.settings import Settings

    try:
        return parse_database_url(url) if url else Settings.from_environment().database
    except SettingsError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None


def _reader_database(url: str | None) -> Database:
    """``--database`` when given, else the standby of ``BACKOFFICE_READ_DATABASE_URL``
    (chain verification reads there), else ``BACKOFFICE_DATABASE_URL``."""
    from adapters.settings import Settings

    if url:
        return _database(url)
    try:
        settings = Settings.from_environment()
    except SettingsError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    return settings.read_database or settings.database


def verify_chain_command(
    database: str | None, public_keys: list[Path], checkpoint_files: list[Path], as_json: bool
) -> None:
    from adapters.auditkit.audit_verify import public_key_from_text
    from adapters.auditkit.checkpoint_note import parse_many
    from adapters.chain_store import verify_chain
    from adapters.settings import Settings

    raws: list[bytes] = []
    try:
        for path in public_keys:
            raws.append(public_key_from_text(path.read_text(encoding="ascii")))
        if not raws:
            signer = Settings.from_environment().signer
            if signer is not None:
                raws.append(signer.public_raw)
        extra = []
        for path in checkpoint_files:
            extra += parse_many(path.read_text(encoding="ascii"))
    except (OSError, UnicodeError, ValueError, SettingsError) as error:
        errors.print(f"[red]refused:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_REFUSED) from None
    report = verify_chain(_reader_database(database), raws, extra)
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
