"""Billing reports: AR and AP aging, the tax report with Indonesia's monthly PPN
return lines, the customer (or supplier) statement and the dunning list.

Every report folds the invoices', credit notes' and bills' events up to its
position with the open-items projection's own fold (``projections.billing.fold``),
so an aging at a position equals the projection's rows at that position.

- ``billing-ar-aging`` / ``billing-ap-aging`` (``as_of_date``): one row per
  party and currency, the open amounts by days past due on that date
  (current, 1-30, 31-60, 61-90, over 90; ``domain.billing.aging``), and a
  total row per currency. Open amounts are those at the report's position;
  documents dated after ``as_of_date`` are left out.
- ``billing-tax`` (``period``): output tax (invoices issued, less credit
  notes, by issue date) and input tax (supplier bills posted, by bill date) by
  tax code and currency: net, taxable base, tax. Then the lines of the
  Indonesian monthly PPN return (SPT Masa PPN 1111) from the ``ID-PPN*`` codes
  in IDR: I.A.2 (deliveries on which PPN is collected: DPP and PPN), II.A (PPN
  output), III.A (PPN input creditable), III.C (payable, or overpaid when
  negative: II.A less III.A). Deliveries without PPN collected, exports,
  retail simplified invoices and the PPN compensation of earlier months are
  not yet separated.
- ``billing-statement`` (``party_id``, ``period`` or dates): the opening
  balance, each movement in the range (invoices and bills, credit notes,
  write-offs, allocations and their undoing, the last two dated when
  recorded), the closing balance, per currency.
- ``billing-dunning`` (``as_of_date``): each overdue open invoice with its days
  past due and reminder level (``DEFAULT_DUNNING_POLICY``), highest level first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from adapters.log_reader import LogEvent
from domain.billing.aging import (
    DEFAULT_DUNNING_POLICY,
    AgingBucket,
    bucket_for,
    dunning_level,
)
from domain.kernel.errors import InvalidInput
from projections.billing import fold
from projections.reports.billing_fold import (
    BILL_POSTED,
    BILL_RECEIVED,
    BILLING_SCOPE,
    CREDIT_NOTE_ISSUED,
    INVOICE_ISSUED,
    BillingFold,
    as_of_parameter,
    fold_billing,
    format_minor,
)
from projections.reports.framework import (
    LogSource,
    ParameterSpec,
    ReportRow,
    ReportRun,
    ReportScope,
)
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    check_period_or_range,
    date_range,
    period_bounds,
)

AS_OF_DATE = ParameterSpec("as_of_date", "date", "the date the days past due are counted to", True)
PARTY_ID = ParameterSpec("party_id", "text", "the billing party (a UUID)", True)
BUCKETS = tuple(AgingBucket)
BUCKET_COLUMNS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
PPN_CODES_PREFIX = "ID-PPN"


# --- aging ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgingReport:
    name: str
    title: str
    side: str
    parameters: tuple[ParameterSpec, ...] = (AS_OF_DATE,)
    scope: ReportScope = BILLING_SCOPE
    columns: tuple[str, ...] = (
        "key", "party_id", "currency", *BUCKET_COLUMNS, "total", "items",
    )  # fmt: skip

    def validate(self, parameters: dict[str, str]) -> None:
        return None

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        as_of = as_of_parameter(parameters)
        state = fold_billing(source, as_of_position)
        context = {"as_of_date": as_of.isoformat(), "side": self.side}
        return ReportRun(context, self._rows(state, as_of))

    def _rows(self, state: BillingFold, as_of: date) -> Iterator[ReportRow]:
        groups: dict[tuple[str, str], tuple[dict[AgingBucket, int], list[int], list[str]]] = {}
        for document in fold.open_items(state.documents):
            if document.side != self.side or document.issue_date > as_of.isoformat():
                continue
            days = (as_of - date.fromisoformat(document.due_date)).days
            for key in ((document.party_id, document.currency), ("(total)", document.currency)):
                amounts, positions, items = groups.setdefault(
                    key, (dict.fromkeys(BUCKETS, 0), [], [])
                )
                amounts[bucket_for(days)] += document.open_minor
                positions += state.positions[document.document_id]
                items.append(document.number)
        ordered = sorted(groups, key=lambda key: (key[0] == "(total)", key[1], key[0]))
        for party_id, currency in ordered:
            amounts, positions, items = groups[(party_id, currency)]
            values: dict[str, Any] = {"party_id": party_id, "currency": currency}
            for column, bucket in zip(BUCKET_COLUMNS, BUCKETS, strict=True):
                values[column] = format_minor(amounts[bucket], currency)
            values["total"] = format_minor(sum(amounts.values()), currency)
            values["items"] = len(items)
            yield ReportRow(f"{party_id}/{currency}", values, sorted(set(positions)))


# --- tax ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxReport:
    name: str = "billing-tax"
    title: str = "Output and input tax by code; Indonesia's monthly PPN return lines"
    parameters: tuple[ParameterSpec, ...] = (PERIOD,)
    scope: ReportScope = BILLING_SCOPE
    columns: tuple[str, ...] = (
        "key", "section", "line", "tax_code", "currency", "net", "taxable_base", "tax",
        "documents",
    )  # fmt: skip

    def validate(self, parameters: dict[str, str]) -> None:
        if "period" not in parameters:
            raise InvalidInput("period: required (YYYY-MM)", field="period")

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        first, last = period_bounds(parameters["period"])
        state = fold_billing(source, as_of_position)
        context = {"period": parameters["period"], "date_from": first, "date_to": last}
        return ReportRun(context, self._rows(state, first, last))

    def _rows(self, state: BillingFold, first: str, last: str) -> Iterator[ReportRow]:
        # (section, tax code, currency) -> [net, base, tax, documents, positions]
        totals: dict[tuple[str, str, str], list[Any]] = {}

        def add(section: str, currency: str, rows: list[dict[str, Any]], position: int) -> None:
            for row in rows:
                key = (section, row["tax_code"], currency)
                entry = totals.setdefault(key, [0, 0, 0, 0, []])
                entry[0] += int(row["net_minor"])
                entry[1] += int(row["taxable_base_minor"])
                entry[2] += int(row["tax_minor"])
                entry[3] += 1
                entry[4].append(position)

        bills: dict[str, tuple[str, str]] = {}  # bill id -> (bill date, currency)
        for event in state.events:
            fields = event.state
            if event.topic == BILL_RECEIVED:
                bills[event.originator_id] = (fields["bill_date"], fields["currency"])
            in_range = first <= fields.get("issue_date", "") <= last
            if event.topic == INVOICE_ISSUED and in_range:
                currency = state.documents[event.originator_id].currency
                add("output", currency, fields["tax_totals"], event.position)
            elif event.topic == CREDIT_NOTE_ISSUED and in_range:
                add("output", fields["currency"], fields["tax_totals"], event.position)
            elif event.topic == BILL_POSTED and event.originator_id in bills:
                bill_date, currency = bills[event.originator_id]
                if first <= bill_date <= last:
                    rows = state.tax_rows.get(event.originator_id, [])
                    add("input", currency, rows, event.position)
        for (section, code, currency), (net, base, tax, count, positions) in sorted(totals.items()):
            values = {
                "section": section,
                "line": "",
                "tax_code": code,
                "currency": currency,
                "net": format_minor(net, currency),
                "taxable_base": format_minor(base, currency),
                "tax": format_minor(tax, currency),
                "documents": count,
            }
            yield ReportRow(f"{section}/{code}/{currency}", values, sorted(positions))
        yield from self._ppn_lines(totals)

    @staticmethod
    def _ppn_lines(totals: dict[tuple[str, str, str], list[Any]]) -> Iterator[ReportRow]:
        def summed(section: str) -> tuple[int, int, int, list[int]]:
            net = base = tax = count = 0
            positions: list[int] = []
            for (side, code, currency), entry in totals.items():
                if side == section and currency == "IDR" and code.startswith(PPN_CODES_PREFIX):
                    net, base, tax = net + entry[0], base + entry[1], tax + entry[2]
                    count += entry[3]
                    positions += entry[4]
            return base, tax, count, positions

        out_base, out_tax, out_count, out_positions = summed("output")
        in_base, in_tax, in_count, in_positions = summed("input")
        lines = (
            ("I.A.2", "deliveries on which PPN is collected (DPP, PPN)", out_base, out_tax,
             out_count, out_positions),
            ("II.A", "PPN output (pajak keluaran)", 0, out_tax, out_count, out_positions),
            ("III.A", "PPN input creditable (pajak masukan)", in_base, in_tax, in_count,
             in_positions),
            ("III.C", "PPN payable (overpaid when negative): II.A less III.A", 0,
             out_tax - in_tax, out_count + in_count, out_positions + in_positions),
        )  # fmt: skip
        for line, description, base, tax, count, positions in lines:
            values = {
                "section": "spt-masa-ppn-1111",
                "line": f"{line} {description}",
                "tax_code": PPN_CODES_PREFIX,
                "currency": "IDR",
                "net": "",
                "taxable_base": format_minor(base, "IDR") if base else "",
                "tax": format_minor(tax, "IDR"),
                "documents": count,
            }
            yield ReportRow(f"spt-masa-ppn-1111/{line}", values, sorted(positions))


# --- statement ----------------------------------------------------------------------


def _recorded_date(event: LogEvent) -> str:
    return str(event.state.get("timestamp", ""))[:10]


@dataclass(frozen=True)
class StatementReport:
    name: str = "billing-statement"
    title: str = "Customer or supplier statement: opening, movements, closing per currency"
    parameters: tuple[ParameterSpec, ...] = (PARTY_ID, PERIOD, DATE_FROM, DATE_TO)
    scope: ReportScope = BILLING_SCOPE
    columns: tuple[str, ...] = (
        "key", "currency", "date", "kind", "document", "amount", "balance",
    )  # fmt: skip

    def validate(self, parameters: dict[str, str]) -> None:
        try:
            UUID(parameters["party_id"])
        except ValueError:
            raise InvalidInput("party_id: a UUID", field="party_id") from None
        check_period_or_range(parameters, required=True)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = date_range(parameters)
        party_id = str(UUID(parameters["party_id"]))
        state = fold_billing(source, as_of_position)
        context = {**dates.as_dict(), "party_id": party_id}
        rows = self._rows(state, party_id, str(dates.date_from), str(dates.date_to))
        return ReportRun(context, rows)

    @staticmethod
    def _movements(state: BillingFold, party_id: str) -> list[tuple[str, str, str, str, int, int]]:
        """(currency, date, kind, document, amount owed to or by us, position), in log order."""
        found: list[Any] = []
        for event in state.events:
            document = state.documents.get(event.originator_id)
            name = event.topic.rpartition(".")[2]
            fields = event.state
            if event.topic == CREDIT_NOTE_ISSUED and fields["party_id"] == party_id:
                amount = -int(fields["gross_total_minor"])
                found.append((fields["currency"], fields["issue_date"], "credit note",
                              fields["number"], amount, event.position))  # fmt: skip
                continue
            if document is None or document.party_id != party_id:
                continue
            amount = int(fields.get("amount_minor", 0))
            if name == "InvoiceIssued":
                found.append((document.currency, fields["issue_date"], "invoice",
                              fields["number"], int(fields["gross_total_minor"]), event.position))  # fmt: skip
            elif name == "BillPosted":
                found.append((document.currency, document.issue_date, "bill", document.number,
                              document.gross_minor, event.position))  # fmt: skip
            elif name == "PaymentAllocated":
                found.append((document.currency, _recorded_date(event), "allocation",
                              document.number, -amount, event.position))  # fmt: skip
            elif name == "PaymentAllocationUndone":
                found.append((document.currency, _recorded_date(event), "allocation undone",
                              document.number, amount, event.position))  # fmt: skip
            elif name == "InvoiceWrittenOff":
                found.append((document.currency, fields["effective_date"], "write-off",
                              document.number, -amount, event.position))  # fmt: skip
        return found

    def _rows(
        self, state: BillingFold, party_id: str, first: str, last: str
    ) -> Iterator[ReportRow]:
        movements = sorted(self._movements(state, party_id), key=lambda m: (m[0], m[1], m[5]))
        for currency in sorted({movement[0] for movement in movements}):
            own = [m for m in movements if m[0] == currency]
            before = [m for m in own if m[1] < first]
            during = [m for m in own if first <= m[1] <= last]
            balance = sum(m[4] for m in before)
            yield ReportRow(
                f"{currency}/opening",
                {"currency": currency, "date": first, "kind": "opening balance",
                 "document": "", "amount": "", "balance": format_minor(balance, currency)},
                sorted(m[5] for m in before),
            )  # fmt: skip
            for index, (_c, on, kind, document, amount, position) in enumerate(during):
                balance += amount
                yield ReportRow(
                    f"{currency}/{index + 1:06d}",
                    {"currency": currency, "date": on, "kind": kind, "document": document,
                     "amount": format_minor(amount, currency), "balance": format_minor(balance, currency)},
                    [position],
                )  # fmt: skip
            yield ReportRow(
                f"{currency}/closing",
                {"currency": currency, "date": last, "kind": "closing balance",
                 "document": "", "amount": "", "balance": format_minor(balance, currency)},
                sorted(m[5] for m in before + during),
            )  # fmt: skip


# --- dunning ------------------------------------------------------------------------


@dataclass(frozen=True)
class DunningReport:
    name: str = "billing-dunning"
    title: str = "Dunning list: overdue invoices by reminder level"
    parameters: tuple[ParameterSpec, ...] = (AS_OF_DATE,)
    scope: ReportScope = BILLING_SCOPE
    columns: tuple[str, ...] = (
        "key", "level", "party_id", "number", "currency", "due_date", "days_past_due", "open",
    )  # fmt: skip

    def validate(self, parameters: dict[str, str]) -> None:
        return None

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        as_of = as_of_parameter(parameters)
        state = fold_billing(source, as_of_position)
        policy = [[step.level, step.days_overdue_min] for step in DEFAULT_DUNNING_POLICY.steps]
        context = {"as_of_date": as_of.isoformat(), "dunning_policy": policy}
        return ReportRun(context, self._rows(state, as_of))

    @staticmethod
    def _rows(state: BillingFold, as_of: date) -> Iterator[ReportRow]:
        overdue = []
        for document in fold.open_items(state.documents):
            if document.side != fold.RECEIVABLE:
                continue
            days = (as_of - date.fromisoformat(document.due_date)).days
            level = dunning_level(days)
            if level:
                overdue.append((level, days, document))
        overdue.sort(key=lambda item: (-item[0], -item[1], item[2].number))
        for level, days, document in overdue:
            values = {
                "level": level,
                "party_id": document.party_id,
                "number": document.number,
                "currency": document.currency,
                "due_date": document.due_date,
                "days_past_due": days,
                "open": format_minor(document.open_minor, document.currency),
            }
            yield ReportRow(document.number, values, state.positions[document.document_id])


REPORTS = (
    AgingReport("billing-ar-aging", "Accounts receivable aging by days past due", fold.RECEIVABLE),
    AgingReport("billing-ap-aging", "Accounts payable aging by days past due", fold.PAYABLE),
    TaxReport(),
    StatementReport(),
    DunningReport(),
)
