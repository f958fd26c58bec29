"""Tamper evidence from the outside: the CLI (keys, checkpoint, verify --chain,
verify-proof) and the API (/v1/audit/verify, proofs, checkpoints)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from adapters.auditkit.audit_verify import check_inclusion
from adapters.signing import generate
from tests.api.support import entry_body, open_usd_chart, running_api

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))


def run(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BACKOFFICE, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_cli_keys_checkpoint_verify_and_tamper(database_url: str, tmp_path: Path) -> None:
    key = tmp_path / "signing.pem"
    generated = run("keys", "generate", "--out", str(key))
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert run("keys", "generate", "--out", str(key)).returncode == 2  # never overwritten
    public = tmp_path / "public.pem"
    public.write_text(generated.stdout)
    env = {"BACKOFFICE_DATABASE_URL": database_url, "BACKOFFICE_SIGNING_KEY_FILE": str(key)}

    assert run("checkpoint", env=env).returncode != 0  # nothing to sign in an empty log
    for code, kind in (("Assets:Bank", "asset"), ("Equity:Capital", "equity")):
        assert (
            run(
                "open-account", code, "--name", code, "--type", kind, "--asset", "USD", env=env
            ).returncode
            == 0
        )
    signed = run("checkpoint", env=env)
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout.startswith("backoffice checkpoint v1\n") and "\nsize 2\n" in signed.stdout
    exported = run("checkpoints", env=env)
    assert exported.stdout == signed.stdout
    kept = tmp_path / "kept.txt"
    kept.write_text(exported.stdout)

    ok = run("verify", "--chain", "--public-key", str(public), "--checkpoint", str(kept), env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "verify --chain: OK" in ok.stdout
    as_json = orjson.loads(
        run("verify", "--chain", "--json", "--public-key", str(public), env=env).stdout
    )
    assert (
        as_json["ok"] is True
        and as_json["chain_length"] == 3
        and as_json["checkpoints_checked"] == 1
    )

    other = tmp_path / "other.pem"
    other.write_text(generate().public_pem())
    wrong_key = run("verify", "--chain", "--public-key", str(other), env=env)
    assert wrong_key.returncode == 1 and "unknown key" in wrong_key.stderr

    garbage = tmp_path / "garbage.txt"
    garbage.write_text("backoffice checkpoint v1\nnonsense\n")
    refused = run(
        "verify", "--chain", "--checkpoint", str(garbage), "--public-key", str(public), env=env
    )
    assert (
        refused.returncode == 2
        and "checkpoint" in refused.stderr
        and "Traceback" not in refused.stderr
    )


def change_an_event_behind_the_applications_back(database_url: str, position: int) -> None:
    """Replace "Sales" in the stored state of the event at chain ``position``, as the
    table owner with the events table's append-only triggers dropped meanwhile."""
    from adapters.chain_store import table_names
    from adapters.database import parse_database_url, postgres_connect_kwargs

    database = parse_database_url(database_url)
    events, chain, _checkpoints = table_names(database)
    if database.backend == "sqlite":
        import sqlite3

        connection = sqlite3.connect(database.sqlite_path, isolation_level=None)
        try:
            (notification_id,) = connection.execute(
                f"SELECT notification_id FROM {chain} WHERE position = ?", (position,)
            ).fetchone()
            (state,) = connection.execute(
                f"SELECT state FROM {events} WHERE rowid = ?", (notification_id,)
            ).fetchone()
            connection.execute("DROP TRIGGER stored_events_append_only_update")
            connection.execute(
                f"UPDATE {events} SET state = ? WHERE rowid = ?",
                (bytes(state).replace(b"Sales", b"Sal3s"), notification_id),
            )
        finally:
            connection.close()
        return
    import psycopg

    with psycopg.connect(**postgres_connect_kwargs(database)) as connection:  # type: ignore[arg-type]
        (notification_id,) = connection.execute(
            f"SELECT notification_id FROM {chain} WHERE position = %s", (position,)
        ).fetchone()
        (state,) = connection.execute(
            f"SELECT state FROM {events} WHERE notification_id = %s", (notification_id,)
        ).fetchone()
        trigger = f"{events.split('.')[-1]}_append_only_update_delete"
        (definition,) = connection.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
            (trigger, events),
        ).fetchone()
        connection.execute(f"DROP TRIGGER {trigger} ON {events}")
        connection.execute(
            f"UPDATE {events} SET state = %s WHERE notification_id = %s",
            (bytes(state).replace(b"Sales", b"Sal3s"), notification_id),
        )
        connection.execute(definition)  # the trigger is back when the change commits


