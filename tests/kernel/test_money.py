"""Money: integer minor units, parsed strictly from decimal strings, never floats."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.container import build_system
from domain.application import BackOffice
from domain.kernel.errors import InvalidAmount, InvalidInput, UnknownAsset
from domain.kernel.money import (
    AMOUNT_MINOR_MAX,
    ISO_CURRENCY_SCALES,
    AssetCatalog,
    format_amount,
    parse_amount,
)
from domain.ledger.errors import AssetAlreadyRegistered
from tests.ledger.support import CLERK, entry, head, line

# --- pure: parsing and formatting -------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    amount_minor=st.integers(min_value=-AMOUNT_MINOR_MAX, max_value=AMOUNT_MINOR_MAX),
    scale=st.integers(min_value=0, max_value=12),
)
def test_formatting_then_parsing_gives_back_every_amount_of_up_to_18_digits(
    amount_minor: int, scale: int
) -> None:
    text = format_amount(amount_minor, scale)
    assert parse_amount(text, scale, allow_negative=True, allow_zero=True) == amount_minor


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    amount_minor=st.integers(min_value=1, max_value=AMOUNT_MINOR_MAX),
    scale=st.integers(min_value=0, max_value=12),
)
def test_a_formatted_amount_has_exactly_the_scale_in_decimals(amount_minor: int, scale: int) -> None:
    text = format_amount(amount_minor, scale)
    decimals = text.partition(".")[2]
    assert len(decimals) == scale
    assert "e" not in text.lower()


@pytest.mark.parametrize(
    ("text", "scale", "amount_minor"),
    [
        ("12.50", 2, 1250),
        ("12.5", 2, 1250),
        ("12", 2, 1200),
        ("1500", 0, 1500),
        ("1.001", 3, 1001),
        ("0.5", 2, 50),
        ("10.00", 2, 1000),
        ("0.01", 2, 1),
        ("9999999999999999.99", 2, AMOUNT_MINOR_MAX),
    ],
)
def test_a_plain_decimal_string_is_parsed_into_minor_units(
    text: str, scale: int, amount_minor: int
) -> None:
    assert parse_amount(text, scale) == amount_minor


REFUSED_TEXTS = {
    "more decimals than USD allows": ("1.001", 2),
    "a fraction of a yen": ("1.5", 0),
    "more decimals than BHD allows": ("1.0001", 3),
    "NaN": ("NaN", 2),
    "Infinity": ("Infinity", 2),
    "negative infinity": ("-Infinity", 2),
    "a lower-case exponent": ("1e5", 2),
    "an upper-case exponent": ("1E5", 2),
    "a leading space": (" 1", 2),
    "a trailing space": ("1 ", 2),
    "a trailing newline": ("1.00\n", 2),
    "a thousands separator": ("1,000.00", 2),
    "a plus sign": ("+1", 2),
    "a minus sign": ("-1", 2),
    "an empty string": ("", 2),
    "a bare point": (".", 2),
    "a trailing point": ("1.", 2),
    "a leading point": (".5", 2),
    "leading zeros": ("0012.00", 2),
    "a leading zero before a digit": ("00.5", 2),
    "a zero-padded integer": ("007", 0),
    "zero": ("0", 2),
    "zero with decimals": ("0.00", 2),
    "19 significant digits": ("1234567890123456789", 0),
    "19 significant digits with decimals": ("12345678901234567.89", 2),
    "arabic-indic digits": ("\u0661\u0662", 0),
}


@pytest.mark.parametrize(("text", "scale"), REFUSED_TEXTS.values(), ids=REFUSED_TEXTS.keys())
def test_a_malformed_amount_is_refused_with_an_error_naming_the_field(text: str, scale: int) -> None:
    with pytest.raises(InvalidAmount) as refusal:
        parse_amount(text, scale, field="postings[0].amount")
    assert refusal.value.code == "invalid_amount"
    assert refusal.value.field == "postings[0].amount"
    assert "postings[0].amount" in refusal.value.message


@pytest.mark.parametrize("number", [5, 5.0, 1250, 12.5, True, None], ids=repr)
def test_a_json_number_instead_of_a_string_is_refused(number: object) -> None:
    with pytest.raises(InvalidAmount) as refusal:
        parse_amount(number, 2, field="amount")
    assert refusal.value.field == "amount"


def test_a_negative_amount_is_accepted_where_signs_are_allowed() -> None:
    assert parse_amount("-1.25", 2, allow_negative=True) == -125


def test_a_plus_sign_is_refused_even_where_negative_amounts_are_allowed() -> None:
    with pytest.raises(InvalidAmount):
        parse_amount("+1.25", 2, allow_negative=True)


def test_zero_is_accepted_where_zero_is_allowed() -> None:
    assert parse_amount("0.00", 2, allow_zero=True) == 0


def test_eighteen_significant_digits_are_accepted() -> None:
    assert parse_amount("123456789012345678", 0) == 123456789012345678
    assert parse_amount("0.123456789012345678", 18) == 123456789012345678


@pytest.mark.parametrize("text", ["0012.00", "-0012.00", "00.5", "01"])
def test_leading_zeros_are_refused_saying_so(text: str) -> None:
    with pytest.raises(InvalidAmount) as refusal:
        parse_amount(text, 2, allow_negative=True)
    assert "leading zeros" in refusal.value.message


@pytest.mark.parametrize("text", [".5", "-.5", ".50"])
def test_a_missing_integer_part_is_refused_saying_so(text: str) -> None:
    with pytest.raises(InvalidAmount) as refusal:
        parse_amount(text, 2, allow_negative=True)
    assert "no integer part" in refusal.value.message


def test_a_single_zero_integer_part_is_the_one_leading_zero_accepted() -> None:
    assert parse_amount("0.05", 2) == 5
    assert parse_amount("-0.5", 2, allow_negative=True) == -50


@pytest.mark.parametrize(
    ("currency", "exponent"), [("JPY", 0), ("USD", 2), ("EUR", 2), ("BHD", 3), ("IDR", 2)]
)
def test_iso_currencies_carry_their_iso_4217_exponent(currency: str, exponent: int) -> None:
    assert ISO_CURRENCY_SCALES[currency] == exponent
    assert AssetCatalog().scale_of(currency) == exponent


def test_bahraini_dinar_amounts_carry_three_decimals() -> None:
    assert parse_amount("1.001", AssetCatalog().scale_of("BHD")) == 1001


def test_an_unknown_asset_is_refused_by_the_catalog_naming_the_field() -> None:
    with pytest.raises(UnknownAsset) as refusal:
        AssetCatalog().scale_of("ZZZ", field="postings[1].asset")
    assert refusal.value.code == "unknown_asset"
    assert refusal.value.field == "postings[1].asset"


# --- registered assets (stored, so on both backends) -------------------------


@pytest.fixture
def app(database_url: str) -> Iterator[BackOffice]:
    system = build_system(database_url)
    yield system.app
    system.close()


def test_a_registered_asset_is_parsed_with_its_own_scale(app: BackOffice) -> None:
    app.register_asset(CLERK, "VBMPX", 3, "Vanguard Total Bond Market Index")
    app.register_asset(CLERK, "HOURS", 2, "Hours worked")
    catalog = app.catalog()
    assert parse_amount("12.345", catalog.scale_of("VBMPX")) == 12345
    assert parse_amount("7.25", catalog.scale_of("HOURS")) == 725
    with pytest.raises(InvalidAmount):
        parse_amount("7.255", catalog.scale_of("HOURS"))


def test_a_registered_asset_is_known_to_a_second_process_reading_the_same_store(
    database_url: str,
) -> None:
    first = build_system(database_url)
    second = build_system(database_url)
    try:
        first.app.register_asset(CLERK, "VBMPX", 3)
        assert second.app.catalog().scale_of("VBMPX") == 3
    finally:
        first.close()
        second.close()


def test_an_entry_in_an_unknown_asset_is_refused_and_writes_nothing(app: BackOffice) -> None:
    app.open_account(CLERK, "Assets:Brokerage", "Brokerage", "asset", ["USD"])
    before = head(app)
    command = entry(
        "buy-fund",
        [line("Assets:Brokerage", "debit", "1.000", "VBMPX"),
         line("Assets:Brokerage", "credit", "1.000", "VBMPX")],
    )
    with pytest.raises(UnknownAsset) as refusal:
        app.post_journal_entry(command)
    assert refusal.value.code == "unknown_asset"
    assert refusal.value.field == "postings[0].asset"
    assert head(app) == before


def test_an_account_cannot_hold_an_unregistered_asset(app: BackOffice) -> None:
    with pytest.raises(UnknownAsset):
        app.open_account(CLERK, "Assets:Brokerage", "Brokerage", "asset", ["VBMPX"])
    assert head(app) == 0


def test_an_iso_currency_cannot_be_registered_as_an_asset(app: BackOffice) -> None:
    with pytest.raises(AssetAlreadyRegistered):
        app.register_asset(CLERK, "USD", 2)
    assert head(app) == 0


def test_an_asset_is_registered_once(app: BackOffice) -> None:
    app.register_asset(CLERK, "HOURS", 2)
    before = head(app)
    with pytest.raises(AssetAlreadyRegistered):
        app.register_asset(CLERK, "HOURS", 1)
    assert head(app) == before
    assert app.catalog().scale_of("HOURS") == 2


@pytest.mark.parametrize(
    ("code", "scale", "field"),
    [("hours", 2, "code"), ("", 2, "code"), ("TOO-LONG-CODE-X", 2, "code"),
     ("HOURS", 13, "scale"), ("HOURS", -1, "scale"), ("HOURS", 2.0, "scale"),
     ("HOURS", True, "scale")],
    ids=["lower-case code", "empty code", "code of 15 characters", "scale 13",
         "negative scale", "float scale", "boolean scale"],
)
def test_an_asset_with_a_bad_code_or_scale_is_refused(
    app: BackOffice, code: str, scale: object, field: str
) -> None:
    with pytest.raises(InvalidInput) as refusal:
        app.register_asset(CLERK, code, scale)  # type: ignore[arg-type]
    assert refusal.value.field == field
    assert head(app) == 0
