"""The outbox's two senders as an agent wires them: events and alarms, over MQTT and HTTP."""

from __future__ import annotations

from gate_protocol.messages import AccessEvent, AlarmRaised
from gate_protocol.topics import GateChannel

from gate_agent.config import AgentConfig
from gate_agent.links.api_client import ApiClient
from gate_agent.links.bus import Bus
from gate_agent.loop.node import AgentTopics
from gate_agent.outbox.sender import OutboxSender
from gate_agent.outbox.store import Outbox

__all__ = ["outbox_senders"]


def outbox_senders(
    config: AgentConfig, bus: Bus, outbox: Outbox, api: ApiClient
) -> tuple[OutboxSender[AccessEvent], OutboxSender[AlarmRaised]]:
    """The outbox's senders: over MQTT, and over HTTP with `api` while MQTT is down."""
    channel = AgentTopics.of(site=config.site, gate=config.gate).channel
    events = OutboxSender(
        rows=outbox.events,
        publisher=bus,
        topic=channel[GateChannel.EVENT],
        window=config.outbox.publish_window,
        api=api,
        batch_size=config.api.event_batch_size,
        confirm_grace_s=config.api.confirm_grace_s,
    )
    alarms = OutboxSender(
        rows=outbox.alarms,
        publisher=bus,
        topic=channel[GateChannel.ALARM],
        api=api,
        batch_size=config.api.event_batch_size,
        confirm_grace_s=config.api.confirm_grace_s,
    )
    return events, alarms
