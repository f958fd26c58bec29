"""The account ledger: every posting of an account with its running balance.

A tracked projection (``projections.tracking.base.PageFold``), so a page of
an account's ledger is an index range read, never a scan of the log: the
fold writes one row per posting (``projections.ledger.account_ledger_store``)
keyed by (account, asset, effective date, position, line), the ledger's
order. A posting takes effect at the position of the event that posted it:
a final entry's own event, or the ``PendingEntryPosted`` of a two-phase
entry (a voided one never posts). A reversal is a new entry like any other.

Balances are on the account's normal side (debit for assets and expenses,
credit otherwise), as the balances projection reports them. The opening
balance sums the account's postings dated before ``from``; the closing one
those dated up to ``to``; both only up to ``as_of_position`` when given.
The running balance of a page continues from the cursor, which carries the
balance before its next row, so a deep page costs what the first one does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from eventsourcing.utils import get_topic

from adapters.database import Database
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent
from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount
from domain.ledger.accounts import DEBIT_NORMAL_TYPES, Account
from domain.ledger.errors import UnknownAccount
from domain.ledger.journal import JournalEntry
from projections.audit.trail import recorded_at_text
from projections.ledger.account_ledger_store import (
    POSTING_COLUMNS,
    PREFIX,
    PROJECTION_NAME,
    AccountLedgerStore,
)
from projections.ledger.views import scale_of
from projections.tracking.base import Finding, PageFold

PAGE_SIZE_MAX = 500
"""Postings per page of the ledger, at most (the default is 50)."""
PAGE_SIZE_DEFAULT_ROWS = 50
CHART_DAYS_MAX = 400

POSTED = get_topic(JournalEntry.JournalEntryPosted)
PENDING_RECORDED = get_topic(JournalEntry.PendingEntryRecorded)
PENDING_POSTED = get_topic(JournalEntry.PendingEntryPosted)
PENDING_VOIDED = get_topic(JournalEntry.PendingEntryVoided)
ACCOUNT_OPENED = get_topic(Account.AccountOpened)
TOPICS = frozenset({POSTED, PENDING_RECORDED, PENDING_POSTED, PENDING_VOIDED, ACCOUNT_OPENED})


@dataclass(slots=True)
class LedgerPage:
    """What one page of the fold writes: posting rows, two-phase entries
    recorded (by id) and resolved, and accounts opened."""

    pending: dict[str, tuple[Any, ...]]
    postings: list[tuple[Any, ...]] = field(default_factory=list)
    pending_added: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    pending_removed: list[str] = field(default_factory=list)
    accounts: list[tuple[Any, ...]] = field(default_factory=list)


def posting_rows(
    entry_id: str,
    position: int,
    effective_date: str,
    recorded_at: str,
    description: str,
    reference: str,
    postings: list[list[Any]],
) -> list[tuple[Any, ...]]:
    """One row per posting line; counterparts: the entry's accounts on the other side."""
    rows = []
    for line, (account, direction, amount, asset) in enumerate(postings):
        others = sorted(
            {str(other[0]) for other in postings if other[1] != direction and other[0] != account}
        ) or sorted({str(other[0]) for other in postings if other[0] != account})
        amount_minor = int(amount)
        rows.append(
            (
                str(account),
                str(asset),
                effective_date,
                position,
                line,
                entry_id,
                recorded_at,
                description,
                reference,
                ",".join(others),
                str(direction),
                amount_minor,
                amount_minor if direction == "debit" else -amount_minor,
            )
        )
    return rows


def apply(state: LedgerPage, event: LogEvent) -> LedgerPage:
    """The page after ``event``: plain Python, no database."""
    fields = event.state
    topic = event.topic
    if topic == POSTED:
        state.postings += posting_rows(
            event.originator_id,
            event.position,
            fields["effective_date"],
            recorded_at_text(fields["timestamp"]),
            fields.get("description", ""),
            fields.get("reference", ""),  # version 1 had no reference
            fields["postings"],
        )
    elif topic == PENDING_RECORDED:
        row = (
            event.originator_id,
            fields["effective_date"],
            recorded_at_text(fields["timestamp"]),
            fields.get("description", ""),
            fields.get("reference", ""),
            orjson.dumps(fields["postings"]).decode(),
            event.position,
        )
        state.pending[event.originator_id] = row
        state.pending_added[event.originator_id] = row
    elif topic in (PENDING_POSTED, PENDING_VOIDED):
        entry = state.pending.pop(event.originator_id, None)
        state.pending_added.pop(event.originator_id, None)
        state.pending_removed.append(event.originator_id)
        if entry is not None and topic == PENDING_POSTED:
            entry_id, effective_date, recorded_at, description, reference, postings, _ = entry
            state.postings += posting_rows(
                entry_id,
                event.position,
                effective_date,
                recorded_at,
                description,
                reference,
                orjson.loads(postings),
            )
    elif topic == ACCOUNT_OPENED:
        assets = ",".join(sorted(fields["assets"]))
        state.accounts.append((fields["code"], fields["account_type"], assets))
    return state


