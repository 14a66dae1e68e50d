"""What the agent accepts from MQTT: a topic and payload in, a typed message or a drop label out.

Pure: the loop counts the label of whatever is dropped (docs/architecture.md, MQTT:
receivers validate, and drop, count and log what does not validate; one bad message never
stops a loop).
"""

from __future__ import annotations

from gate_protocol.messages import (
    CommandAck,
    CredentialPresented,
    MessageError,
    Passage,
    SyncNotice,
    decode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, TopicError, parse_topic

__all__ = ["Inbound", "decode_inbound"]

Inbound = CredentialPresented | CommandAck | Passage | SyncNotice

_EXPECTED: dict[GateChannel | None, type[Inbound]] = {
    GateChannel.CREDENTIAL: CredentialPresented,
    GateChannel.CMD_ACK: CommandAck,
    GateChannel.PASSAGE: Passage,
    None: SyncNotice,  # the site's sync topic
}


def decode_inbound(*, topic: str, payload: bytes, site: str, gate: str) -> Inbound | str:
    """The message, or the label under which it is dropped (e.g. ``cmd_ack:malformed_json``)."""
    try:
        parsed = parse_topic(topic)
    except TopicError:
        return "unknown_topic"
    channel = parsed.channel if isinstance(parsed, GateTopic) else None
    want = _EXPECTED.get(channel)
    ours = parsed.site == site and (not isinstance(parsed, GateTopic) or parsed.gate == gate)
    if want is None or not ours:
        return "unexpected_topic"
    label = channel.name.lower() if channel is not None else "sync"
    try:
        message = decode_message(payload, expected=want)
    except MessageError as exc:
        return f"{label}:{exc.reason.value}"
    assert isinstance(message, want)  # noqa: S101 (decode_message checked the kind)
    return message
