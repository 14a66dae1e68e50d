"""Identity references: a keyed hash of a document number under the community key (pure).

Members refer to a person by `identity_ref(key, number)`, HMAC-SHA256 of the normalised
number, never by the number or a name: a member learns "this identity is banned" only for
a document it has itself checked, and nobody without the community key can test numbers.
"""

import hashlib
import hmac
import re
from typing import Final

__all__ = ["REF_PATTERN", "identity_ref", "normalise_document_number"]

REF_PATTERN: Final = r"^ref:[0-9a-f]{64}$"
_SEPARATORS = re.compile(r"[\s\-./]")
_ALLOWED = re.compile(r"^[A-Z0-9]{4,40}$")


def normalise_document_number(number: str) -> str:
    """Upper case, without spaces, dashes, dots and slashes (as printed or typed).

    Raises:
        ValueError: Not 4 to 40 letters and digits once normalised.
    """
    normalised = _SEPARATORS.sub("", number).upper()
    if not _ALLOWED.match(normalised):
        raise ValueError("a document number is 4 to 40 letters and digits")
    return normalised


def identity_ref(key: bytes, number: str) -> str:
    """``ref:<hex>``: HMAC-SHA256 of the normalised document number under the community key."""
    digest = hmac.new(key, normalise_document_number(number).encode(), hashlib.sha256)
    return "ref:" + digest.hexdigest()
