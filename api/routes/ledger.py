"""/v1 ledger routes: assets, accounts, journal entries, balances, periods."""

from __future__ import annotations

import asyncio
import base64
import binascii
from concurrent.futures import Future
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from adapters.group_commit import WAIT_TIMEOUT_S, CommitterOverloaded, CommitterStopped
from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.problems import ApiProblem
from api.state import (
    api_state,
    balances_position,
    context_for,
    idempotency_key,
    json_response,
    log_head,
    run_idempotent,
    wait_for_position,
)
from domain.kernel import limits
from domain.kernel.errors import IdempotencyConflict, InvalidInput
from domain.kernel.money import format_amount
from domain.ledger.accounts import check_account_code
from domain.ledger.commands import PostingOutcome, PostJournalEntry
from domain.ledger.journal import JournalEntry, reversal_id_for

router = APIRouter(prefix="/v1")

PAGE_SIZE_MAX = 1000
POSITION_MAX = 2**62
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=POSITION_MAX,
        description="wait (bounded) until the answer reflects at least this log position",
    ),
]
AsOf = Annotated[
    str | None, Query(max_length=10, description="effective date (inclusive), YYYY-MM-DD")
]
AtPosition = Annotated[
    int | None, Query(ge=0, le=POSITION_MAX, description="answer as of this log position")
]


def _problem(description: str | None = None) -> dict[str, Any]:
    """An error response: a Problem, sent as application/problem+json (FastAPI also lists the
    model under application/json; the problem+json entry is the media type actually sent)."""
    declared: dict[str, Any] = {
        "model": models.Problem,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    if description is not None:
        declared["description"] = description
    return declared


WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("missing or invalid Idempotency-Key"),
    401: _problem(),
    403: _problem(),
    404: _problem(),
    409: _problem(),
    413: _problem(),
    422: _problem(),
    503: _problem(),
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem(),
    403: _problem(),
    404: _problem(),
    422: _problem(),
    503: _problem(),
}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[!-~]+$"},
    "description": "one key per intended change; a retry with the same key and body is answered "
    "with the original response (and Idempotency-Replayed: true)",
}
WRITE_EXTRA = {"parameters": [IDEMPOTENCY_HEADER]}


# --- assets ---------------------------------------------------------------


@router.post(
    "/assets",
    status_code=201,
    response_model=models.AssetOut,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["assets"],
)
def register_asset(
    request: Request,
    body: models.AssetIn,
    principal: Principal = Depends(authorize("assets:write")),
) -> Response:
    """Register a non-currency asset (a security, stock units, hours) with its scale."""
    key = idempotency_key(request)
    state = api_state(request)
    payload = body.model_dump()
    context = context_for(request, principal)
    return run_idempotent(
        request,
        principal,
        key,
        payload,
        201,
        {"code": body.code, "scale": body.scale, "name": body.name},
        lambda: state.app.register_asset(context, body.code, body.scale, body.name),
    )


# --- accounts -------------------------------------------------------------


def _account_view(info: Any) -> dict[str, Any]:
    return {
        "code": info.code,
        "name": info.name,
        "type": info.account_type,
        "assets": list(info.assets),
        "flags": list(info.flags),
        "status": "closed" if info.closed_position is not None else "open",
    }


