"""A small company's year, generated from a seed: the data behind ``backoffice demo``.

Chart of accounts in two currencies (USD books, a EUR bank account and
currency trading accounts), a few hundred entries across the year: sales,
rent, salaries, supplier payments, EUR receipts converted through the
trading accounts, corrections by reversal, two-phase card payments posted
or voided, and month ends closed as the year goes on. The same seed always
produces the same commands; idempotency keys make re-running it harmless.

Given a subject key store, the year also has its business
(``backoffice.demo.business``): payees and customers registered as data
subjects, a fictional sanctions list, outgoing payments through their whole
life (one held and rejected, one held and cleared, failed, returned,
cancelled), receipts by wire, card and cash, a netted settlement, and at
year end an erasure and one month's bank statement imported and reconciled
(``backoffice.demo.bank``). Business dated in a month is done before that
month is closed.
"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from backoffice.demo import data
from backoffice.demo.bank import CORRECTION_REASON
from backoffice.demo.billing import DemoBilling
from backoffice.demo.billing_summary import BillingSummary
from backoffice.demo.business import DemoBusiness
from backoffice.demo.data import CHART
from backoffice.demo.payroll import DemoPayroll, PayrollSummary
from backoffice.demo.summary import BusinessSummary, summarise
from backoffice.demo.warehouse import DemoWarehouse, WarehouseSummary
from domain.application import BackOffice
from domain.inventory.service import Inventory
from domain.kernel.context import Context
from domain.kernel.errors import DomainError
from domain.ledger.commands import PostJournalEntry
from domain.ledger.errors import AccountAlreadyExists
from domain.subjects.service import SubjectKeys
from projections.reports.service import ReportService

EUR_USD_RATE_MIN, EUR_USD_RATE_MAX = 105, 112  # USD cents per EUR cent, x100


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What the demo did: ``entries`` accepted, ``refusals`` seen (by code), and so on."""

    seed: int
    entries_posted: int
    reversals: int
    pending_posted: int
    pending_voided: int
    periods_closed: list[str]
    refusals: dict[str, int]
    head_position: int
    business: BusinessSummary | None = None
    warehouse: WarehouseSummary | None = None
    billing: BillingSummary | None = None
    payroll: PayrollSummary | None = None


def _line(account: str, direction: str, amount_minor: int, asset: str = "USD") -> dict[str, str]:
    units, cents = divmod(amount_minor, 100)
    return {
        "account": account,
        "direction": direction,
        "amount": f"{units}.{cents:02d}",
        "asset": asset,
    }


def _transfer(
    debit: str, credit: str, amount_minor: int, asset: str = "USD"
) -> list[dict[str, str]]:
    return [
        _line(debit, "debit", amount_minor, asset),
        _line(credit, "credit", amount_minor, asset),
    ]


