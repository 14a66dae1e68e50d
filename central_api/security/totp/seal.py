"""TOTP secrets at rest: AES-256-GCM under a key derived from the template key.

A TOTP secret must be read back to check a code, so it cannot be hashed; it is sealed with
a key that HKDF derives from PORTGATE_TEMPLATE_KEY (the API's key for data at rest, which a
backup is bound to), the user's id bound in as associated data: a ciphertext copied onto
another user's row does not open. Recovery codes are looked up by an HMAC under a second
derived key.
"""

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["TotpKeys", "TotpSealError", "open_secret", "seal_secret"]

_NONCE_BYTES = 12


class TotpSealError(ValueError):
    """A stored TOTP secret that does not open (another key, or a moved or altered row)."""


def _derive(root: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(root)


@dataclass(frozen=True, slots=True)
class TotpKeys:
    """The two keys of the second factor, derived from the template key."""

    seal: bytes
    recovery: bytes

    @classmethod
    def from_template_key(cls, template_key: bytes) -> "TotpKeys":
        """Derive both keys (different purposes, so one never stands in for the other)."""
        return cls(
            seal=_derive(template_key, b"portgate totp secret v1"),
            recovery=_derive(template_key, b"portgate totp recovery v1"),
        )


def _aad(user_id: int) -> bytes:
    return f"totp-user:{user_id}".encode()


def seal_secret(*, keys: TotpKeys, user_id: int, secret: str) -> tuple[bytes, bytes]:
    """Seal one TOTP secret; returns ``(nonce, ciphertext)``."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce, AESGCM(keys.seal).encrypt(nonce, secret.encode(), _aad(user_id))


def open_secret(*, keys: TotpKeys, user_id: int, nonce: bytes, ciphertext: bytes) -> str:
    """Open a sealed TOTP secret, or raise TotpSealError."""
    try:
        return AESGCM(keys.seal).decrypt(nonce, ciphertext, _aad(user_id)).decode()
    except InvalidTag:
        raise TotpSealError("the TOTP secret does not open with this key") from None
