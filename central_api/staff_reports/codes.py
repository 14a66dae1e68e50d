"""Follow-up codes, gate sign tokens and the keyed hashes that stand for them.

A follow-up code is 16 characters of RFC 4648 base32 (80 random bits) shown once to the
reporter, grouped by four for reading aloud; the database keeps only its HMAC-SHA256
under a key of this installation, so neither a copy of the database nor the audit
reveals a code. At 80 bits and the follow-up rate limit, guessing one is hopeless; a
slow password hash (argon2) would add nothing but cost to every lookup.
"""

import base64
import hashlib
import hmac
import secrets

from central_api.config import Settings

__all__ = [
    "CODE_CHARACTERS",
    "address_key",
    "code_hash",
    "new_code",
    "new_sign_token",
    "normalise_code",
    "report_key",
]

CODE_CHARACTERS = 16
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_LABEL = b"portgate.staff-reports.v1"
_MISREAD = str.maketrans("018", "OIB")


def report_key(settings: Settings) -> bytes:
    """The installation's key for follow-up codes and client addresses (from its secret)."""
    return hmac.new(settings.jwt_secret().encode(), _LABEL, hashlib.sha256).digest()


def new_code() -> str:
    """A fresh follow-up code, e.g. ``K3QF-7ZPA-M2XD-Q6VB``."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 10 bytes: 16 characters
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARACTERS, 4))


def normalise_code(text: str) -> str | None:
    """The code as typed, upper case without spaces and dashes; None if it cannot be one."""
    # Base32 has no 0, 1 or 8: read off a screen, they can only be O, I and B.
    code = "".join(text.split()).replace("-", "").upper().translate(_MISREAD)
    if len(code) != CODE_CHARACTERS or not set(code) <= _ALPHABET:
        return None
    return code


def code_hash(key: bytes, code: str) -> str:
    """What the database keeps of a normalised code (64 hex digits)."""
    return hmac.new(key, b"code:" + code.encode(), hashlib.sha256).hexdigest()


def address_key(key: bytes, address: str) -> str:
    """The rate limit's key for a client address: a keyed hash, never stored with a report."""
    return hmac.new(key, b"address:" + address.encode(), hashlib.sha256).hexdigest()[:32]


def new_sign_token() -> str:
    """A gate sign's token: 128 random bits, URL-safe, meaning nothing by itself."""
    return secrets.token_urlsafe(16)
