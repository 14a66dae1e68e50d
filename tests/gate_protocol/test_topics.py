import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate_protocol.topics import (
    GateChannel,
    GateTopic,
    NodeKind,
    SiteAlarmTopic,
    SyncTopic,
    TopicError,
    build_topic,
    filter_all_gates,
    filter_all_site_alarms,
    filter_gate,
    filter_site_channel,
    parse_topic,
    validate_id,
)

valid_ids = st.text(
    alphabet=string.ascii_letters + string.digits + "-_.:äöüé", min_size=1, max_size=64
).filter(lambda s: not s.startswith("$"))
channels = st.sampled_from([c for c in GateChannel if c is not GateChannel.STATUS])


@given(site=valid_ids, gate=valid_ids, channel=channels)
def test_gate_topic_round_trips(site: str, gate: str, channel: GateChannel) -> None:
    topic = GateTopic(site=site, gate=gate, channel=channel)
    assert parse_topic(build_topic(topic)) == topic


@given(site=valid_ids, gate=valid_ids, node=st.sampled_from(list(NodeKind)))
def test_status_topic_round_trips(site: str, gate: str, node: NodeKind) -> None:
    topic = GateTopic(site=site, gate=gate, channel=GateChannel.STATUS, node=node)
    assert parse_topic(build_topic(topic)) == topic


@given(site=valid_ids)
def test_sync_topic_round_trips(site: str) -> None:
    assert parse_topic(build_topic(SyncTopic(site=site))) == SyncTopic(site=site)


@given(site=valid_ids)
def test_site_alarm_topic_round_trips(site: str) -> None:
    assert parse_topic(build_topic(SiteAlarmTopic(site=site))) == SiteAlarmTopic(site=site)


def test_topics_are_spelled_as_designed() -> None:
    assert build_topic(GateTopic("rtm", "g1", GateChannel.CMD_OPEN)) == (
        "portgate/v1/rtm/gates/g1/cmd/open"
    )
    assert build_topic(GateTopic("rtm", "g1", GateChannel.STATUS, NodeKind.BRIDGE)) == (
        "portgate/v1/rtm/gates/g1/status/bridge"
    )
    assert build_topic(SyncTopic("rtm")) == "portgate/v1/rtm/sync"
    assert filter_gate("rtm", "g1") == "portgate/v1/rtm/gates/g1/#"
    assert filter_site_channel("rtm", GateChannel.EVENT) == "portgate/v1/rtm/gates/+/event"
    assert filter_site_channel("rtm", GateChannel.STATUS) == "portgate/v1/rtm/gates/+/status/+"
    assert filter_all_gates(GateChannel.ALARM) == "portgate/v1/+/gates/+/alarm"
    assert build_topic(SiteAlarmTopic("rtm")) == "portgate/v1/rtm/alarms"
    assert filter_all_site_alarms() == "portgate/v1/+/alarms"
    with pytest.raises(TopicError):
        SiteAlarmTopic("r+m")


bad_chars = st.sampled_from(["/", "+", "#", "\x00", "\n", "\t", "\x7f", " ", "\u200b"])


@given(prefix=valid_ids, bad=bad_chars, suffix=st.text(alphabet="ab", max_size=3))
def test_ids_with_wildcards_or_control_characters_are_refused(
    prefix: str, bad: str, suffix: str
) -> None:
    value = (prefix + bad + suffix)[-64:] if len(prefix) > 60 else prefix + bad + suffix
    with pytest.raises(TopicError):
        validate_id(value)
    with pytest.raises(TopicError):
        GateTopic(site=value, gate="g1", channel=GateChannel.EVENT)
    with pytest.raises(TopicError):
        GateTopic(site="s1", gate=value, channel=GateChannel.EVENT)


@pytest.mark.parametrize("value", ["", "$SYS", "x" * 65])
def test_empty_reserved_and_long_ids_are_refused(value: str) -> None:
    with pytest.raises(TopicError):
        validate_id(value)
    with pytest.raises(TopicError):
        filter_gate(value, "g1")


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "portgate",
        "portgate/v2/s/gates/g/event",
        "portgate/v1/s/gates/g",
        "portgate/v1/s/gates/g/nope",
        "portgate/v1/s/gates/g/cmd",
        "portgate/v1/s/gates/g/cmd/close",
        "portgate/v1/s/gates/g/status",
        "portgate/v1/s/gates/g/status/camera",
        "portgate/v1/s/gates/g/event/extra",
        "portgate/v1/s/doors/g/event",
        "portgate/v1/s/sync/extra",
        "portgate/v1/s/alarms/extra",
        "portgate/v1/s/alarm",
        "portgate/v1//gates/g/event",
        "portgate/v1/s/gates/+/event",
        "portgate/v1/s/gates/#",
        "other/v1/s/gates/g/event",
    ],
)
def test_foreign_or_malformed_topics_are_refused(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(topic)


def test_status_channel_needs_a_node_and_only_it() -> None:
    with pytest.raises(TopicError):
        GateTopic("s", "g", GateChannel.STATUS)
    with pytest.raises(TopicError):
        GateTopic("s", "g", GateChannel.EVENT, NodeKind.AGENT)
