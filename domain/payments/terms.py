"""A payment's request terms: its id, the key of its funds reservation, the
fingerprint of its content, its method and the limits of its text fields.

Pure helpers over the values of a request; the aggregate is
``domain.payments.payment``.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

from domain.kernel.errors import InvalidInput

METHODS = ("transfer", "cash")
PURPOSE_LENGTH_MAX = 140  # an ISO 20022 remittance line
BANK_REFERENCE_LENGTH_MAX = 64
_PAYMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:payment")


def payment_id_for(actor: str, request_key: str) -> UUID:
    """A payment id derived from who asked and their idempotency key."""
    return uuid5(_PAYMENT_NAMESPACE, f"{actor}\x00{request_key}")


def reservation_key(payment_id: UUID) -> str:
    """The idempotency key (hence the id) of a payment's funds reservation entry."""
    return f"payment:{payment_id}:funds"


def content_fingerprint(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical content (personal values already blinded)."""
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_method(method: object) -> str:
    if method not in METHODS:
        raise InvalidInput(f"method: one of {', '.join(METHODS)}", field="method")
    assert isinstance(method, str)
    return method
