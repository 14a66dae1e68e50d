"""The pure parts of TOTP (RFC 6238, pyotp): secrets, codes, time steps, recovery codes.

A code is accepted for the current 30-second step or one step either side (a phone's clock
a little off, a code typed as it rolled over), and only for a step later than the last one
accepted: the same code, or an older one, never logs in twice.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

__all__ = [
    "DIGITS",
    "RECOVERY_CODES",
    "STEP_SECONDS",
    "hash_recovery_code",
    "is_code_shaped",
    "is_recovery_shaped",
    "matching_step",
    "new_recovery_codes",
    "new_secret",
    "provisioning_uri",
]

STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # steps either side of the current one
RECOVERY_CODES = 10
ISSUER = "PortGate"
# No 0/o, 1/l/i: a recovery code is read off paper and typed in.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_HALF = 5
_CODE = re.compile(r"^[0-9]{6}$")
_RECOVERY = re.compile(rf"^[{_RECOVERY_ALPHABET}]{{{_RECOVERY_HALF * 2}}}$")


def new_secret() -> str:
    """A fresh random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(*, secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _normalized(code: str) -> str:
    # People type codes with spaces or a dash in the middle ("123 456", "abcde-fghij").
    return code.strip().replace(" ", "").replace("-", "").lower()


def is_code_shaped(code: str) -> bool:
    """Whether `code` looks like a 6-digit TOTP code (spaces allowed)."""
    return _CODE.match(_normalized(code)) is not None


def is_recovery_shaped(code: str) -> bool:
    """Whether `code` looks like a recovery code (ten letters and digits, a dash allowed)."""
    return _RECOVERY.match(_normalized(code)) is not None


def matching_step(*, secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The time step `code` is valid for at `at` (±1 step), later than `last_step`; else None."""
    if not is_code_shaped(code):
        return None
    wanted = _normalized(code)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(at.timestamp()) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue  # used already, or older than a code used already
        if hmac.compare_digest(totp.generate_otp(step), wanted):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """`count` fresh one-time recovery codes, ``abcde-fghij`` (about 49 bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_HALF * 2))
        codes.append(f"{raw[:_RECOVERY_HALF]}-{raw[_RECOVERY_HALF:]}")
    return codes


def hash_recovery_code(*, key: bytes, code: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) a recovery code is stored and looked up by."""
    return hmac.new(key, _normalized(code).encode(), hashlib.sha256).hexdigest()