@router.post(
    "/accounts",
    status_code=201,
    response_model=models.AccountWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["accounts"],
)
def open_account(
    request: Request,
    body: models.AccountIn,
    principal: Principal = Depends(authorize("accounts:write")),
) -> Response:
    """Open an account: code, name, type, the assets it may hold, flags."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    view = {
        "code": body.code,
        "name": body.name,
        "type": body.type,
        "assets": sorted(body.assets),
        "flags": sorted(set(body.flags)),
        "status": "open",
    }
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        201,
        view,
        lambda: state.app.open_account(
            context, body.code, body.name, body.type, body.assets, body.flags
        ),
    )


@router.get(
    "/accounts", response_model=models.AccountPage, responses=READ_RESPONSES, tags=["accounts"]
)
def list_accounts(
    request: Request,
    principal: Principal = Depends(authorize("ledger:read")),
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
) -> Response:
    """Accounts in code order, a page at a time (``next_cursor`` continues)."""
    state = api_state(request)
    wait_for_position(state, min_position, lambda: balances_position(state))
    after = _decode_cursor(cursor)
    accounts = sorted(state.system.projections.accounts(), key=lambda info: info.code)
    page = [info for info in accounts if after is None or info.code > after][: limit + 1]
    more = len(page) > limit
    page = page[:limit]
    next_cursor = _encode_cursor(page[-1].code) if more and page else None
    return json_response(
        200, {"accounts": [_account_view(info) for info in page], "next_cursor": next_cursor}
    )


@router.get(
    "/accounts/{code}",
    response_model=models.AccountOut,
    responses=READ_RESPONSES,
    tags=["accounts"],
)
def get_account(
    request: Request,
    code: str,
    principal: Principal = Depends(authorize("ledger:read")),
    min_position: MinPosition = None,
) -> Response:
    state = api_state(request)
    wait_for_position(state, min_position, lambda: log_head(state))
    account = state.app.get_account(check_account_code(code, "code"))
    return json_response(
        200,
        {
            "code": account.code,
            "name": account.name,
            "type": account.account_type,
            "assets": list(account.assets),
            "flags": list(account.flags),
            "status": "closed" if account.closed else "open",
        },
    )


@router.post(
    "/accounts/{code}/close",
    response_model=models.AccountWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["accounts"],
)
def close_account(
    request: Request,
    body: models.ReasonIn,
    code: str,
    principal: Principal = Depends(authorize("accounts:write")),
) -> Response:
    """Close an account whose balance is zero in every asset, with nothing pending."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    code = check_account_code(code, "code")
    account = state.app.get_account(code)
    view = {
        "code": account.code,
        "name": account.name,
        "type": account.account_type,
        "assets": list(account.assets),
        "flags": list(account.flags),
        "status": "closed",
    }
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        view,
        lambda: state.app.close_account(context, code, body.reason),
    )


@router.get(
    "/accounts/{code}/balance",
    response_model=models.BalanceOut,
    responses=READ_RESPONSES,
    tags=["balances"],
)
def account_balance(
    request: Request,
    code: str,
    principal: Principal = Depends(authorize("ledger:read")),
    as_of: AsOf = None,
    at_position: AtPosition = None,
    min_position: MinPosition = None,
) -> Response:
    """Posted and pending balances per asset, as of an effective date and/or a log position."""
    state = api_state(request)
    wait_for_position(state, min_position, lambda: balances_position(state))
    code = check_account_code(code, "code")
    answer = state.system.projections.balance(code, as_of_date=as_of, at_position=at_position)
    return json_response(200, answer.as_dict())


@router.get(
    "/trial-balance",
    response_model=models.TrialBalanceOut,
    responses=READ_RESPONSES,
    tags=["balances"],
)
def trial_balance(
    request: Request,
    principal: Principal = Depends(authorize("ledger:read")),
    as_of: AsOf = None,
    at_position: AtPosition = None,
    min_position: MinPosition = None,
) -> Response:
    """Every account per asset with totals per asset (which net to zero)."""
    state = api_state(request)
    wait_for_position(state, min_position, lambda: balances_position(state))
    answer = state.system.projections.trial_balance(as_of_date=as_of, at_position=at_position)
    return json_response(200, answer.as_dict())


# --- journal entries --------------------------------------------------------


def scoped_key(actor: str, key: str) -> str:
    """The domain idempotency key of an API request: the client's key, scoped by actor."""
    return f"{len(actor)}:{actor}/{key}"


@router.post(
    "/journal-entries",
    status_code=201,
    response_model=models.EntryWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["journal entries"],
)
async def post_journal_entry(
    request: Request,
    body: models.JournalEntryIn,
    principal: Principal = Depends(authorize("entries:post")),
) -> Response:
    """Post a balanced entry (or, with ``pending``, reserve its amounts until posted or voided)."""
    key = idempotency_key(request)
    state = api_state(request)
    command = PostJournalEntry(
        context=context_for(request, principal),
        idempotency_key=scoped_key(principal.actor, key),
        effective_date=body.effective_date,
        postings=[posting.model_dump() for posting in body.postings],
        description=body.description,
        reference=body.reference,
        pending=body.pending,
        metadata=dict(body.metadata),
    )
    try:
        outcome = await committed(state.committer.submit(command))
    except IdempotencyConflict:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            f"Idempotency-Key {key!r} was used before for a different request",
            errors=[
                {
                    "field": "Idempotency-Key",
                    "code": "reused",
                    "message": "used for another request",
                }
            ],
        ) from None
    except (CommitterOverloaded, CommitterStopped, TimeoutError) as exc:
        raise ApiProblem(
            503,
            "overloaded",
            f"the entry was not accepted ({type(exc).__name__}); retry with the same Idempotency-Key",
            headers={"Retry-After": "1"},
        ) from None
    position = outcome.position
    if outcome.replayed:
        position = await run_in_threadpool(state.app.position_of, outcome.entry_id, 1)
    else:
        state.metrics.events_appended.inc()
    status = "pending" if body.pending else "posted"
    return json_response(
        201,
        {"id": str(outcome.entry_id), "status": status, "position": position},
        replayed=outcome.replayed,
    )


