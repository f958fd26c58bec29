"""The web console under ``/console``: server-rendered pages for auditors and
compliance officers, on the same application, roles and services as the API.

One ``router`` (listed in ``api.app.ROUTERS``) gathers the pages: sign-in and
home (``pages_home``), accounts, ledgers and entries (``pages_ledger``), the
audit trail and entity timelines (``pages_audit``), reports and statements
(``pages_reports``), the compliance queue (``pages_compliance``). Sessions and
CSRF are in ``session``; templates, headers and refusal pages in ``web``.
Every asset is served from ``static/`` by the app itself: no CDN, no external
URL, so the console works offline.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.console import pages_audit, pages_compliance, pages_home, pages_ledger, pages_reports

router = APIRouter()
for _pages in (pages_home, pages_ledger, pages_audit, pages_reports, pages_compliance):
    router.include_router(_pages.router)
