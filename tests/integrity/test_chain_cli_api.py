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


def test_cli_verify_chain_names_the_first_bad_position(sqlite_url: str, tmp_path: Path) -> None:
    import sqlite3

    env = {"BACKOFFICE_DATABASE_URL": sqlite_url, "BACKOFFICE_SIGNING_KEY": "33" * 32}
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
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("DROP TRIGGER stored_events_append_only_update")
    connection.execute(
        "UPDATE stored_events SET state = replace(state, 'Sales', 'Sal3s') WHERE rowid = 3"
    )
    connection.close()
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
        reads = api.get("/v1/audit/events", params={"event_type": "AccessRecorded"}).json()[
            "events"
        ]
        assert any(r["payload"]["detail"] == "chain verification" for r in reads)


def test_the_server_signs_checkpoints_periodically(sqlite_url: str) -> None:
    from adapters.chain_store import ChainReader

    def stored() -> list[object]:
        with ChainReader(api.system.database) as reader:
            return list(reader.checkpoints())

    with running_api(sqlite_url, checkpoint_interval_s=0.2) as api:
        open_usd_chart(api)
        deadline = time.monotonic() + 10
        while not stored() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(stored()) == 1
        time.sleep(0.6)  # nothing new since (its own event aside): no further checkpoint
        assert len(stored()) == 1
        api.client.get("/v1/me")  # a denied request appends an access record: the log grew
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