async def committed(
    future: Future[PostingOutcome], timeout_s: float = WAIT_TIMEOUT_S
) -> PostingOutcome:
    """The group committer's outcome for ``future``, awaited on the event loop.

    Same outcome, refusal or ``TimeoutError`` as ``GroupCommitter.post``, but
    no worker thread is held while the commit runs. Only our own waiter is
    ever cancelled, never the committer's future.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    future.add_done_callback(lambda _future: loop.call_soon_threadsafe(_wake, waiter))
    try:
        await asyncio.wait_for(waiter, timeout_s)
    except TimeoutError:
        if not future.done():
            raise
    return future.result()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _entry_view(state: Any, entry: JournalEntry) -> dict[str, Any]:
    catalog = state.app.catalog()
    postings = []
    for account, direction, amount_minor, asset in entry.postings:
        postings.append(
            {
                "account": account,
                "direction": direction,
                "amount": format_amount(int(amount_minor), catalog.scale_of(asset, field="asset")),
                "asset": asset,
            }
        )
    return {
        "id": str(entry.id),
        "status": entry.status,
        "effective_date": entry.effective_date,
        "description": entry.description,
        "reference": entry.reference,
        "postings": postings,
        "metadata": dict(entry.metadata),
        "reverses": entry.reverses,
        "reversed_by": entry.reversed_by,
        "recorded_by": entry.actor,
        "position": state.app.position_of(entry.id, 1),
    }


@router.get(
    "/journal-entries/{entry_id}",
    response_model=models.JournalEntryOut,
    responses=READ_RESPONSES,
    tags=["journal entries"],
)
def get_journal_entry(
    request: Request,
    entry_id: UUID,
    principal: Principal = Depends(authorize("ledger:read")),
    min_position: MinPosition = None,
) -> Response:
    state = api_state(request)
    wait_for_position(state, min_position, lambda: log_head(state))
    return json_response(200, _entry_view(state, state.app.get_entry(entry_id)))


@router.post(
    "/journal-entries/{entry_id}/post",
    response_model=models.EntryWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["journal entries"],
)
def post_pending(
    request: Request, entry_id: UUID, principal: Principal = Depends(authorize("entries:approve"))
) -> Response:
    """Post a pending entry in full (once)."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    return run_idempotent(
        request,
        principal,
        key,
        None,
        200,
        {"id": str(entry_id), "status": "posted"},
        lambda: state.app.post_pending(context, entry_id),
    )


@router.post(
    "/journal-entries/{entry_id}/void",
    response_model=models.EntryWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["journal entries"],
)
def void_pending(
    request: Request,
    entry_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("entries:approve")),
) -> Response:
    """Void a pending entry in full (once), releasing its reservation."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        {"id": str(entry_id), "status": "voided"},
        lambda: state.app.void_pending(context, entry_id, body.reason),
    )


@router.post(
    "/journal-entries/{entry_id}/reversal",
    status_code=201,
    response_model=models.ReversalWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["journal entries"],
)
def reverse_entry(
    request: Request,
    entry_id: UUID,
    body: models.ReversalIn,
    principal: Principal = Depends(authorize("entries:reverse")),
) -> Response:
    """Reverse a posted entry with a new entry referencing it (once)."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        201,
        {"id": str(reversal_id_for(entry_id)), "status": "posted", "reverses": str(entry_id)},
        lambda: state.app.reverse_entry(context, entry_id, body.reason, body.effective_date),
    )


# --- periods ----------------------------------------------------------------


def _period(period: str) -> str:
    return limits.period_name(period, "period")


@router.post(
    "/periods/{period}/close",
    response_model=models.PeriodWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["periods"],
)
def close_period(
    request: Request,
    period: str,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("periods:write")),
) -> Response:
    """Close a month (YYYY-MM): entries dated in it are refused until it is reopened."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    name = _period(period)
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        {"period": name, "status": "closed"},
        lambda: state.app.close_period(context, name, body.reason),
    )


@router.post(
    "/periods/{period}/reopen",
    response_model=models.PeriodWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["periods"],
)
def reopen_period(
    request: Request,
    period: str,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("periods:write")),
) -> Response:
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    name = _period(period)
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        {"period": name, "status": "open"},
        lambda: state.app.reopen_period(context, name, body.reason),
    )


# --- cursors ------------------------------------------------------------------


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidInput("cursor: not a cursor this API issued", field="cursor") from None
