from datetime import UTC, datetime

import pytest

from gate_agent.links.inbound import decode_inbound
from gate_protocol.messages import (
    AckResult,
    BadgeFormat,
    CommandAck,
    CredentialPresented,
    SyncNotice,
    encode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, SyncTopic, build_topic
from testkit.agent.doubles import topic

NOW = datetime.now(UTC)
READ = CredentialPresented(
    badge_number="1234", format=BadgeFormat.RAW, reader_id="r1", lane=0, read_at=NOW
)
ACK = CommandAck(command_id="c1", result=AckResult.OPENED, at=NOW)


def decode(topic_text: str, payload: bytes) -> object:
    return decode_inbound(topic=topic_text, payload=payload, site="t1", gate="g1")


def test_messages_on_their_channels_decode() -> None:
    assert decode(topic(GateChannel.CREDENTIAL), encode_message(READ)) == READ
    assert decode(topic(GateChannel.CMD_ACK), encode_message(ACK)) == ACK
    notice = SyncNotice(replica_version=3, at=NOW)
    assert decode(build_topic(SyncTopic("t1")), encode_message(notice)) == notice


@pytest.mark.parametrize(
    ("topic_text", "payload", "label"),
    [
        ("some/other/topic", b"{}", "unknown_topic"),
        (build_topic(GateTopic("t1", "g2", GateChannel.CREDENTIAL)), b"{}", "unexpected_topic"),
        (build_topic(GateTopic("t9", "g1", GateChannel.CREDENTIAL)), b"{}", "unexpected_topic"),
        (build_topic(SyncTopic("t9")), b"{}", "unexpected_topic"),
        (topic(GateChannel.CMD_OPEN), b"{}", "unexpected_topic"),
        (topic(GateChannel.CREDENTIAL), b"{oops", "credential:malformed_json"),
        (topic(GateChannel.CREDENTIAL), encode_message(ACK), "credential:unexpected_kind"),
        (topic(GateChannel.PASSAGE), b'{"kind": "passage"}', "passage:invalid"),
        (topic(GateChannel.CMD_ACK), b'{"kind": "nope"}', "cmd_ack:unknown_kind"),
        (topic(GateChannel.CMD_ACK), b" " * 20_000, "cmd_ack:oversized"),
        (build_topic(SyncTopic("t1")), b"[]", "sync:invalid"),
    ],
)
def test_everything_else_gets_a_drop_label(topic_text: str, payload: bytes, label: str) -> None:
    assert decode(topic_text, payload) == label
