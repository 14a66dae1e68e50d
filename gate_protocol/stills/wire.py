"""The still message: which alarm, which lane, when, and the JPEG (base64 in JSON)."""

import base64
import binascii
import math
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, ValidationError

from gate_protocol.ids import Id
from gate_protocol.message_base import MessageBase
from gate_protocol.messages import Lane

__all__ = [
    "MAX_STILL_BYTES",
    "MAX_STILL_WIDTH",
    "StillTaken",
    "decode_still",
    "encode_still",
    "is_jpeg",
]

MAX_STILL_BYTES = 512 * 1024
"""The largest JPEG a still may be (a 640 px frame at quality 80 is 30 to 80 KB)."""

MAX_STILL_WIDTH = 640
"""The agent downscales a frame to at most this width before encoding it."""

_MAX_BASE64 = 4 * math.ceil(MAX_STILL_BYTES / 3)
_JPEG_MAGIC = b"\xff\xd8\xff"


class StillTaken(MessageBase):
    """The camera frame nearest an alarm the agent raised, keyed by the alarm's id."""

    kind: Literal["still_taken"] = "still_taken"
    alarm_id: Id
    lane: Lane | None = None
    at: AwareDatetime
    jpeg: Annotated[str, Field(min_length=4, max_length=_MAX_BASE64)]

    def jpeg_bytes(self) -> bytes:
        """The JPEG itself.

        Raises:
            ValueError: the field is not valid base64.
        """
        try:
            return base64.b64decode(self.jpeg, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"still is not base64: {exc}") from None


def is_jpeg(data: bytes) -> bool:
    """Whether `data` starts like a JPEG (SOI and a marker)."""
    return data.startswith(_JPEG_MAGIC)


def encode_still(still: StillTaken) -> bytes:
    """The MQTT payload of a still."""
    return still.model_dump_json().encode()


def decode_still(payload: bytes) -> StillTaken:
    """A still from its MQTT payload.

    Raises:
        ValueError: not a still message (bad JSON, a field out of bounds, too long).
    """
    try:
        return StillTaken.model_validate_json(payload)
    except ValidationError as exc:
        raise ValueError(f"not a still: {exc.error_count()} error(s)") from None
