"""/v1 ledger routes: assets, accounts, journal entries, balances, periods."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from starlette.responses import Response

from api.dependencies import BackOfficeDep, BalancesDep, StateDep
from api.permissions import (
    AccountsWrite,
    AssetsWrite,
    EntriesApprove,
    EntriesPost,
    EntriesReverse,
    LedgerReader,
    PeriodsWrite,
)
from api.routing import area_router
from api.schemas.common import PAGE_SIZE_MAX, MinPosition, ReasonIn
from api.schemas.ledger import (
    AccountIn,
    AccountOut,
    AccountPage,
    AccountWritten,
    AsOf,
    AssetIn,
    AssetOut,
    AtPosition,
    BalanceOut,
    EntryWritten,
    JournalEntryIn,
    JournalEntryOut,
    PeriodWritten,
    ReversalIn,
    ReversalWritten,
    TrialBalanceOut,
    YearEndIn,
    YearEndWritten,
)
from api.state import (
    balances_position,
    json_response,
    log_head,
    wait_for_at_position,
    wait_for_position,
)
from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount
from domain.ledger import closing
from domain.ledger.accounts import check_account_code
from domain.ledger.commands import PostJournalEntry
from domain.ledger.journal import JournalEntry, entry_id_for_key, reversal_id_for

router = area_router()


# --- assets ---------------------------------------------------------------


@router.post("/assets", status_code=201, response_model=AssetOut, tags=["assets"])
def register_asset(body: AssetIn, write: AssetsWrite, ledger: BackOfficeDep) -> Response:
    """Register a non-currency asset (a security, stock units, hours) with its scale."""
    return write.run(
        lambda context: ledger.register_asset(context, body.code, body.scale, body.name),
        body=body,
        answer={"code": body.code, "scale": body.scale, "name": body.name},
        status=201,
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


@router.post("/accounts", status_code=201, response_model=AccountWritten, tags=["accounts"])
def open_account(body: AccountIn, write: AccountsWrite, ledger: BackOfficeDep) -> Response:
    """Open an account: code, name, type, the assets it may hold, flags."""
    view = {
        "code": body.code,
        "name": body.name,
        "type": body.type,
        "assets": sorted(body.assets),
        "flags": sorted(set(body.flags)),
        "status": "open",
    }
    return write.run(
        lambda context: ledger.open_account(
            context, body.code, body.name, body.type, body.assets, body.flags
        ),
        body=body,
        answer=view,
        status=201,
    )


@router.get("/accounts", response_model=AccountPage, tags=["accounts"])
def list_accounts(
    state: StateDep,
    balances: BalancesDep,
    principal: LedgerReader,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
) -> Response:
    """Accounts in code order, a page at a time (``next_cursor`` continues)."""
    wait_for_position(state, min_position, lambda: balances_position(state))
    after = _decode_cursor(cursor)
    accounts = sorted(balances.accounts(), key=lambda info: info.code)
    page = [info for info in accounts if after is None or info.code > after][: limit + 1]
    more = len(page) > limit
    page = page[:limit]
    next_cursor = _encode_cursor(page[-1].code) if more and page else None
    return json_response(
        200, {"accounts": [_account_view(info) for info in page], "next_cursor": next_cursor}
    )


def _account(ledger: BackOffice, code: str, status: str | None = None) -> dict[str, Any]:
    account = ledger.get_account(code)
    return {
        "code": account.code,
        "name": account.name,
        "type": account.account_type,
        "assets": list(account.assets),
        "flags": list(account.flags),
        "status": status or ("closed" if account.closed else "open"),
    }


@router.get("/accounts/{code}", response_model=AccountOut, tags=["accounts"])
def get_account(
    code: str,
    state: StateDep,
    ledger: BackOfficeDep,
    principal: LedgerReader,
    min_position: MinPosition = None,
) -> Response:
    wait_for_position(state, min_position, lambda: log_head(state))
    return json_response(200, _account(ledger, check_account_code(code, "code")))


@router.post("/accounts/{code}/close", response_model=AccountWritten, tags=["accounts"])
def close_account(
    body: ReasonIn, code: str, write: AccountsWrite, ledger: BackOfficeDep
) -> Response:
    """Close an account whose balance is zero in every asset, with nothing pending."""
    code = check_account_code(code, "code")
    return write.run(
        lambda context: ledger.close_account(context, code, body.reason),
        body=body,
        answer=_account(ledger, code, status="closed"),
    )


@router.get("/accounts/{code}/balance", response_model=BalanceOut, tags=["balances"])
def account_balance(
    code: str,
    state: StateDep,
    balances: BalancesDep,
    principal: LedgerReader,
    as_of: AsOf = None,
    at_position: AtPosition = None,
    min_position: MinPosition = None,
) -> Response:
    """Posted and pending balances per asset, as of an effective date and/or a log position."""
    wait_for_position(state, min_position, lambda: balances_position(state))
    wait_for_at_position(state, at_position, lambda: balances_position(state))
    code = check_account_code(code, "code")
    answer = balances.balance(code, as_of_date=as_of, at_position=at_position)
    return json_response(200, answer.as_dict())


@router.get("/trial-balance", response_model=TrialBalanceOut, tags=["balances"])
def trial_balance(
    state: StateDep,
    balances: BalancesDep,
    principal: LedgerReader,
    as_of: AsOf = None,
    at_position: AtPosition = None,
    min_position: MinPosition = None,
) -> Response:
    """Every account per asset with totals per asset (which net to zero)."""
    wait_for_position(state, min_position, lambda: balances_position(state))
    wait_for_at_position(state, at_position, lambda: balances_position(state))
    answer = balances.trial_balance(as_of_date=as_of, at_position=at_position)
    return json_response(200, answer.as_dict())


# --- journal entries --------------------------------------------------------


@router.post(
    "/journal-entries", status_code=201, response_model=EntryWritten, tags=["journal entries"]
)
async def post_journal_entry(body: JournalEntryIn, write: EntriesPost) -> Response:
    """Post a balanced entry (or, with ``pending``, reserve its amounts until posted or voided)."""
    command = PostJournalEntry(
        context=write.context,
        idempotency_key=write.ledger_key,
        effective_date=body.effective_date,
        postings=[posting.model_dump() for posting in body.postings],
        description=body.description,
        reference=body.reference,
        pending=body.pending,
        metadata=dict(body.metadata),
    )
    return await write.post_entry(
        command, answer={"status": "pending" if body.pending else "posted"}
    )


def _entry_view(ledger: BackOffice, entry: JournalEntry) -> dict[str, Any]:
    catalog = ledger.catalog()
    postings = [
        {
            "account": account,
            "direction": direction,
            "amount": format_amount(int(amount_minor), catalog.scale_of(asset, field="asset")),
            "asset": asset,
        }
        for account, direction, amount_minor, asset in entry.postings
    ]
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
        "position": ledger.position_of(entry.id, 1),
    }


@router.get("/journal-entries/{entry_id}", response_model=JournalEntryOut, tags=["journal entries"])
def get_journal_entry(
    entry_id: UUID,
    state: StateDep,
    ledger: BackOfficeDep,
    principal: LedgerReader,
    min_position: MinPosition = None,
) -> Response:
    wait_for_position(state, min_position, lambda: log_head(state))
    return json_response(200, _entry_view(ledger, ledger.get_entry(entry_id)))


@router.post(
    "/journal-entries/{entry_id}/post", response_model=EntryWritten, tags=["journal entries"]
)
def post_pending(entry_id: UUID, write: EntriesApprove, ledger: BackOfficeDep) -> Response:
    """Post a pending entry in full (once)."""
    return write.run(
        lambda context: ledger.post_pending(context, entry_id),
        body=None,
        answer={"id": str(entry_id), "status": "posted"},
    )


@router.post(
    "/journal-entries/{entry_id}/void", response_model=EntryWritten, tags=["journal entries"]
)
def void_pending(
    entry_id: UUID, body: ReasonIn, write: EntriesApprove, ledger: BackOfficeDep
) -> Response:
    """Void a pending entry in full (once), releasing its reservation."""
    return write.run(
        lambda context: ledger.void_pending(context, entry_id, body.reason),
        body=body,
        answer={"id": str(entry_id), "status": "voided"},
    )


@router.post(
    "/journal-entries/{entry_id}/reversal",
    status_code=201,
    response_model=ReversalWritten,
    tags=["journal entries"],
)
def reverse_entry(
    entry_id: UUID, body: ReversalIn, write: EntriesReverse, ledger: BackOfficeDep
) -> Response:
    """Reverse a posted entry with a new entry referencing it (once)."""
    reversal_id = reversal_id_for(entry_id)
    return write.run(
        lambda context: ledger.reverse_entry(context, entry_id, body.reason, body.effective_date),
        body=body,
        answer={"id": str(reversal_id), "status": "posted", "reverses": str(entry_id)},
        status=201,
    )


# --- periods ----------------------------------------------------------------


@router.post("/periods/{period}/close", response_model=PeriodWritten, tags=["periods"])
def close_period(
    period: str, body: ReasonIn, write: PeriodsWrite, ledger: BackOfficeDep
) -> Response:
    """Close a month (YYYY-MM): entries dated in it are refused until it is reopened."""
    name = limits.period_name(period, "period")
    return write.run(
        lambda context: ledger.close_period(context, name, body.reason),
        body=body,
        answer={"period": name, "status": "closed"},
    )


@router.post("/periods/{period}/reopen", response_model=PeriodWritten, tags=["periods"])
def reopen_period(
    period: str, body: ReasonIn, write: PeriodsWrite, ledger: BackOfficeDep
) -> Response:
    name = limits.period_name(period, "period")
    return write.run(
        lambda context: ledger.reopen_period(context, name, body.reason),
        body=body,
        answer={"period": name, "status": "open"},
    )


@router.post(
    "/periods/{year}/year-end", status_code=201, response_model=YearEndWritten, tags=["periods"]
)
def close_year(year: str, body: YearEndIn, write: PeriodsWrite, ledger: BackOfficeDep) -> Response:
    """The year-end close (admin): one entry dated YYYY-12-31 brings every income and
    expense account's net for the year to zero and moves it to retained earnings
    (``Equity:RetainedEarnings`` unless ``retained_earnings_account`` is given; it
    must exist). Once per year; December must be open."""
    name = limits.period_name(f"{year}-12", "year")[:4]
    retained = body.retained_earnings_account or closing.RETAINED_EARNINGS_DEFAULT
    entry_id = entry_id_for_key(closing.year_end_key(name))
    return write.run(
        lambda context: ledger.close_year(context, name, body.reason, retained),
        body=body,
        answer={"id": str(entry_id), "year": name, "status": "closed"},
        status=201,
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