def test_cli_verify_chain_names_the_first_bad_position(database_url: str) -> None:
    env = {"BACKOFFICE_DATABASE_URL": database_url, "BACKOFFICE_SIGNING_KEY": "33" * 32}
    for code, kind in (
        ("Assets:Bank", "asset"),
        ("Equity:Capital", "equity"),
        ("Income:Sales", "income"),
    ):
        assert (
            run(
                "open-account", code, "--name", code, "--type", kind, "--asset", "USD", env=env
            ).returncode
            == 0
        )
    assert run("checkpoint", env=env).returncode == 0
    assert run("verify", "--chain", env=env).returncode == 0
    change_an_event_behind_the_applications_back(database_url, 3)
    report = run("verify", "--chain", env=env)
    assert report.returncode == 1
    assert "first bad position 3" in report.stderr


def test_api_verify_proof_and_checkpoints(database_url: str) -> None:
    with running_api(database_url) as api:
        open_usd_chart(api)
        written = api.post(
            "/v1/journal-entries", "poster", entry_body("Assets:Bank", "Equity:Capital", "5.00")
        ).json()
        assert (
            api.get(f"/v1/audit/events/{written['position']}/proof").json()["code"]
            == "no_checkpoint"
        )
        api.checkpoint()

        report = api.get("/v1/audit/verify").json()
        assert report["ok"] is True and report["checkpoints_checked"] == 1
        assert report["public_key_id"] == api.settings.signer.key_id

        proof = api.get(f"/v1/audit/events/{written['position']}/proof").json()
        event = proof["event"]
        stored = (
            event["topic"],
            event["originator_id"],
            event["originator_version"],
            base64.b64decode(event["state_base64"]),
        )
        assert check_inclusion(proof, [api.settings.signer.public_raw], stored) == (
            True,
            "included",
        )
        assert api.get("/v1/audit/events/999999/proof").status_code == 404

        # The auditor checks the proof offline with the public key only.
        directory = (
            Path(api.system.database.sqlite_path).parent
            if api.system.database.backend == "sqlite"
            else None
        )
        workdir = directory or Path(os.environ.get("TMPDIR", "/tmp"))
        proof_file = workdir / f"proof-{os.getpid()}-{written['position']}.json"
        key_file = workdir / f"key-{os.getpid()}.pem"
        proof_file.write_bytes(orjson.dumps(proof))
        key_file.write_text(api.settings.signer.public_pem())
        try:
            checked = run("verify-proof", str(proof_file), "--public-key", str(key_file))
            assert checked.returncode == 0, checked.stderr
            assert "included" in checked.stdout
            tampered = {
                **proof,
                "event": {**event, "state_base64": base64.b64encode(b"{}").decode()},
            }
            proof_file.write_bytes(orjson.dumps(tampered))
            refused = run("verify-proof", str(proof_file), "--public-key", str(key_file))
            assert refused.returncode == 1 and "does not hash" in refused.stderr
            proof_file.write_text("{not json")
            malformed = run("verify-proof", str(proof_file), "--public-key", str(key_file))
            assert malformed.returncode == 2 and "Traceback" not in malformed.stderr
        finally:
            proof_file.unlink(missing_ok=True)
            key_file.unlink(missing_ok=True)

        text = api.get("/v1/audit/checkpoints").text
        assert text.startswith("backoffice checkpoint v1\n")
        size = int(text.split("\nsize ")[1].split("\n")[0])
        api.post(
            "/v1/journal-entries", "poster", entry_body("Assets:Bank", "Equity:Capital", "1.00")
        )
        api.checkpoint()
        consistency = api.get(
            "/v1/audit/consistency", params={"old_size": size, "new_size": size + 2}
        ).json()
        assert consistency["path"]
        assert (
            api.get("/v1/audit/consistency", params={"old_size": 5, "new_size": 2}).status_code
            == 422
        )
        reads = api.get("/v1/audit/access", params={"outcome": "read"}).json()["entries"]
        assert any(r["detail"] == "chain verification" for r in reads)


def test_the_server_signs_checkpoints_periodically(database_url: str) -> None:
    from adapters.chain_store import ChainReader

    def stored() -> list[object]:
        with ChainReader(api.system.database) as reader:
            return list(reader.checkpoints())

    with running_api(database_url, checkpoint_interval_s=0.2) as api:
        open_usd_chart(api)
        deadline = time.monotonic() + 10
        while not stored() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(stored()) == 1
        time.sleep(0.6)  # nothing new since (its own event aside): no further checkpoint
        assert len(stored()) == 1
        # A denied request no longer grows the log (it goes to the access log): a write does.
        api.client.get("/v1/me")
        time.sleep(0.6)
        assert len(stored()) == 1
        posted = api.post(
            "/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Equity:Capital", "1.00")
        )
        assert posted.status_code == 201, posted.text
        deadline = time.monotonic() + 10
        while len(stored()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(stored()) == 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "backoffice checkpoint v1\n",
        "x" * 5000,
        "backoffice checkpoint v1\nlog zz\nsize 1\nhead a\nroot b\ntime t\n\nsig a b\n",
    ],
)
def test_malformed_checkpoints_are_refused_clearly(text: str) -> None:
    from adapters.auditkit.checkpoint_note import parse

    with pytest.raises(ValueError, match="checkpoint"):
        parse(text)
