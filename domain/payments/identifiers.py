"""Payee bank account identifiers: IBAN (ISO 13616) and account number + bank code.

Pure checks; every refusal names the field (``payee_account.iban``) and the
rule broken, and never echoes the value (it is personal data, and refusals
end up in logs).

- **IBAN**: two letters (a country in ``IBAN_LENGTHS``), two check digits,
  then the country's BBAN, of the country's total length; letters are
  upper-cased and spaces dropped; valid when the number formed by moving the
  first four characters to the end (letters as 10..35) is 1 modulo 97.
- **Account number + bank code** (``country``, ``bank_code``,
  ``account_number``): for the US the bank code is an ABA routing number
  (nine digits, weights 3-7-1 summing to a multiple of 10) and the account
  number 1-17 digits; for other countries both are checked for form only
  (letters and digits, bounded). A country that uses IBANs is told to send one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from domain.payments.errors import InvalidAccountIdentifier

# Total IBAN length per country (SWIFT IBAN registry): every SEPA country and
# the common others.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
SCHEMES = ("iban", "bank_code")
BANK_CODE_LENGTH_MAX = 15
ACCOUNT_NUMBER_LENGTH_MAX = 34
US_ACCOUNT_NUMBER_LENGTH_MAX = 17
_IBAN_CHARS = re.compile(r"^[A-Z0-9]+\Z")
_COUNTRY = re.compile(r"^[A-Z]{2}\Z")
_ALNUM = re.compile(r"^[A-Z0-9]+\Z")
_DIGITS = re.compile(r"^[0-9]+\Z")
_SEPARATORS = re.compile(r"[ \-]")
_ABA_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


@dataclass(frozen=True, slots=True)
class AccountIdentifier:
    """A checked identifier: ``scheme`` iban|bank_code, ``country``, and the
    normalised ``iban`` or ``bank_code`` + ``account_number``."""

    scheme: str
    country: str
    iban: str = ""
    bank_code: str = ""
    account_number: str = ""

    def canonical(self) -> dict[str, str]:
        """The identifier as sealed in the log (inside an envelope) and fingerprinted."""
        if self.scheme == "iban":
            return {"iban": self.iban}
        return {
            "country": self.country,
            "bank_code": self.bank_code,
            "account_number": self.account_number,
        }

    def masked(self) -> str:
        """For display to those allowed to read it: all but the last four characters hidden."""
        text = self.iban if self.scheme == "iban" else self.account_number
        return "*" * max(len(text) - 4, 0) + text[-4:]


def _text(value: object, field: str, length_max: int) -> str:
    if not isinstance(value, str):
        raise InvalidAccountIdentifier(f"{field}: expected a string", field=field)
    text = _SEPARATORS.sub("", value).upper()
    if not text:
        raise InvalidAccountIdentifier(f"{field}: must not be empty", field=field)
    if len(text) > length_max:
        raise InvalidAccountIdentifier(
            f"{field}: at most {length_max} characters (spaces and '-' not counted)", field=field
        )
    return text


def iban_checksum_valid(iban: str) -> bool:
    """ISO 13616 / ISO 7064 mod 97-10 over an upper-case alphanumeric IBAN."""
    rearranged = iban[4:] + iban[:4]
    remainder = 0
    for char in rearranged:
        value = int(char, 36)  # '0'-'9' -> 0-9, 'A'-'Z' -> 10-35
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def check_iban(value: object, field: str = "iban") -> str:
    """The IBAN, normalised (upper case, no spaces); refused naming ``field`` and the rule."""
    iban = _text(value, field, 34)
    if not _IBAN_CHARS.match(iban):
        raise InvalidAccountIdentifier(f"{field}: an IBAN has only letters and digits", field=field)
    country = iban[:2]
    if not _COUNTRY.match(country):
        raise InvalidAccountIdentifier(
            f"{field}: an IBAN starts with a two-letter country code", field=field
        )
    length = IBAN_LENGTHS.get(country)
    if length is None:
        raise InvalidAccountIdentifier(
            f"{field}: country {country} does not use IBANs (or is not in the table);"
            " send country, bank_code and account_number instead",
            field=field,
        )
    if len(iban) != length:
        raise InvalidAccountIdentifier(
            f"{field}: a {country} IBAN has {length} characters, this one {len(iban)}",
            field=field,
        )
    if not _DIGITS.match(iban[2:4]):
        raise InvalidAccountIdentifier(
            f"{field}: characters 3 and 4 of an IBAN are check digits", field=field
        )
    if not iban_checksum_valid(iban):
        raise InvalidAccountIdentifier(
            f"{field}: the IBAN's check digits do not match (mod 97): a typo?", field=field
        )
    return iban


def aba_checksum_valid(routing: str) -> bool:
    """ABA routing number: 3-7-1 weighted digit sum is a multiple of 10."""
    return (
        len(routing) == 9
        and routing.isdigit()
        and sum(int(d) * w for d, w in zip(routing, _ABA_WEIGHTS, strict=True)) % 10 == 0
    )


def check_aba_routing(value: object, field: str = "bank_code") -> str:
    routing = _text(value, field, BANK_CODE_LENGTH_MAX)
    if len(routing) != 9 or not _DIGITS.match(routing):
        raise InvalidAccountIdentifier(
            f"{field}: a US ABA routing number has exactly 9 digits", field=field
        )
    if not aba_checksum_valid(routing):
        raise InvalidAccountIdentifier(
            f"{field}: the ABA routing number's check digit does not match: a typo?",
            field=field,
        )
    return routing


def check_account_identifier(raw: object, field: str = "payee_account") -> AccountIdentifier:
    """``{"iban": ...}`` or ``{"country", "bank_code", "account_number"}``."""
    if not isinstance(raw, dict):
        raise InvalidAccountIdentifier(
            f"{field}: expected an object with iban, or country, bank_code and account_number",
            field=field,
        )
    given = set(raw)
    if given == {"iban"}:
        iban = check_iban(raw["iban"], f"{field}.iban")
        return AccountIdentifier("iban", iban[:2], iban=iban)
    if given != {"country", "bank_code", "account_number"}:
        raise InvalidAccountIdentifier(
            f"{field}: give either iban alone, or country, bank_code and account_number"
            f" (got {sorted(str(name)[:32] for name in given)})",
            field=field,
        )
    country_field = f"{field}.country"
    country = raw["country"]
    if not isinstance(country, str) or not _COUNTRY.match(country):
        raise InvalidAccountIdentifier(
            f"{country_field}: an ISO 3166 two-letter country code in upper case",
            field=country_field,
        )
    if country in IBAN_LENGTHS:
        raise InvalidAccountIdentifier(
            f"{country_field}: accounts in {country} are identified by IBAN; send iban",
            field=country_field,
        )
    bank_field, number_field = f"{field}.bank_code", f"{field}.account_number"
    if country == "US":
        bank_code = check_aba_routing(raw["bank_code"], bank_field)
        number = _text(raw["account_number"], number_field, US_ACCOUNT_NUMBER_LENGTH_MAX)
        if not _DIGITS.match(number):
            raise InvalidAccountIdentifier(
                f"{number_field}: a US account number has only digits", field=number_field
            )
    else:
        bank_code = _text(raw["bank_code"], bank_field, BANK_CODE_LENGTH_MAX)
        if not _ALNUM.match(bank_code):
            raise InvalidAccountIdentifier(
                f"{bank_field}: letters and digits only", field=bank_field
            )
        number = _text(raw["account_number"], number_field, ACCOUNT_NUMBER_LENGTH_MAX)
        if not _ALNUM.match(number):
            raise InvalidAccountIdentifier(
                f"{number_field}: letters and digits only", field=number_field
            )
    return AccountIdentifier("bank_code", country, bank_code=bank_code, account_number=number)


def identifier_from_canonical(canonical: dict[str, Any]) -> AccountIdentifier:
    """An identifier from its sealed canonical form (already checked when sealed)."""
    if "iban" in canonical:
        iban = str(canonical["iban"])
        return AccountIdentifier("iban", iban[:2], iban=iban)
    return AccountIdentifier(
        "bank_code",
        str(canonical["country"]),
        bank_code=str(canonical["bank_code"]),
        account_number=str(canonical["account_number"]),
    )
