"""Face templates at rest: AES-256-GCM, the person id bound in as associated data.

Binding the person id means a ciphertext copied onto another person's row fails to
decrypt instead of quietly verifying the wrong face.
"""

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["TemplateVaultError", "decrypt_template", "encrypt_template"]

_NONCE_BYTES = 12


class TemplateVaultError(ValueError):
    """A stored template that does not decrypt (wrong key, or moved or altered row)."""


def encrypt_template(*, key: bytes, person_id: str, template: bytes) -> tuple[bytes, bytes]:
    """Encrypt one template; returns ``(nonce, ciphertext)``."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, template, person_id.encode())


def decrypt_template(*, key: bytes, person_id: str, nonce: bytes, ciphertext: bytes) -> bytes:
    """Decrypt one template, or raise TemplateVaultError."""
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, person_id.encode())
    except InvalidTag:
        raise TemplateVaultError("face template does not decrypt with this key") from None