def invariant_findings(store: AccountLedgerStore, _state: object = None) -> list[Finding]:
    """Over all accounts, the postings of each asset net to zero (debits equal credits)."""
    found = store.rows(
        f"SELECT asset, SUM(net_debit_minor) FROM {store.table('postings')} "
        "GROUP BY asset HAVING SUM(net_debit_minor) <> 0 ORDER BY asset"
    )
    return [
        Finding("account_ledger_balanced", None, f"{asset}: postings net to {net} minor units")
        for asset, net in found
    ]


# --- answers -------------------------------------------------------------------------


def encode_cursor(key: tuple[str, int, int], balance_minor: int) -> str:
    raw = orjson.dumps([key[0], key[1], key[2], balance_minor])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[tuple[str, int, int], int]:
    """(the last row's key, the running balance after it) from a cursor this API issued."""
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii"))
        day, position, line, balance = orjson.loads(raw)
        if not (isinstance(day, str) and all(type(n) is int for n in (position, line, balance))):
            raise ValueError("cursor fields")
    except (binascii.Error, UnicodeError, ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidInput("cursor: not a cursor this API issued", field="cursor") from None
    return (day, position, line), balance


@dataclass(frozen=True, slots=True)
class LedgerQuery:
    """One page's question: ``asset`` (None: the account's only one), an effective
    date range (inclusive), ``as_of_position`` (None: as far as folded)."""

    account: str
    asset: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    as_of_position: int | None = None
    cursor: str | None = None
    limit: int = PAGE_SIZE_DEFAULT_ROWS


class AccountLedger(PageFold[AccountLedgerStore, LedgerPage]):
    """Folds postings into the ``aled_`` tables; answers ledger pages."""

    name = PROJECTION_NAME
    label = "account ledger"
    live_prefix = PREFIX
    tables = ("postings", "pending", "accounts", "tracking")

    def __init__(
        self,
        database: Database,
        *,
        prefix: str | None = None,
        page_size: int = PAGE_SIZE_DEFAULT,
        catch_up_on_query: bool = True,
    ) -> None:
        super().__init__(
            database, prefix=prefix, page_size=page_size, catch_up_on_query=catch_up_on_query
        )

    def open_store(self, prefix: str) -> AccountLedgerStore:
        return AccountLedgerStore(self.database, prefix)

    def wanted(self, event: LogEvent) -> bool:
        return event.topic in TOPICS

    def load(self, events: list[LogEvent], inputs: Any) -> LedgerPage:
        resolved = [e.originator_id for e in events if e.topic in (PENDING_POSTED, PENDING_VOIDED)]
        pending = {row[0]: row for row in self.store.pending_rows(resolved)} if resolved else {}
        return LedgerPage(pending)

    def apply(self, state: LedgerPage, event: LogEvent) -> LedgerPage:
        return apply(state, event)

    def save(self, state: LedgerPage) -> None:
        self.store.write(
            state.postings,
            list(state.pending_added.values()),
            state.pending_removed,
            state.accounts,
        )

    # --- queries ---------------------------------------------------------------

    def ledger(
        self, query: LedgerQuery, scale_of_asset: Callable[[str], int] | None = None
    ) -> dict[str, Any]:
        """One page of the account's ledger: opening, postings with running balance, closing
        (amounts with the asset's scale: ``scale_of_asset``, default ISO 4217's)."""
        if not 1 <= query.limit <= PAGE_SIZE_MAX:
            raise InvalidInput(f"limit: from 1 to {PAGE_SIZE_MAX}", field="limit")
        with self._lock:
            self._fresh()
            with self.store.read_snapshot():
                return self._page(query, scale_of_asset or _iso_scale)

    def _page(self, query: LedgerQuery, scale_of_asset: Callable[[str], int]) -> dict[str, Any]:
        store = self.store
        found = store.account(query.account)
        if found is None:
            raise UnknownAccount(f"account {query.account!r} does not exist", field="account")
        account_type, assets = str(found[1]), [a for a in str(found[2]).split(",") if a]
        asset = query.asset
        if asset is None:
            if len(assets) != 1:
                raise InvalidInput(
                    f"asset: account {query.account} holds {', '.join(assets)}; name one",
                    field="asset",
                )
            asset = assets[0]
        tracked = store.tracked_position()
        at = query.as_of_position
        if at is not None and at > tracked:
            raise InvalidInput(
                f"as_of_position: the ledger has folded the log up to {tracked}",
                field="as_of_position",
            )
        sign = 1 if account_type in DEBIT_NORMAL_TYPES else -1
        bounds = {"account": query.account, "asset": asset}
        opening = (
            sign * store.net_debit_sum(**bounds, date_before=query.date_from, position_up_to=at)
            if query.date_from is not None
            else 0
        )
        closing = sign * store.net_debit_sum(**bounds, date_up_to=query.date_to, position_up_to=at)
        after, balance = (None, opening) if query.cursor is None else decode_cursor(query.cursor)
        rows = store.page(
            **bounds,
            date_from=query.date_from,
            date_to=query.date_to,
            position_up_to=at,
            after=after,
            limit=query.limit + 1,
        )
        scale = scale_of_asset(asset)
        postings = []
        for row in rows[: query.limit]:
            posting = dict(zip(POSTING_COLUMNS, row, strict=True))
            balance += sign * int(posting["net_debit_minor"])
            postings.append(_posting_view(posting, balance, scale))
        next_cursor = None
        if len(rows) > query.limit and postings:
            last = rows[query.limit - 1]
            next_cursor = encode_cursor((str(last[2]), int(last[3]), int(last[4])), balance)
        return {
            "account": query.account,
            "account_type": account_type,
            "asset": asset,
            "from": query.date_from,
            "to": query.date_to,
            "as_of_position": at if at is not None else tracked,
            "opening_balance": format_amount(opening, scale),
            "postings": postings,
            "closing_balance": format_amount(closing, scale),
            "page_size_max": PAGE_SIZE_MAX,
            "next_cursor": next_cursor,
        }

    def entries_recorded_since(self, recorded_from: str) -> int:
        with self._lock:
            self._fresh()
            return self.store.entries_recorded_since(recorded_from)

    def daily_balances(
        self, query: LedgerQuery, days_max: int = CHART_DAYS_MAX
    ) -> tuple[str, int, list[tuple[str, int]]]:
        """(asset, opening balance, [(day, closing balance that day)]) on the normal side,
        in minor units: the points of a balance-over-time chart."""
        page = self.ledger(LedgerQuery(**{**_fields(query), "cursor": None, "limit": 1}))
        asset = str(page["asset"])
        sign = 1 if page["account_type"] in DEBIT_NORMAL_TYPES else -1
        with self._lock, self.store.read_snapshot():
            opening = 0
            if query.date_from is not None:
                opening = sign * self.store.net_debit_sum(
                    query.account,
                    asset,
                    date_before=query.date_from,
                    position_up_to=query.as_of_position,
                )
            days = self.store.daily_net_debits(
                query.account,
                asset,
                date_from=query.date_from,
                date_to=query.date_to,
                position_up_to=query.as_of_position,
                days_max=days_max,
            )
        points, balance = [], opening
        for day, net in days:
            balance += sign * net
            points.append((day, balance))
        return asset, opening, points


def _iso_scale(asset: str) -> int:
    return scale_of(asset, {})


def _fields(query: LedgerQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in LedgerQuery.__dataclass_fields__}


def _posting_view(posting: dict[str, Any], balance_minor: int, scale: int) -> dict[str, Any]:
    return {
        "entry_id": posting["entry_id"],
        "effective_date": posting["effective_date"],
        "recorded_at": posting["recorded_at"],
        "position": int(posting["position"]),
        "line": int(posting["line"]),
        "description": posting["description"],
        "reference": posting["reference"],
        "counterparts": [a for a in str(posting["counterparts"]).split(",") if a],
        "direction": posting["direction"],
        "amount": format_amount(int(posting["amount_minor"]), scale),
        "running_balance": format_amount(balance_minor, scale),
    }
