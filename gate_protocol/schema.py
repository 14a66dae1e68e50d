"""The JSON Schema of the wire: every MQTT message and the topic it travels on.

The committed snapshot (``message_schema.json`` beside this module) is compared with this
output by the test suite, so that a change of the wire shows up in review.
"""

import json
from importlib import resources
from typing import Any

from pydantic import TypeAdapter

from gate_protocol.messages import SCHEMA_VERSION, Message
from gate_protocol.stills import StillTaken
from gate_protocol.topics import (
    AuditHeadTopic,
    GateChannel,
    GateTopic,
    NodeKind,
    SiteAlarmTopic,
    SyncTopic,
    build_topic,
)

__all__ = ["SNAPSHOT_NAME", "build_message_schema", "load_schema_snapshot"]

SNAPSHOT_NAME = "message_schema.json"

# Which message kinds travel on which gate channel (docs/architecture.md, MQTT); sync notices
# go on SyncTopic, the API's alarm notices and acknowledgements on SiteAlarmTopic, the audit
# chain's head on AuditHeadTopic.
_CHANNEL_OF_KIND = {
    "credential_presented": GateChannel.CREDENTIAL,
    "open_command": GateChannel.CMD_OPEN,
    "command_ack": GateChannel.CMD_ACK,
    "passage": GateChannel.PASSAGE,
    "access_event": GateChannel.EVENT,
    "alarm_raised": GateChannel.ALARM,
    "gate_state": GateChannel.STATE,
    "node_status": GateChannel.STATUS,
}


def _topic_templates() -> dict[str, str]:
    alarms = build_topic(SiteAlarmTopic(site="{site}"))
    templates = {
        "sync_notice": build_topic(SyncTopic(site="{site}")),
        "alarm_notice": alarms,
        "alarm_acknowledged": alarms,
        "audit_head": build_topic(AuditHeadTopic(site="{site}")),
    }
    for kind, channel in _CHANNEL_OF_KIND.items():
        node = NodeKind("agent") if channel is GateChannel.STATUS else None
        topic = build_topic(GateTopic(site="{site}", gate="{gate}", channel=channel, node=node))
        templates[kind] = topic.replace("/agent", "/{node}") if node else topic
    return templates


def build_message_schema() -> dict[str, Any]:
    """Return the JSON Schema of the message union, with each kind's topic."""
    schema: dict[str, Any] = TypeAdapter(Message).json_schema(mode="serialization")
    schema["title"] = "PortGate MQTT messages"
    schema["x-schema-version"] = SCHEMA_VERSION
    schema["x-topics"] = _topic_templates()
    # An alarm's camera still has a decoder of its own (gate_protocol.stills), not the union.
    still = build_topic(GateTopic(site="{site}", gate="{gate}", channel=GateChannel.STILL))
    schema["x-still"] = {
        "topic": still,
        "schema": StillTaken.model_json_schema(mode="serialization"),
    }
    return schema


def load_schema_snapshot() -> dict[str, Any]:
    """Return the committed schema snapshot."""
    text = resources.files("gate_protocol").joinpath(SNAPSHOT_NAME).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
