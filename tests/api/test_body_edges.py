"""The edges of a request body: size however it is sent, encoding, media type
and duplicate keys, each refused with a problem that names what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.support import ApiHarness, entry_body, new_key, open_usd_chart, running_api
from tests.api.test_problems import assert_problem


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url, body_bytes_max=4096) as harness:
        open_usd_chart(harness)
        yield harness


def _post_raw(api: ApiHarness, content: object, content_type: str | None) -> object:
    headers = api.headers("poster", new_key())
    if content_type is not None:
        headers["content-type"] = content_type
    return api.client.post("/v1/journal-entries", content=content, headers=headers)


def test_a_duplicate_key_is_refused_naming_the_key(api: ApiHarness) -> None:
    before = api.event_count()
    raw = (
        b'{"effective_date": "2026-01-15", "pending": false, "pending": true, "postings": ['
        b'{"account": "Expenses:Rent", "direction": "debit", "amount": "1.00", "asset": "USD"},'
        b'{"account": "Equity:Capital", "direction": "credit", "amount": "1.00", "asset": "USD"}]}'
    )
    body = assert_problem(_post_raw(api, raw, "application/json"), 422, "duplicate_key", "pending")
    assert "'pending'" in body["detail"]
    assert api.event_count() == before


def test_a_duplicate_key_nested_in_a_list_is_named_too(api: ApiHarness) -> None:
    raw = (
        b'{"effective_date": "2026-01-15", "postings": ['
        b'{"account": "Expenses:Rent", "direction": "debit", "amount": "1.00", "asset": "USD"},'
        b'{"account": "Equity:Capital", "direction": "credit", "amount": "1.00",'
        b' "amount": "2.00", "asset": "USD"}]}'
    )
    assert_problem(_post_raw(api, raw, "application/json"), 422, "duplicate_key", "amount")


def test_a_chunked_body_over_the_limit_is_413_like_a_declared_one(api: ApiHarness) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"effective_date": "2026-01-15", "description": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = _post_raw(api, chunks(), "application/json")
    assert_problem(response, 413, "body_too_large")


def test_invalid_utf8_is_malformed_json_naming_the_byte_offset(api: ApiHarness) -> None:
    raw = b'{"effective_date": "2026-01-15", "description": "caf\xe9"}'
    body = assert_problem(_post_raw(api, raw, "application/json"), 400, "malformed_json")
    assert f"byte offset {raw.index(0xE9)}" in body["detail"], body


def test_malformed_json_names_where_it_broke(api: ApiHarness) -> None:
    body = assert_problem(_post_raw(api, b'{"a": }', "application/json"), 400, "malformed_json")
    assert "byte offset 6" in body["detail"], body


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_a_json_body_under_another_type_is_415_naming_application_json(
    api: ApiHarness, content_type: str | None
) -> None:
    raw = orjson_bytes(entry_body("Expenses:Rent", "Equity:Capital", "1.00"))
    body = assert_problem(_post_raw(api, raw, content_type), 415, "unsupported_media_type")
    assert "application/json" in body["detail"]


def test_a_json_suffix_type_and_a_charset_are_accepted(api: ApiHarness) -> None:
    raw = orjson_bytes(entry_body("Expenses:Rent", "Equity:Capital", "1.00"))
    assert _post_raw(api, raw, "application/json; charset=utf-8").status_code == 201  # type: ignore[attr-defined]
    assert _post_raw(api, raw, "application/vnd.backoffice+json").status_code == 201  # type: ignore[attr-defined]


def test_the_bank_statement_upload_keeps_its_own_types(api: ApiHarness) -> None:
    response = api.client.post(
        "/v1/bank-statements",
        params={"account": "Assets:Bank"},
        content=b"date,amount\n",
        headers={**api.headers("poster", new_key()), "content-type": "text/plain"},
    )
    body = assert_problem(response, 415, "unsupported_media_type")
    assert "text/csv" in body["detail"]


def orjson_bytes(value: object) -> bytes:
    import orjson

    return orjson.dumps(value)
