"""`backoffice serve` as a real process: uvicorn, workers, JSON logs, refusal to start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest

from adapters.settings import Settings
from backoffice.container import build_system
from tests.api.support import issue_token

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(
    database_url: str, *arguments: str, environment: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {**os.environ, "BACKOFFICE_DATABASE_URL": database_url, **(environment or {})}
    process = subprocess.Popen(
        [BACKOFFICE, "serve", "--host", "127.0.0.1", "--port", str(port), *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"serve exited {process.returncode}: {process.stderr.read().decode()[-2000:]}"
                )  # type: ignore[union-attr]
            try:
                if httpx.get(f"{base}/health/ready", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not become ready")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_answers_posts_and_logs_json_lines(database_url: str, workers: str) -> None:
    system = build_system(database_url)
    try:
        settings = Settings()
        poster = issue_token(system, settings, "poster", "erp")
        system.app.open_account(
            __import__("domain.ledger.commands", fromlist=["Context"]).Context("setup", "c"),
            "Assets:Bank",
            "Bank",
            "asset",
            ["USD"],
        )
    finally:
        system.close()
    with served(database_url, "--workers", workers) as (base, process):
        headers = {"Authorization": f"Bearer {poster}"}
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/health/live").json() == {"status": "ok"}
            assert client.get("/v1/me", headers=headers).json()["actor"] == "erp"
            for attempt in range(4):  # spread over the workers
                response = client.get(
                    "/v1/accounts/Assets:Bank",
                    headers={**headers, "X-Correlation-ID": f"c-{attempt}"},
                )
                assert response.status_code == 200
            assert client.get("/v1/me").status_code == 401
            metrics = client.get("/metrics")
            assert metrics.status_code == 200 and "backoffice_http_requests_total" in metrics.text
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    lines = [orjson.loads(line) for line in stderr.splitlines() if line.startswith(b"{")]
    requests = [line for line in lines if line.get("message") == "request"]
    assert {line["correlation_id"] for line in requests} >= {"c-0", "c-1", "c-2", "c-3"}
    sample = next(line for line in requests if line["correlation_id"] == "c-0")
    assert (
        sample["route"] == "/v1/accounts/{code}"
        and sample["status"] == 200
        and sample["actor"] == "erp"
    )


def test_serve_refuses_production_without_a_secret(sqlite_url: str) -> None:
    result = subprocess.run(
        [BACKOFFICE, "serve", "--port", str(free_port())],
        env={
            **os.environ,
            "BACKOFFICE_DATABASE_URL": sqlite_url,
            "BACKOFFICE_ENV": "production",
            "BACKOFFICE_SECRET": "",
        },
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert b"BACKOFFICE_SECRET" in result.stderr


def test_tokens_cli_prints_the_token_once_and_stores_only_a_digest(sqlite_url: str) -> None:
    result = subprocess.run(
        [
            BACKOFFICE,
            "tokens",
            "create",
            "--actor",
            "erp",
            "--role",
            "poster",
            "--database",
            sqlite_url,
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    token = result.stdout.decode().strip()
    assert token.startswith("bo_")
    secret = token.split("_", 2)[2]
    assert secret.encode() not in Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
    listed = subprocess.run(
        [BACKOFFICE, "tokens", "list", "--database", sqlite_url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert b"erp" in listed.stdout and b"poster" in listed.stdout
    token_id = token.split("_")[1]
    revoked = subprocess.run(
        [BACKOFFICE, "tokens", "revoke", token_id, "--reason", "rotated", "--database", sqlite_url],
        capture_output=True,
        timeout=60,
    )
    assert revoked.returncode == 0, revoked.stderr
    again = subprocess.run(
        [BACKOFFICE, "tokens", "revoke", token_id, "--reason", "again", "--database", sqlite_url],
        capture_output=True,
        timeout=60,
    )
    assert again.returncode == 2 and b"token_already_revoked" in again.stderr
