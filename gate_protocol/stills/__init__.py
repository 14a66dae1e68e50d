"""An alarm's camera still on the wire (issue 22.4): opt-in at the agent and at the site.

The agent publishes one `StillTaken` per alarm on the gate's ``still`` channel
(`gate_protocol.topics.GateChannel.STILL`) as JSON with the JPEG in base64: the same
strict, versioned JSON every other gate message uses, readable by the broker's tools and
the dead-letter table, for a third more bytes on a still bounded to `MAX_STILL_BYTES`.
"""

from gate_protocol.stills.wire import (
    MAX_STILL_BYTES,
    MAX_STILL_WIDTH,
    StillTaken,
    decode_still,
    encode_still,
    is_jpeg,
)

__all__ = [
    "MAX_STILL_BYTES",
    "MAX_STILL_WIDTH",
    "StillTaken",
    "decode_still",
    "encode_still",
    "is_jpeg",
]
