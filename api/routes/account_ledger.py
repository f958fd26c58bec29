"""/v1/accounts/{code}/ledger: an account's postings with running balance.

Served from the account ledger projection (``projections.ledger.account_ledger``):
a page is an index range read of the account's rows, never a scan of the log.
Pages hold at most ``PAGE_SIZE_MAX`` postings (default 50); ``next_cursor``
continues, carrying the running balance, so every page costs the same.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from api.dependencies import BackOfficeDep, StateDep
from api.permissions import LedgerReader
from api.routing import area_router
from api.schemas.account_ledger import AccountLedgerOut
from api.schemas.common import POSITION_MAX, MinPosition
from api.state import json_response, wait_for_position
from domain.kernel import limits
from domain.ledger.accounts import check_account_code
from projections.ledger.account_ledger import (
    PAGE_SIZE_DEFAULT_ROWS,
    PAGE_SIZE_MAX,
    AccountLedger,
    LedgerQuery,
)

router = area_router(tags=["accounts"])

Day = Annotated[str | None, Query(max_length=10, description="effective date, YYYY-MM-DD")]


def account_ledger(state: StateDep) -> AccountLedger:
    ledger = state.system.tracked["account_ledger"]
    assert isinstance(ledger, AccountLedger)
    return ledger


@router.get("/accounts/{code}/ledger", response_model=AccountLedgerOut)
def get_account_ledger(
    code: str,
    state: StateDep,
    ledger: BackOfficeDep,
    principal: LedgerReader,
    asset: Annotated[str | None, Query(max_length=16)] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    to: Day = None,
    as_of_position: Annotated[int | None, Query(ge=0, le=POSITION_MAX)] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_SIZE_DEFAULT_ROWS,
    min_position: MinPosition = None,
) -> Response:
    """Opening balance, every posting dated ``from``..``to`` (inclusive) recorded up to
    ``as_of_position``, each with its running balance, and the closing balance; on the
    account's normal side. At most 500 postings a page; ``next_cursor`` continues."""
    projection = account_ledger(state)
    wait_for_position(state, min_position, projection.position)
    query = LedgerQuery(
        account=check_account_code(code, "code"),
        asset=asset,
        date_from=limits.effective_date(from_, "from") if from_ is not None else None,
        date_to=limits.effective_date(to, "to") if to is not None else None,
        as_of_position=as_of_position,
        cursor=cursor,
        limit=limit,
    )
    catalog = ledger.catalog()
    page = projection.ledger(query, lambda code: catalog.scale_of(code, field="asset"))
    return json_response(200, page)
