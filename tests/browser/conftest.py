"""Browser tests: the real app under uvicorn on a loopback port, driven by headless
Chromium (Debian's /usr/bin/chromium) through Playwright. No browser is downloaded:
Playwright is pointed at the system's executable; without it the tests skip."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "console"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    url: str
    api: Any  # tests.api.support.ApiHarness, its client speaking HTTP to the server
    seeded: dict[str, Any]


@contextmanager
def served(database_url: str) -> Iterator[Served]:
    """The API and console in a background uvicorn thread over ``database_url``, seeded."""
    import uvicorn

    from adapters.settings import Settings
    from adapters.signing import generate
    from api.app import create_app
    from backoffice.container import build_system
    from domain.access.tokens import ROLES
    from tests.api.support import ApiHarness, issue_token
    from tests.console.support import seed

    settings = Settings(database_url=database_url, signing_key=generate().private_pem())
    system = build_system(database_url)
    tokens = {role: issue_token(system, settings, role, f"{role}-actor") for role in ROLES}
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, system=system), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=30)
    api = ApiHarness(system, client, settings, tokens)  # type: ignore[arg-type]
    try:
        seeded = seed(api)
        api.checkpoint()
        yield Served(url, api, seeded)
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=15)
        system.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser test: {CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test: playwright is not installed (make venv)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def sqlite_server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("console") / "backoffice.db"
    with served(f"sqlite:///{path}") as running:
        yield running


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
