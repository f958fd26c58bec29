"""The checkpoint signing key (Ed25519, from the ``cryptography`` package).

``BACKOFFICE_SIGNING_KEY_FILE`` names a file holding the private key (PEM
PKCS#8, or 64 hex digits of the raw seed); ``BACKOFFICE_SIGNING_KEY`` holds
the same inline (both read by ``adapters.settings``). ``backoffice keys
generate`` writes a new one. The public key (``backoffice keys public``) is
all a verifier needs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from adapters.auditkit.checkpoint_note import key_id_of
from adapters.database import SettingsError

KEY_FILE_ENV = "BACKOFFICE_SIGNING_KEY_FILE"
KEY_ENV = "BACKOFFICE_SIGNING_KEY"


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        ).decode("ascii")

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private_key.sign(body)).decode("ascii")


def generate() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


def signer_from_text(text: str, source: str) -> Signer:
    stripped = text.strip()
    if len(stripped) == 64:
        try:
            return Signer(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stripped)))
        except ValueError:
            pass
    if "PRIVATE KEY" in stripped:
        try:
            key = load_pem_private_key(stripped.encode("ascii"), password=None)
        except (ValueError, TypeError) as error:
            raise SettingsError(f"{source}: not a readable private key ({error})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SettingsError(f"{source}: not an Ed25519 private key")
        return Signer(key)
    raise SettingsError(f"{source}: expected a PEM private key or 64 hex digits of an Ed25519 seed")


def load_signer(key_file: Path | str | None, key_text: str = "") -> Signer | None:
    """The signer from a key file or inline key text (``adapters.settings`` passes
    ``BACKOFFICE_SIGNING_KEY_FILE`` / ``BACKOFFICE_SIGNING_KEY``), or None when neither."""
    if key_file and key_text:
        raise SettingsError(f"{KEY_FILE_ENV} and {KEY_ENV}: set one, not both")
    if key_file:
        try:
            text = Path(key_file).read_text(encoding="ascii")
        except (OSError, UnicodeError) as error:
            raise SettingsError(f"{KEY_FILE_ENV}: cannot read {key_file} ({error})") from None
        return signer_from_text(text, KEY_FILE_ENV)
    if key_text:
        return signer_from_text(key_text, KEY_ENV)
    return None
