"""How strong a secret must be for a service to start: one checker for every secret read.

Each service checks its secrets where it reads them (the API's settings and the broker
password in its ``MQTT_URL``, the agent's replica key, gate key and broker password, the
bridge's broker password) and refuses to start with a message that names the secret and says why:
too short, a known placeholder, a repeated pattern, too little randomness, or a key of
the wrong size. The estimate of randomness is the text's character entropy times its
length: it rejects the obvious (``foo``, ``aaaa…``, ``changeme…``) and accepts what
``secrets.token_urlsafe`` or 32 random bytes in base64 give; it cannot prove a secret random.
Development mode (``PORTGATE_DEV_MODE=1``: tests and `portgate demo`) skips the strength
checks, never the format checks.
"""

import math
import os
from collections import Counter
from collections.abc import Mapping

__all__ = [
    "DEV_MODE_ENV",
    "MIN_SECRET_BITS",
    "MIN_SECRET_CHARS",
    "WeakSecretError",
    "check_key_bytes",
    "check_secret_text",
    "dev_mode_from_env",
]

DEV_MODE_ENV = "PORTGATE_DEV_MODE"
MIN_SECRET_CHARS = 32
# A random 32-character hex string estimates at about 120 bits; 96 leaves it room.
MIN_SECRET_BITS = 96
_PLACEHOLDERS = ("changethis", "changeme", "secret", "password", "portgate", "example")


class WeakSecretError(ValueError):
    """A secret too weak to start with; the message names it and says why."""


def dev_mode_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``PORTGATE_DEV_MODE`` is set to a true value (tests and the demo).

    Args:
        environ: The environment to read (default: this process's).
    """
    env = os.environ if environ is None else environ
    return env.get(DEV_MODE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def check_secret_text(name: str, value: str, *, min_chars: int = MIN_SECRET_CHARS) -> None:
    """Refuse a text secret (signing secret, bearer token) that is short or predictable.

    Args:
        name: The secret's environment variable, named in the message.
        value: The secret (never put in the message).
        min_chars: Its shortest acceptable length.

    Raises:
        WeakSecretError: Too short, a placeholder, a repeated pattern or too little entropy.
    """
    how = "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if len(value) < min_chars:
        raise WeakSecretError(
            f"{name} is too short: {len(value)} characters, at least {min_chars} random "
            f"ones are needed ({how})"
        )
    lowered = value.lower()
    if any(lowered.startswith(word) for word in _PLACEHOLDERS):
        raise WeakSecretError(f"{name} is a placeholder, not a secret ({how})")
    if _repeats(value):
        raise WeakSecretError(f"{name} repeats a short pattern ({how})")
    bits = _entropy_bits(value)
    if bits < MIN_SECRET_BITS:
        raise WeakSecretError(
            f"{name} is too predictable: about {bits:.0f} bits of randomness, at least "
            f"{MIN_SECRET_BITS} are needed ({how})"
        )


def check_key_bytes(name: str, key: bytes, *, length: int = 32) -> None:
    """Refuse a raw key (AES, Ed25519 seed) of the wrong size or with an obvious pattern.

    Raises:
        WeakSecretError: Not `length` bytes, a repeated pattern, or too few distinct bytes.
    """
    how = "generate it with: base64 -w0 < /dev/urandom | head -c 44"
    if len(key) != length:
        raise WeakSecretError(f"{name} must be {length} bytes, not {len(key)} ({how})")
    if _repeats(key) or len(set(key)) < length // 4:
        raise WeakSecretError(f"{name} is a fixed pattern, not random bytes ({how})")


def _repeats(value: str | bytes) -> bool:
    """Whether `value` is one short unit (at most a quarter of it) repeated."""
    size = len(value)
    for unit in range(1, size // 4 + 1):
        if all(value[i] == value[i % unit] for i in range(unit, size)):
            return True
    return False


def _entropy_bits(value: str) -> float:
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)
