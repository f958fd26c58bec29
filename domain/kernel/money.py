"""Money and assets: integer minor units, never floats.

An asset is a code plus a scale (number of decimal places). ISO 4217
currencies are built in with their exponent; other assets (securities,
stock units, hours) are registered with their own scale. Amounts cross the
edges of the system as decimal strings and are parsed here, strictly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from domain.kernel.errors import InvalidAmount, InvalidInput, UnknownAsset

AMOUNT_DIGITS_MAX = 18
"""Significant digits an amount may carry: fits a signed 64-bit integer."""

AMOUNT_MINOR_MAX = 10**AMOUNT_DIGITS_MAX - 1
ASSET_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9._-]{0,11}\Z")
ASSET_SCALE_MAX = 12

# ISO 4217 active codes with their minor-unit exponent (2024 list, funds and
# precious metals without minor units left out on purpose).
_ISO_4217: dict[str, int] = {
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2,
    "AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0,
    "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2,
    "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLF": 4, "CLP": 0, "CNY": 2, "COP": 2,
    "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2,
    "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2,
    "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2,
    "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0,
    "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2,
    "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2,
    "LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2,
    "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2,
    "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2,
    "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2,
    "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2,
    "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SYP": 2,
    "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2,
    "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "UYI": 0, "UYU": 2, "UYW": 4,
    "UZS": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XOF": 0,
    "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}  # fmt: skip

ISO_CURRENCY_SCALES: MappingProxyType[str, int] = MappingProxyType(_ISO_4217)

# The canonical grammar (see parse_amount): an optional sign, an integer part
# without leading zeros, an optional fraction. No exponent, spaces or separators.
_DECIMAL = re.compile(r"^(?P<sign>[-+]?)(?P<int>0|[1-9][0-9]*)(?:\.(?P<frac>[0-9]+))?\Z")
_LEADING_ZEROS = re.compile(r"^[-+]?0[0-9]")
_NO_INTEGER_PART = re.compile(r"^[-+]?\.")


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset: ``code`` (``USD``, ``VBMPX``) and ``scale`` (decimal places)."""

    code: str
    scale: int


@dataclass(frozen=True, slots=True)
class Money:
    """``amount_minor`` integer units of ``asset`` (cents for USD, yen for JPY)."""

    amount_minor: int
    asset: str

    def __post_init__(self) -> None:
        assert isinstance(self.amount_minor, int) and not isinstance(self.amount_minor, bool)


def check_asset_code(code: object, *, field: str = "asset") -> str:
    if not isinstance(code, str) or not ASSET_CODE_PATTERN.match(code):
        raise InvalidInput(
            f"{field}: asset codes are 1-12 characters, upper-case letters, digits, '.', '_'"
            f" or '-', starting with a letter; got {code!r}",
            field=field,
        )
    return code


class AssetCatalog:
    """Scales of every asset the ledger knows: ISO currencies plus registered ones."""

    def __init__(
        self,
        registered: dict[str, int] | None = None,
        lookup: Callable[[str], int | None] | None = None,
    ) -> None:
        self._registered: dict[str, int] = dict(registered or {})
        self._lookup = lookup

    def register(self, code: str, scale: int) -> Asset:
        self._registered[code] = scale
        return Asset(code, scale)

    def is_known(self, code: str) -> bool:
        try:
            self.scale_of(code)
        except UnknownAsset:
            return False
        return True

    def scale_of(self, code: str, *, field: str = "asset") -> int:
        scale = ISO_CURRENCY_SCALES.get(code)
        if scale is None:
            scale = self._registered.get(code)
        if scale is None and self._lookup is not None:
            scale = self._lookup(code)
            if scale is not None:
                self._registered[code] = scale
        if scale is None:
            raise UnknownAsset(
                f"{field}: unknown asset {code!r}; register it first (ISO 4217 currencies"
                " are built in)",
                field=field,
            )
        return scale

    def asset(self, code: str, *, field: str = "asset") -> Asset:
        return Asset(code, self.scale_of(code, field=field))


def parse_amount(
    text: object, scale: int, *, field: str = "amount", allow_negative: bool = False,
    allow_zero: bool = False,
) -> int:
    """Parse a decimal string into minor units of an asset with ``scale`` decimals.

    The one grammar of an amount, everywhere (API bodies, CLI, statements)::

        amount   = ["-"] integer ["." digits]
        integer  = "0" | nonzero digit*
        digits   = digit+            (at most ``scale`` of them)

    So ``"12"``, ``"12.5"``, ``"12.50"``, ``"0.05"`` are amounts; refused are a
    missing integer part (``".5"``: write ``"0.5"``), leading zeros beyond a
    single ``"0"`` (``"0012.00"``, ``"00.5"``), a trailing point (``"12."``), a
    ``"+"`` sign, and ``"-"`` unless ``allow_negative``. Also refused:
    non-strings (a JSON number has already lost precision or type), NaN,
    infinities, exponents, spaces and separators, more decimals than the
    scale, more than 18 significant digits, and zero unless ``allow_zero``;
    the error names ``field``. Trailing zeros in the fraction are accepted up
    to the scale (``"12.50"`` with scale 2).
    """
    if not isinstance(text, str):
        raise InvalidAmount(
            f"{field}: amounts are decimal strings such as \"12.50\", got {type(text).__name__}",
            field=field,
        )
    match = _DECIMAL.match(text)
    if match is None and _LEADING_ZEROS.match(text):
        raise InvalidAmount(
            f"{field}: {text[:40]!r} has leading zeros: write the integer part without them"
            " (\"12.00\", \"0.50\")",
            field=field,
        )
    if match is None and _NO_INTEGER_PART.match(text):
        raise InvalidAmount(
            f"{field}: {text[:40]!r} has no integer part: write \"0\" before the point"
            " (\"0.5\")",
            field=field,
        )
    if match is None:
        raise InvalidAmount(
            f"{field}: {text[:40]!r} is not a plain decimal number (digits, an optional"
            " '.' and fraction; no exponent, NaN, infinity, spaces or separators)",
            field=field,
        )
    sign, integer, fraction = match.group("sign"), match.group("int"), match.group("frac") or ""
    if sign == "+" or (sign == "-" and not allow_negative):
        raise InvalidAmount(f"{field}: a sign is not allowed here, got {text!r}", field=field)
    if len(fraction) > scale:
        raise InvalidAmount(
            f"{field}: {text!r} has {len(fraction)} decimals, the asset allows {scale}",
            field=field,
        )
    digits = (integer + fraction.ljust(scale, "0")).lstrip("0")
    if len(digits) > AMOUNT_DIGITS_MAX:
        raise InvalidAmount(
            f"{field}: {text!r} has more than {AMOUNT_DIGITS_MAX} significant digits",
            field=field,
        )
    minor = int(digits or "0")
    if sign == "-":
        minor = -minor
    if minor == 0 and not allow_zero:
        raise InvalidAmount(f"{field}: the amount must be greater than zero", field=field)
    return minor


def format_amount(amount_minor: int, scale: int) -> str:
    """Render minor units as a decimal string with exactly ``scale`` decimals."""
    assert isinstance(amount_minor, int) and not isinstance(amount_minor, bool)
    sign = "-" if amount_minor < 0 else ""
    digits = str(abs(amount_minor)).rjust(scale + 1, "0")
    if scale == 0:
        return sign + digits
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"
