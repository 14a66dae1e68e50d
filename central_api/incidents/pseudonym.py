"""Pseudonyms of the people an incident involves: a keyed hash, never the name or the id.

``HMAC-SHA256(key, "person:" + person_id)`` in hex. The key is this installation's secret
(``PORTGATE_PSEUDONYM_KEY``, else derived from ``PORTGATE_SECRET_KEY`` with a label of its
own), so the same person gets the same pseudonym in every report of this installation, and
nobody without the key can tell who it is or link it to another installation's reports.
Linking across installations is the community identity reference's job (docs/incidents.md,
"Pseudonyms").
"""

import hashlib
import hmac
import os

from central_api.config import Settings

__all__ = ["PSEUDONYM_KEY_ENV", "person_pseudonym", "pseudonym_key"]

PSEUDONYM_KEY_ENV = "PORTGATE_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32
_LABEL = b"portgate incident pseudonym v1"


def pseudonym_key(settings: Settings) -> bytes:
    """The installation's pseudonym key: its own secret if set, else one derived for it.

    Raises:
        ValueError: ``PORTGATE_PSEUDONYM_KEY`` is set but shorter than 32 characters.
    """
    own = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if own:
        if len(own) < MIN_KEY_LENGTH:
            raise ValueError(f"{PSEUDONYM_KEY_ENV} must be at least {MIN_KEY_LENGTH} characters")
        return own.encode()
    # A key of its own derived from the secret key, so neither can be computed from the other.
    return hmac.new(settings.jwt_secret().encode(), _LABEL, hashlib.sha256).digest()


def person_pseudonym(key: bytes, person_id: str) -> str:
    """The pseudonym of `person_id` under `key` (64 hex digits)."""
    return hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
