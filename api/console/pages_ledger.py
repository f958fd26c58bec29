"""Console: chart of accounts with balances, account ledger, statement PDF, entry
drill-down down to its events and an inclusion proof."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.console.charts import balance_chart
from api.console.pdf import statement_pdf
from api.console.session import ConsoleUser, require
from api.console.web import ConsoleRoute, audited_read, query_int, query_text, render
from api.problems import ApiProblem
from api.state import ApiState, api_state
from domain.kernel import limits
from domain.kernel.money import format_amount
from domain.ledger.accounts import check_account_code
from projections.ledger.account_ledger import PAGE_SIZE_MAX, AccountLedger, LedgerQuery
from replay.checkpointing import NoCheckpoint

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

LedgerUser = Annotated[ConsoleUser, Depends(require("ledger:read"))]
AuditUser = Annotated[ConsoleUser, Depends(require("audit:read"))]
STATEMENT_POSTINGS_MAX = 5_000


def _day(request: Request, name: str) -> str | None:
    value = query_text(request, name, 10)
    return limits.effective_date(value, name) if value is not None else None


def _ledger(state: ApiState) -> AccountLedger:
    found = state.system.tracked["account_ledger"]
    assert isinstance(found, AccountLedger)
    return found


# --- chart of accounts ------------------------------------------------------------


def chart_of_accounts(
    state: ApiState, as_of: str | None, at_position: int | None, asset: str | None
) -> dict[str, Any]:
    balances = state.system.projections
    accounts = sorted(balances.accounts(), key=lambda info: info.code)
    trial = balances.trial_balance(as_of_date=as_of, at_position=at_position)
    assets = sorted({line.asset for line in trial.lines} | {a for i in accounts for a in i.assets})
    by_account: dict[str, list[Any]] = {}
    for line in trial.lines:
        if asset is None or line.asset == asset:
            by_account.setdefault(line.account, []).append(line)
    return {
        "accounts": accounts,
        "balances": by_account,
        "assets": assets,
        "asset": asset,
        "as_of": as_of,
        "at_position": at_position,
        "position": trial.position,
    }


@router.get("/accounts")
async def accounts_page(request: Request, user: LedgerUser) -> Response:
    as_of, at_position = _day(request, "as_of"), query_int(request, "at_position")
    asset = query_text(request, "asset", 16)
    figures = await run_in_threadpool(
        chart_of_accounts, api_state(request), as_of, at_position, asset
    )
    await audited_read(request, user, "chart of accounts")
    return render(request, "accounts.html", figures, user=user)


# --- account ledger ----------------------------------------------------------------


def _query(request: Request, limit: int = 50) -> LedgerQuery:
    account = query_text(request, "account", limits.ACCOUNT_CODE_LENGTH_MAX)
    if account is None:
        raise ApiProblem(422, "validation_failed", "account: which account's ledger")
    return LedgerQuery(
        account=check_account_code(account, "account"),
        asset=query_text(request, "asset", 16),
        date_from=_day(request, "from"),
        date_to=_day(request, "to"),
        as_of_position=query_int(request, "as_of_position"),
        cursor=query_text(request, "cursor", 400),
        limit=limit,
    )


def ledger_figures(state: ApiState, query: LedgerQuery) -> dict[str, Any]:
    catalog = state.app.catalog()
    ledger = _ledger(state)
    page = ledger.ledger(query, lambda code: catalog.scale_of(code, field="asset"))
    scale = catalog.scale_of(page["asset"], field="asset")
    asset, opening, points = ledger.daily_balances(
        LedgerQuery(
            query.account, page["asset"], query.date_from, query.date_to, query.as_of_position
        )
    )
    account = state.app.get_account(query.account)
    return {
        "page": page,
        "account": account,
        "chart": balance_chart(opening, points, scale),
        "query": query,
        "asset": asset,
    }


@router.get("/ledger")
async def ledger_page(request: Request, user: LedgerUser) -> Response:
    query = _query(request)
    figures = await run_in_threadpool(ledger_figures, api_state(request), query)
    await audited_read(request, user, f"ledger of {query.account}")
    return render(request, "ledger.html", figures, user=user)


def statement(state: ApiState, query: LedgerQuery) -> bytes:
    catalog = state.app.catalog()
    ledger = _ledger(state)
    page = ledger.ledger(query, lambda code: catalog.scale_of(code, field="asset"))
    postings = list(page["postings"])
    while page["next_cursor"] and len(postings) < STATEMENT_POSTINGS_MAX:
        query = LedgerQuery(
            query.account,
            page["asset"],
            query.date_from,
            query.date_to,
            page["as_of_position"],
            page["next_cursor"],
            PAGE_SIZE_MAX,
        )
        page = ledger.ledger(query, lambda code: catalog.scale_of(code, field="asset"))
        postings += page["postings"]
    provenance = {
        "Postings": f"{len(postings)}"
        + (" (the first ones: narrow the dates)" if page["next_cursor"] else "")
    }
    account = state.app.get_account(query.account)
    return statement_pdf({**page, "postings": postings}, account.name, provenance)


@router.get("/ledger/statement.pdf")
async def statement_download(request: Request, user: LedgerUser) -> Response:
    query = _query(request, PAGE_SIZE_MAX)
    document = await run_in_threadpool(statement, api_state(request), query)
    await audited_read(request, user, f"statement of {query.account} (pdf)")
    filename = query.account.replace(":", "-")
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="statement-{filename}.pdf"'},
    )


# --- an entry, its events and a proof ----------------------------------------------


def entry_figures(state: ApiState, entry_id: UUID, user: ConsoleUser) -> dict[str, Any]:
    app = state.app
    entry = app.get_entry(entry_id)
    catalog = app.catalog()
    postings = [
        {
            "account": account,
            "direction": direction,
            "asset": asset,
            "amount": format_amount(int(amount_minor), catalog.scale_of(asset, field="asset")),
        }
        for account, direction, amount_minor, asset in entry.postings
    ]
    events = state.audit.history(str(entry_id)) if user.may("audit:read") else None
    return {
        "entry": entry,
        "entry_id": str(entry_id),
        "postings": postings,
        "position": app.position_of(entry.id, 1),
        "events": events,
    }


@router.get("/entries/{entry_id}")
async def entry_page(request: Request, entry_id: UUID, user: LedgerUser) -> Response:
    figures = await run_in_threadpool(entry_figures, api_state(request), entry_id, user)
    await audited_read(request, user, f"journal entry {entry_id}")
    return render(request, "entry.html", figures, user=user)


def proof_figures(state: ApiState, position: int) -> dict[str, Any]:
    """As ``GET /v1/audit/events/{position}/proof``: the same reader and witness."""
    from adapters.chain_store import ChainReader

    with ChainReader(state.system.database) as reader:
        chain_position = reader.chain_position_of(position)
        if chain_position is None:
            raise ApiProblem(404, "unknown_position", f"no event at log position {position}")
        found = reader.event_at(chain_position)
    assert found is not None
    topic, originator_id, version, stored_state = found[1]
    try:
        proof: dict[str, Any] | None = state.witness.inclusion_proof(chain_position).as_dict()
        problem = None
    except NoCheckpoint as missing:  # none covers it yet: the page says so
        proof, problem = None, missing.message
    return {
        "position": position,
        "topic": topic,
        "originator_id": str(originator_id),
        "version": version,
        "state_base64": base64.b64encode(stored_state).decode("ascii"),
        "proof": proof,
        "problem": problem,
    }


@router.get("/proofs/{position}")
async def proof_page(request: Request, position: int, user: AuditUser) -> Response:
    if not 1 <= position <= 2**62:
        raise ApiProblem(422, "validation_failed", "position: a log position")
    figures = await run_in_threadpool(proof_figures, api_state(request), position)
    await audited_read(request, user, f"inclusion proof for {position}")
    return render(request, "proof.html", figures, user=user)