class DemoCompany:
    """Drives a BackOffice through a year of business, deterministically from ``seed``."""

    def __init__(
        self, app: BackOffice, seed: int, year: int = 2025, keys: SubjectKeys | None = None
    ) -> None:
        """``keys``: the subject key store; without it the year is the ledger alone."""
        self.app = app
        self.seed = seed
        self.year = year
        self.random = random.Random(seed)
        self.context = Context(actor="demo:accountant", correlation_id=f"demo-{seed}")
        self.refusals: dict[str, int] = {}
        self.posted = self.reversals = self.pending_posted = self.pending_voided = 0
        self.closed: list[str] = []
        self.business = None if keys is None else DemoBusiness(self, app, keys)
        self.warehouse = None if keys is None else DemoWarehouse(self, Inventory(app))
        self.billing: DemoBilling | None = None
        self.summaries: dict[str, Any] = {}
        self.payroll: DemoPayroll | None = None
        if self.business is not None and self.warehouse is not None:
            database = getattr(keys, "database", None)
            reports = None if database is None else ReportService(database, app)
            self.billing = DemoBilling(self.business, self.warehouse, reports)
            self.payroll = DemoPayroll(self.business, reports)

    def open_chart(self) -> None:
        for code, name, account_type, assets, flags in CHART:
            # Re-running the demo on the same store finds the chart already open.
            with contextlib.suppress(AccountAlreadyExists):
                self.app.open_account(self.context, code, name, account_type, assets, flags)

    def key(self, *parts: object) -> str:
        return ":".join(["demo", str(self.seed), *map(str, parts)])

    def _entry(
        self,
        key: str,
        day: date,
        description: str,
        postings: list[dict[str, str]],
        pending: bool = False,
    ) -> PostJournalEntry:
        return PostJournalEntry(
            context=self.context,
            idempotency_key=self.key(key),
            effective_date=day.isoformat(),
            postings=postings,
            description=description,
            reference=key,
            pending=pending,
            metadata={"source": "demo"},
        )

    def month_commands(self, month: int) -> Iterator[PostJournalEntry]:
        first = date(self.year, month, 1)
        days = [(first + timedelta(days=offset)) for offset in range(28)]
        if month == 1:
            yield self._entry(
                "capital",
                first,
                "Founders' capital",
                _transfer("Assets:Bank:Checking", "Equity:Capital", 50_000_00),
            )
        yield self._entry(
            f"rent-{month}",
            first,
            "Office rent",
            _transfer("Expenses:Rent", "Assets:Bank:Checking", 2_400_00),
        )
        yield self._entry(
            f"salaries-{month}",
            days[-1],
            "Salaries",
            _transfer("Expenses:Salaries", "Assets:Bank:Checking", 9_000_00),
        )
        for number in range(self.random.randint(14, 20)):
            day = self.random.choice(days)
            amount = self.random.randint(150_00, 1_500_00)
            yield self._entry(
                f"sale-{month}-{number}",
                day,
                "Invoice to customer",
                _transfer(data.RECEIVABLES, "Income:Sales", amount),
            )
            if self.random.random() < 0.8:
                yield self._entry(
                    f"receipt-{month}-{number}",
                    min(day + timedelta(days=3), days[-1]),
                    "Customer payment",
                    _transfer("Assets:Bank:Checking", data.RECEIVABLES, amount),
                )
        for number in range(self.random.randint(2, 4)):
            yield self._entry(
                f"supplies-{month}-{number}",
                self.random.choice(days),
                "Supplier invoice",
                _transfer("Expenses:Supplies", data.PAYABLES, self.random.randint(20_00, 400_00)),
            )
        yield from self._euro_sale(month, self.random.choice(days))

    def _euro_sale(self, month: int, day: date) -> Iterator[PostJournalEntry]:
        eur = self.random.randint(500_00, 3_000_00)
        rate = self.random.randint(EUR_USD_RATE_MIN, EUR_USD_RATE_MAX)
        usd = eur * rate // 100
        yield self._entry(
            f"eu-sale-{month}",
            day,
            "Sale to EU customer, paid in EUR",
            _transfer("Assets:Bank:EUR", "Income:Sales:EU", eur, "EUR"),
        )
        # Converting EUR to USD: two balanced legs through the trading account.
        yield self._entry(
            f"fx-{month}",
            day,
            f"Convert EUR to USD at {rate / 100:.2f}",
            [
                _line("Equity:Trading:FX", "debit", eur, "EUR"),
                _line("Assets:Bank:EUR", "credit", eur, "EUR"),
                _line("Assets:Bank:Checking", "debit", usd),
                _line("Equity:Trading:FX", "credit", usd),
            ],
        )

    def post(self, commands: list[PostJournalEntry]) -> list[Any]:
        outcomes = self.app.post_entries(commands)
        for outcome in outcomes:
            if isinstance(outcome, DomainError):
                self.refusals[outcome.code] = self.refusals.get(outcome.code, 0) + 1
            else:
                self.posted += 0 if outcome.replayed else 1
        return outcomes

    def attempt(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except DomainError as refusal:
            self.refusals[refusal.code] = self.refusals.get(refusal.code, 0) + 1
            return False
        return True

    def run_month(self, month: int) -> None:
        commands = list(self.month_commands(month))
        outcomes = self.post(commands)
        accepted = [o for o in outcomes if not isinstance(o, DomainError) and not o.replayed]
        # A correction: one invoice was booked twice by mistake and is reversed.
        if accepted and self.attempt(
            lambda: self.app.reverse_entry(
                self.context, accepted[len(accepted) // 2].entry_id, CORRECTION_REASON
            )
        ):
            self.reversals += 1
        self._card_payments(month)
        # A mistake the ledger refuses: an unbalanced entry (counted, not written).
        self.post(
            [
                self._entry(
                    f"typo-{month}",
                    date(self.year, month, 5),
                    "Unbalanced by a typo",
                    [
                        _line("Expenses:Travel", "debit", 120_00),
                        _line("Assets:Bank:Checking", "credit", 12_00),
                    ],
                )
            ]
        )

    def _card_payments(self, month: int) -> None:
        for number in range(2):
            day = date(self.year, month, 10 + number)
            command = self._entry(
                f"card-{month}-{number}",
                day,
                "Card payment, authorised",
                _transfer(
                    "Expenses:Travel", "Assets:Bank:Checking", self.random.randint(50_00, 900_00)
                ),
                pending=True,
            )
            outcome = self.post([command])[0]
            if isinstance(outcome, DomainError) or outcome.replayed:
                continue
            entry_id = outcome.entry_id
            if number == 0 and self.attempt(
                functools.partial(self.app.post_pending, self.context, entry_id)
            ):
                self.pending_posted += 1
            elif number == 1 and self.attempt(
                functools.partial(
                    self.app.void_pending, self.context, entry_id, "Authorisation expired"
                )
            ):
                self.pending_voided += 1

    def run_areas(self) -> list[str]:
        """The fourth quarter's warehouse and billing, payroll's filings; the lines
        they leave (their summaries kept in ``self.summaries``)."""
        lines: list[str] = []
        if self.warehouse is not None:
            self.warehouse.run_quarter()
            self.summaries["warehouse"] = summary = self.warehouse.summary()
            lines += summary.lines()
        if self.billing is not None:
            self.billing.run_quarter()
            self.summaries["billing"] = billed = self.billing.summary()
            lines += billed.lines()
        if self.payroll is not None:
            self.payroll.close_year()
            self.summaries["payroll"] = paid = self.payroll.summary()
            lines += paid.lines()
        return lines

    def run_year(self) -> DemoReport:
        self.open_chart()
        if self.business is not None:
            self.business.open_year()
        if self.payroll is not None:
            self.payroll.open_year()
        for month in range(1, 13):
            self.run_month(month)
            if self.business is not None:
                self.business.run_month(month)
            if self.payroll is not None:
                self.payroll.run_month(month)
            if month <= 9:  # the books are closed up to the third quarter
                period = f"{self.year}-{month - 2:02d}" if month > 2 else None
                if period and self.attempt(
                    functools.partial(self.app.close_period, self.context, period, "Month end")
                ):
                    self.closed.append(period)
        # A late invoice dated in a closed month is refused.
        self.post(
            [
                self._entry(
                    "late-invoice",
                    date(self.year, 2, 14),
                    "Late invoice",
                    _transfer("Expenses:Supplies", data.PAYABLES, 75_00),
                )
            ]
        )
        summary = None
        if self.business is not None:
            areas = self.run_areas()
            self.business.close_year()
            summary = summarise(self.business, areas)
        return DemoReport(
            seed=self.seed,
            entries_posted=self.posted,
            reversals=self.reversals,
            pending_posted=self.pending_posted,
            pending_voided=self.pending_voided,
            periods_closed=list(self.closed),
            refusals=dict(sorted(self.refusals.items())),
            head_position=self.app.recorder.max_notification_id() or 0,
            business=summary,
            warehouse=self.summaries.get("warehouse"),
            billing=self.summaries.get("billing"),
            payroll=self.summaries.get("payroll"),
        )
