"""Invoice and credit-note arithmetic: line nets, tax per code, totals.

Rules, stated once:

- A line's net is quantity x unit price rounded ROUND_HALF_UP to the
  currency's minor unit (half a cent goes up, as an invoice reader expects).
  Both factors are decimal strings of at most 6 decimals, multiplied as
  integers, so the product is exact before that single rounding.
- Tax follows each code's version on the tax date: ``per_line`` rounds base
  and tax on every line and sums them; ``per_invoice`` sums the line nets per
  code and rounds base and tax once, so no per-line rounding accumulates.
  The rounding step and direction are the version's (whole rupiah, half up,
  for PPN since 2025).
- A credit note is the same computation with every amount negated: it takes
  positive quantities (what is credited), and mirrors an invoice exactly.

Quantities must be positive; unit prices zero or positive (discounts as
negative lines are not supported yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from domain.billing.errors import (
    EmptyInvoice,
    InvalidInvoiceLine,
    InvoiceAmountTooLarge,
    TaxCodeCurrencyMismatch,
    TooManyInvoiceLines,
    UnknownCurrency,
)
from domain.billing.tax_codes import (
    RoundingMode,
    TaxCode,
    TaxCodeVersion,
    resolve_catalog,
    tax_code_at,
)
from domain.kernel.errors import InvalidInput
from domain.kernel.money import ISO_CURRENCY_SCALES, parse_amount

LINES_PER_INVOICE_MAX = 200
QUANTITY_DECIMALS_MAX = 6
UNIT_PRICE_DECIMALS_MAX = 6
DESCRIPTION_LENGTH_MAX = 500
ACCOUNT_LENGTH_MAX = 64
AMOUNT_MINOR_MAX = 10**18 - 1  # the kernel's bound: 18 digits fit a signed 64-bit integer

_FACTOR_SCALE = QUANTITY_DECIMALS_MAX + UNIT_PRICE_DECIMALS_MAX  # decimals of quantity x price


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """A line as entered: ``quantity`` and ``unit_price`` are decimal strings."""

    description: str
    quantity: str
    unit_price: str
    tax_code: str
    income_account: str


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """A computed line. ``quantity_micro`` / ``unit_price_micro`` are millionths.
    ``taxable_base_minor`` and ``tax_minor`` are set for ``per_line`` codes only:
    under ``per_invoice`` a line has no tax of its own."""

    index: int
    description: str
    quantity_micro: int
    unit_price_micro: int
    tax_code: str
    income_account: str
    net_minor: int
    taxable_base_minor: int | None
    tax_minor: int | None


@dataclass(frozen=True, slots=True)
class TaxCodeTotal:
    """Per tax code: the sum of the line nets, the taxable base and the tax.
    Exempt codes have base 0 and ``reportable`` False (kept off the return's
    taxable base); zero-rated codes have base = net and tax 0."""

    tax_code: str
    version: TaxCodeVersion
    net_minor: int
    taxable_base_minor: int
    tax_minor: int
    reportable: bool


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    """The whole computation; for a credit note every amount is negative."""

    kind: DocumentKind
    currency: str
    tax_date: date
    lines: tuple[LineAmounts, ...]
    tax_totals: tuple[TaxCodeTotal, ...]
    net_total_minor: int
    tax_total_minor: int
    gross_total_minor: int


def compute_invoice(
    lines: Sequence[InvoiceLine],
    *,
    currency: str,
    tax_date: date,
    kind: DocumentKind = DocumentKind.INVOICE,
    catalog: Mapping[str, TaxCode] | None = None,
) -> InvoiceTotals:
    """Nets, tax per code and totals of an invoice (or, with ``kind``, a credit note).

    Every refusal names its field (``lines[3].unit_price``) and nothing is
    partially computed: the caller either gets all totals or an error.
    """
    scale = _currency_scale(currency)
    if not isinstance(lines, Sequence) or len(lines) == 0:
        raise EmptyInvoice("lines: an invoice needs at least one line", field="lines")
    if len(lines) > LINES_PER_INVOICE_MAX:
        raise TooManyInvoiceLines(
            f"lines: at most {LINES_PER_INVOICE_MAX} lines, got {len(lines)}", field="lines"
        )
    parsed = [_parse_line(index, line, scale) for index, line in enumerate(lines)]
    versions = {
        line.tax_code: _version_for(line, index, currency, tax_date, catalog)
        for index, line in enumerate(parsed)
    }
    computed = tuple(_with_line_tax(line, versions[line.tax_code], scale) for line in parsed)
    tax_totals = tuple(
        _code_total(code, versions[code], computed, scale) for code in sorted(versions)
    )
    net_total = sum(line.net_minor for line in computed)
    tax_total = sum(total.tax_minor for total in tax_totals)
    if net_total + tax_total > AMOUNT_MINOR_MAX:
        raise InvoiceAmountTooLarge(
            "lines: the invoice total exceeds 18 digits of minor units", field="lines"
        )
    totals = InvoiceTotals(
        kind=kind,
        currency=currency,
        tax_date=tax_date,
        lines=computed,
        tax_totals=tax_totals,
        net_total_minor=net_total,
        tax_total_minor=tax_total,
        gross_total_minor=net_total + tax_total,
    )
    return _negated(totals) if kind is DocumentKind.CREDIT_NOTE else totals


def compute_credit_note(
    lines: Sequence[InvoiceLine],
    *,
    currency: str,
    tax_date: date,
    catalog: Mapping[str, TaxCode] | None = None,
) -> InvoiceTotals:
    """A credit note: the invoice computation with the sign flipped."""
    return compute_invoice(
        lines,
        currency=currency,
        tax_date=tax_date,
        kind=DocumentKind.CREDIT_NOTE,
        catalog=catalog,
    )


def line_net_minor(quantity_micro: int, unit_price_micro: int, scale: int) -> int:
    """quantity x unit price in minor units, ROUND_HALF_UP, from exact integers."""
    assert quantity_micro >= 0 and unit_price_micro >= 0 and 0 <= scale <= _FACTOR_SCALE
    product = quantity_micro * unit_price_micro  # units of 10**-12 of the major unit
    step = int(10 ** (_FACTOR_SCALE - scale))
    units, remainder = divmod(product, step)
    return units + (1 if 2 * remainder >= step else 0)


def _currency_scale(currency: object) -> int:
    if not isinstance(currency, str) or currency not in ISO_CURRENCY_SCALES:
        raise UnknownCurrency(
            f"currency: {str(currency)[:12]!r} is not an ISO 4217 currency", field="currency"
        )
    return ISO_CURRENCY_SCALES[currency]


def _parse_line(index: int, line: object, scale: int) -> LineAmounts:
    """Validate one line and compute its net; tax comes later, per code."""
    prefix = f"lines[{index}]"
    if not isinstance(line, InvoiceLine):
        raise InvalidInvoiceLine(f"{prefix}: expected an invoice line", field=prefix)
    description = _text(line.description, f"{prefix}.description", DESCRIPTION_LENGTH_MAX)
    income_account = _text(line.income_account, f"{prefix}.income_account", ACCOUNT_LENGTH_MAX)
    tax_code = _text(line.tax_code, f"{prefix}.tax_code", 32)
    quantity = _decimal(line.quantity, f"{prefix}.quantity", QUANTITY_DECIMALS_MAX, zero=False)
    unit_price = _decimal(
        line.unit_price, f"{prefix}.unit_price", UNIT_PRICE_DECIMALS_MAX, zero=True
    )
    net = line_net_minor(quantity, unit_price, scale)
    if net > AMOUNT_MINOR_MAX:
        raise InvoiceAmountTooLarge(
            f"{prefix}.quantity: quantity x unit price exceeds 18 digits of minor units",
            field=f"{prefix}.quantity",
        )
    return LineAmounts(
        index=index,
        description=description,
        quantity_micro=quantity,
        unit_price_micro=unit_price,
        tax_code=tax_code,
        income_account=income_account,
        net_minor=net,
        taxable_base_minor=None,
        tax_minor=None,
    )


def _text(value: object, field: str, length_max: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInvoiceLine(f"{field}: must be a non-empty string", field=field)
    if len(value) > length_max:
        raise InvalidInvoiceLine(
            f"{field}: at most {length_max} characters, got {len(value)}", field=field
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise InvalidInvoiceLine(f"{field}: control characters are not allowed", field=field)
    return value


def _decimal(text: object, field: str, decimals: int, *, zero: bool) -> int:
    """A non-negative decimal string as an integer of 10**-decimals units."""
    if isinstance(text, str) and "." in text and len(text.split(".", 1)[1]) > decimals:
        raise InvalidInvoiceLine(
            f"{field}: at most {decimals} decimals, got {len(text.split('.', 1)[1])}",
            field=field,
        )
    try:
        value = parse_amount(text, decimals, field=field, allow_negative=True, allow_zero=True)
    except InvalidInput as refusal:
        raise InvalidInvoiceLine(refusal.message, field=field) from refusal
    if value < 0 or (value == 0 and not zero):
        needed = "zero or positive" if zero else "greater than zero"
        raise InvalidInvoiceLine(f"{field}: must be {needed}, got {text!r}", field=field)
    return value


def _version_for(
    line: LineAmounts,
    index: int,
    currency: str,
    tax_date: date,
    catalog: Mapping[str, TaxCode] | None,
) -> TaxCodeVersion:
    field = f"lines[{index}].tax_code"
    version = tax_code_at(line.tax_code, tax_date, catalog=catalog, field=field)
    bound = resolve_catalog(catalog)[line.tax_code].currency
    if bound is not None and bound != currency:
        raise TaxCodeCurrencyMismatch(
            f"{field}: tax code {line.tax_code!r} applies to {bound} invoices only,"
            f" this invoice is in {currency}",
            field=field,
        )
    return version


def _with_line_tax(line: LineAmounts, version: TaxCodeVersion, scale: int) -> LineAmounts:
    if version.rounding_mode is not RoundingMode.PER_LINE:
        return line
    base = version.taxable_base_minor(line.net_minor, scale)
    return replace(line, taxable_base_minor=base, tax_minor=version.tax_minor(base, scale))


def _code_total(
    code: str, version: TaxCodeVersion, lines: Sequence[LineAmounts], scale: int
) -> TaxCodeTotal:
    """Totals of one code: summed per line, or computed once on the summed nets."""
    own = [line for line in lines if line.tax_code == code]
    net = sum(line.net_minor for line in own)
    if version.rounding_mode is RoundingMode.PER_LINE:
        base = sum(line.taxable_base_minor or 0 for line in own)
        tax = sum(line.tax_minor or 0 for line in own)
    else:
        base = version.taxable_base_minor(net, scale)
        tax = version.tax_minor(base, scale)
    return TaxCodeTotal(
        tax_code=code,
        version=version,
        net_minor=net,
        taxable_base_minor=base,
        tax_minor=tax,
        reportable=version.is_reportable,
    )


def _negated(totals: InvoiceTotals) -> InvoiceTotals:
    """Flip every amount's sign: the credit note mirrors the invoice exactly."""

    def flip(amount: int | None) -> int | None:
        return None if amount is None else -amount

    lines = tuple(
        replace(
            line,
            net_minor=-line.net_minor,
            taxable_base_minor=flip(line.taxable_base_minor),
            tax_minor=flip(line.tax_minor),
        )
        for line in totals.lines
    )
    tax_totals = tuple(
        replace(
            total,
            net_minor=-total.net_minor,
            taxable_base_minor=-total.taxable_base_minor,
            tax_minor=-total.tax_minor,
        )
        for total in totals.tax_totals
    )
    return replace(
        totals,
        lines=lines,
        tax_totals=tax_totals,
        net_total_minor=-totals.net_total_minor,
        tax_total_minor=-totals.tax_total_minor,
        gross_total_minor=-totals.gross_total_minor,
    )
