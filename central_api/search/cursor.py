"""The keyset cursor of a search page: the (time, id) of the last row, opaque to callers."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from central_api.errors import InvalidError

__all__ = ["Cursor", "decode_cursor", "encode_cursor"]

MAX_CURSOR_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Cursor:
    """The next page holds the rows strictly after this one in (time, id) newest-first order."""

    at: datetime
    row_id: int


def encode_cursor(cursor: Cursor) -> str:
    """The cursor as URL-safe text."""
    raw = json.dumps({"at": cursor.at.isoformat(), "id": cursor.row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The cursor a previous page handed out.

    Raises:
        InvalidError: It is not one (edited, truncated or from somewhere else).
    """
    if len(text) > MAX_CURSOR_LENGTH:
        raise InvalidError("malformed cursor: too long; pass next_cursor of the previous page")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
        at = datetime.fromisoformat(data["at"])
        row_id = data["id"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidError(
            "malformed cursor: pass next_cursor of the previous page unchanged"
        ) from None
    if not isinstance(row_id, int) or isinstance(row_id, bool) or at.tzinfo is None:
        raise InvalidError("malformed cursor: pass next_cursor of the previous page unchanged")
    return Cursor(at=at, row_id=row_id)
