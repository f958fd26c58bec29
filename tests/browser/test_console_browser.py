"""The console in headless Chromium: every role signs in, pages show the API's figures,
a compliance officer clears a case by keyboard, a role without the right sees a 403
page, every input is labelled; a screenshot of every page lands in build/console/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Served, served

pytestmark = pytest.mark.browser

ROLES = ("poster", "approver", "auditor", "compliance", "admin")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.dialogs = []  # type: ignore[attr-defined]
    opened.csp_errors = []  # type: ignore[attr-defined]

    def on_dialog(dialog: Any) -> None:
        opened.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()

    opened.on("dialog", on_dialog)
    opened.on(
        "console",
        lambda message: (
            opened.csp_errors.append(message.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield opened
    context.close()


def sign_in(page: Any, server: Served, role: str) -> None:
    """By keyboard: the token field has the focus; type the token, press Enter."""
    page.goto(f"{server.url}/console/sign-in")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'token'")
    page.keyboard.type(server.api.tokens[role])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/console")


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def figure(page: Any, name: str) -> str:
    return str(page.locator(f'[data-figure="{name}"]').first.inner_text()).strip()


def assert_labelled(page: Any) -> None:
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
               .filter(el => !el.hidden && el.labels.length === 0).map(el => el.name || el.id)"""
    )
    assert unlabelled == [], unlabelled


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_and_sees_its_home(
    page: Any, sqlite_server: Served, screenshots: Path, role: str
) -> None:
    sign_in(page, sqlite_server, role)
    assert page.title().startswith("Home")
    assert f"({role})" in page.locator(".who").inner_text()
    assert int(figure(page, "log-head")) > 0
    shot(page, screenshots, f"home-{role}")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/console/sign-in"))


def test_every_page_renders_the_figures_the_api_gives(
    page: Any, sqlite_server: Served, screenshots: Path
) -> None:
    api, url = sqlite_server.api, sqlite_server.url
    sign_in(page, sqlite_server, "auditor")

    page.goto(f"{url}/console/accounts")
    position = int(figure(page, "position"))
    trial = api.get(f"/v1/trial-balance?at_position={position}").json()
    for line in trial["lines"]:
        row = page.locator(f'tr[data-account="{line["account"]}"][data-asset="{line["asset"]}"]')
        assert row.locator("[data-balance]").inner_text() == line["net"]
    assert_labelled(page)
    shot(page, screenshots, "accounts")

    page.get_by_role("link", name="Assets:Bank", exact=True).first.click()
    page.wait_for_selector("svg.chart")
    at = figure(page, "as-of-position")
    ledger = api.get(f"/v1/accounts/Assets:Bank/ledger?as_of_position={at}").json()
    assert figure(page, "closing") == ledger["closing_balance"]
    running = page.locator("[data-running]").all_inner_texts()
    assert running == [posting["running_balance"] for posting in ledger["postings"]]
    assert page.dialogs == []  # the <script> in a description never ran
    assert_labelled(page)
    shot(page, screenshots, "ledger")

    entry_id = ledger["postings"][1]["entry_id"]
    page.locator(f'a[href="/console/entries/{entry_id}"]').first.click()
    assert figure(page, "position") == str(ledger["postings"][1]["position"])
    assert "<script>" in page.locator("[data-description]").inner_text()  # shown as text
    shot(page, screenshots, "entry")
    page.get_by_role("link", name="inclusion proof").first.click()
    assert "Leaf hash" in page.content()
    shot(page, screenshots, "proof")

    page.goto(f"{url}/console/entities?id=Assets:Bank")
    assert "AccountOpened" in page.content()
    shot(page, screenshots, "entity-timeline")

    page.goto(f"{url}/console/audit")
    assert_labelled(page)
    shot(page, screenshots, "audit-trail")

    for name, query in (
        ("trial-balance", ""),
        ("balance-sheet", ""),
        ("income-statement", "period=2026-01"),
    ):
        page.goto(f"{url}/console/statements/{name}?{query}")
        at = figure(page, "as-of-position")
        summary = api.get(
            f"/v1/reports/{name}?format=provenance&as_of_position={at}&{query}", "auditor"
        ).json()
        assert figure(page, "digest") == summary["digest"]
        assert figure(page, "row-count") == str(summary["row_count"])
        assert_labelled(page)
        shot(page, screenshots, f"statement-{name}")

    page.goto(f"{url}/console/reports")
    shot(page, screenshots, "reports")
    page.goto(f"{url}/console/reports/large-cash")
    page.select_option("#p-jurisdiction", "US")
    page.fill("#p-period", "2026-01")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector('[data-figure="digest"]')
    shot(page, screenshots, "report-large-cash")
    assert page.csp_errors == []


def test_a_compliance_officer_clears_a_case_by_keyboard(
    page: Any, sqlite_server: Served, screenshots: Path
) -> None:
    api = sqlite_server.api
    sign_in(page, sqlite_server, "compliance")
    page.goto(f"{sqlite_server.url}/console/compliance")
    assert_labelled(page)
    shot(page, screenshots, "compliance-queue")
    case = page.locator("tr[data-case]").first
    case_id = case.get_attribute("data-case")
    case.locator("select").focus()
    page.keyboard.press("Tab")  # to the reason
    page.keyboard.type("the payee is not the listed person")
    page.keyboard.press("Tab")  # to Decide
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-done]")
    assert page.dialogs and "cannot be changed" in page.dialogs[-1]
    shot(page, screenshots, "compliance-decided")
    decided = api.get(f"/v1/sanctions/cases/{case_id}", "compliance").json()
    assert decided["status"] == "cleared"


def test_a_role_without_the_right_sees_a_403_page(
    page: Any, sqlite_server: Served, screenshots: Path
) -> None:
    sign_in(page, sqlite_server, "poster")
    response = page.goto(f"{sqlite_server.url}/console/audit")
    assert response.status == 403
    assert "may not audit:read" in page.locator("[role=alert]").inner_text()
    shot(page, screenshots, "forbidden-403")


def test_sign_in_page_is_labelled(page: Any, sqlite_server: Served, screenshots: Path) -> None:
    page.goto(f"{sqlite_server.url}/console/sign-in")
    assert_labelled(page)
    shot(page, screenshots, "sign-in")


@pytest.mark.postgres
def test_on_postgresql_the_ledger_page_shows_the_apis_figures(
    page: Any, browser: Any, postgres_url: str
) -> None:
    with served(postgres_url) as server:
        sign_in(page, server, "auditor")
        page.goto(f"{server.url}/console/ledger?account=Assets:Bank")
        at = figure(page, "as-of-position")
        ledger = server.api.get(f"/v1/accounts/Assets:Bank/ledger?as_of_position={at}").json()
        assert figure(page, "closing") == ledger["closing_balance"]
        assert page.dialogs == []
