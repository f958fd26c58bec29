"""Sealed personal fields: AES-256-GCM under a per-subject key.

A sealed field is an envelope of JSON values, the only form personal data
takes in the log::

    {"alg": "AES-256-GCM", "key_version": 1, "nonce": <b64>, "ciphertext": <b64>}

The associated data binds the subject id and the field name, so a
ciphertext moved to another field or another subject does not open (GCM's
tag check fails) instead of showing the wrong person's data. The key lives
outside the log (``adapters.subject_keys``); destroying it leaves the
envelopes in the log unreadable forever, which is the erasure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALGORITHM = "AES-256-GCM"
KEY_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
ENVELOPE_FIELDS = frozenset({"alg", "key_version", "nonce", "ciphertext"})
CIPHERTEXT_B64_LENGTH_MAX = 4096


class SealBroken(ValueError):
    """An envelope did not open under the subject's key: wrong key, wrong
    subject or field (associated data), or altered bytes. Never a business
    refusal: it means the stored data or the key table is not what was written."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def associated_data(subject_id: UUID, field: str) -> bytes:
    return f"backoffice:data-subject:{subject_id}:{field}:v{KEY_VERSION}".encode()


def seal(key: bytes, subject_id: UUID, field: str, plaintext: str) -> dict[str, Any]:
    """The envelope of ``plaintext`` (a fresh random nonce each time)."""
    assert len(key) == KEY_BYTES, "a subject key is 32 bytes"
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(
        nonce, plaintext.encode("utf-8"), associated_data(subject_id, field)
    )
    return {
        "alg": ALGORITHM,
        "key_version": KEY_VERSION,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
    }


def open_envelope(key: bytes, subject_id: UUID, field: str, envelope: Any) -> str:
    """The plaintext of ``envelope`` sealed for ``subject_id``'s ``field``; SealBroken if not."""
    if not isinstance(envelope, dict) or set(envelope) != ENVELOPE_FIELDS:
        raise SealBroken(f"{field}: not a sealed-field envelope")
    if envelope["alg"] != ALGORITHM or envelope["key_version"] != KEY_VERSION:
        raise SealBroken(f"{field}: unknown algorithm or key version")
    ciphertext_text = envelope["ciphertext"]
    if not isinstance(ciphertext_text, str) or len(ciphertext_text) > CIPHERTEXT_B64_LENGTH_MAX:
        raise SealBroken(f"{field}: malformed ciphertext")
    try:
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        ciphertext = base64.b64decode(ciphertext_text, validate=True)
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, associated_data(subject_id, field))
    except (InvalidTag, ValueError, TypeError):
        raise SealBroken(
            f"{field}: does not open under subject {subject_id}'s key "
            "(moved from another field or subject, or altered)"
        ) from None
    return plaintext.decode("utf-8")


def blind(key: bytes, field: str, plaintext: str) -> str:
    """A keyed digest of a personal value (HMAC-SHA256 under the subject's key).

    Used where a request must be recognised again (idempotency fingerprints)
    without keeping the value: once the key is destroyed, the digest no longer
    links to anyone.
    """
    # surrogatepass: a value the command will refuse must still fingerprint, not crash.
    message = f"{field}\x00{plaintext}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
