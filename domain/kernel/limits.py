"""A limit on everything: every string, list and blob that enters the log is bounded."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import orjson

from domain.kernel.errors import InvalidInput

POSTINGS_PER_ENTRY_MAX = 128
DESCRIPTION_LENGTH_MAX = 500
REFERENCE_LENGTH_MAX = 128
REASON_LENGTH_MAX = 500
IDEMPOTENCY_KEY_LENGTH_MAX = 300  # the API scopes a client key (<= 128) by its actor
ACTOR_LENGTH_MAX = 128
CORRELATION_ID_LENGTH_MAX = 128
ACCOUNT_CODE_LENGTH_MAX = 64
ACCOUNT_NAME_LENGTH_MAX = 200
ASSETS_PER_ACCOUNT_MAX = 32
METADATA_KEYS_MAX = 32
METADATA_KEY_LENGTH_MAX = 64
METADATA_VALUE_LENGTH_MAX = 500
METADATA_BYTES_MAX = 4096
EFFECTIVE_YEAR_MIN = 1900
EFFECTIVE_YEAR_MAX = 2199

_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*\Z")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])\Z")


def bounded_text(
    value: object, field: str, length_max: int, *, required: bool = True
) -> str:
    """A single-line, printable string of at most ``length_max`` characters."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: expected a string", field=field)
    if required and not value.strip():
        raise InvalidInput(f"{field}: must not be empty", field=field)
    if len(value) > length_max:
        raise InvalidInput(
            f"{field}: at most {length_max} characters, got {len(value)}", field=field
        )
    if not _PRINTABLE.match(value):
        raise InvalidInput(f"{field}: control characters are not allowed", field=field)
    return value


def effective_date(value: object, field: str = "effective_date") -> str:
    """An ISO calendar date ``YYYY-MM-DD`` within the supported years; returned as text."""
    if not isinstance(value, str) or not _DATE.match(value):
        raise InvalidInput(f"{field}: expected a date as YYYY-MM-DD, got {value!r}", field=field)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not a calendar date", field=field) from None
    if not EFFECTIVE_YEAR_MIN <= parsed.year <= EFFECTIVE_YEAR_MAX:
        raise InvalidInput(
            f"{field}: year must be between {EFFECTIVE_YEAR_MIN} and {EFFECTIVE_YEAR_MAX}",
            field=field,
        )
    return value


def period_name(value: object, field: str = "period") -> str:
    """An accounting period: a calendar month ``YYYY-MM``."""
    if not isinstance(value, str) or not _PERIOD.match(value):
        raise InvalidInput(f"{field}: expected a month as YYYY-MM, got {value!r}", field=field)
    return value


def metadata(value: object, field: str = "metadata") -> dict[str, str]:
    """A small flat map of string keys to string values."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field}: expected an object of string values", field=field)
    if len(value) > METADATA_KEYS_MAX:
        raise InvalidInput(f"{field}: at most {METADATA_KEYS_MAX} keys", field=field)
    out: dict[str, str] = {}
    for key, item in value.items():
        bounded_text(key, f"{field}.key", METADATA_KEY_LENGTH_MAX)
        out[key] = bounded_text(item, f"{field}.{key}", METADATA_VALUE_LENGTH_MAX, required=False)
    if len(orjson.dumps(out)) > METADATA_BYTES_MAX:
        raise InvalidInput(f"{field}: at most {METADATA_BYTES_MAX} bytes as JSON", field=field)
    return out


def as_list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{field}: expected a list", field=field)
    return list(value)
