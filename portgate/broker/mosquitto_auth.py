"""Mosquitto password file entries: PBKDF2-SHA512, the ``$7$`` format of mosquitto 2.x.

A line is ``user:$7$<iterations>$<base64 salt>$<base64 hash>`` with a 12-byte salt and a
64-byte PBKDF2-HMAC-SHA512 digest, exactly what ``mosquitto_passwd`` writes.
"""

import base64
import hashlib
import hmac
import secrets

__all__ = ["ITERATIONS", "hash_password", "new_password", "verify_password"]

ITERATIONS = 1000
_SALT_BYTES = 12


def new_password() -> str:
    """A fresh random password (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """The ``$7$...`` hash of `password` for a mosquitto password file."""
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches a ``$7$`` hash (ours or mosquitto_passwd's)."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[:2] != ["", "7"] or not parts[2].isdigit():
        return False
    try:
        salt, expected = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)
