"""Everything a bridge says on MQTT: one gate's topics and the messages it publishes."""

import logging
from collections.abc import Callable
from datetime import datetime

from gate_protocol.messages import (
    AckResult,
    AlarmKind,
    AlarmRaised,
    CommandAck,
    CredentialPresented,
    GateState,
    LaneState,
    NodeState,
    NodeStatus,
    Passage,
    new_id,
)
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic

from firmware_bridge.bus import MessageBus
from firmware_bridge.card_formats import CardRead
from firmware_bridge.gate_machine import GateSnapshot

__all__ = ["GatePublisher"]

logger = logging.getLogger(__name__)


class GatePublisher:
    """Builds and publishes one gate's bridge messages (QoS 1; state and status retained)."""

    def __init__(
        self,
        *,
        bus: MessageBus,
        site: str,
        gate: str,
        version: str,
        wall_clock: Callable[[], datetime],
    ) -> None:
        self._bus, self._site, self._gate = bus, site, gate
        self._version, self._wall = version, wall_clock
        self._since = wall_clock()

    def topic(self, channel: GateChannel) -> GateTopic:
        """This gate's topic for `channel` (not STATUS)."""
        return GateTopic(site=self._site, gate=self._gate, channel=channel)

    def status_topic(self) -> GateTopic:
        """This bridge's retained status topic (also its last will topic)."""
        return GateTopic(
            site=self._site, gate=self._gate, channel=GateChannel.STATUS, node=NodeKind.BRIDGE
        )

    def subscriptions(self) -> list[str]:
        """The filters a bridge subscribes to: its gate's commands, events and agent status."""
        return [
            build_topic(self.topic(GateChannel.CMD_OPEN)),
            build_topic(self.topic(GateChannel.EVENT)),
            build_topic(
                GateTopic(self._site, self._gate, channel=GateChannel.STATUS, node=NodeKind.AGENT)
            ),
        ]

    def status(self, state: NodeState) -> NodeStatus:
        """This bridge's NodeStatus."""
        return NodeStatus(
            node=NodeKind.BRIDGE, state=state, version=self._version, since=self._since
        )

    def publish_status(self, state: NodeState) -> None:
        """Publish the retained online/offline status."""
        self._bus.publish(topic=self.status_topic(), message=self.status(state), retain=True)

    def ack(self, *, command_id: str, result: AckResult, detail: str | None) -> None:
        """Answer an OpenCommand."""
        logger.info("command %s: %s", command_id, result.value)
        ack = CommandAck(command_id=command_id, result=result, at=self._wall(), detail=detail)
        self._bus.publish(topic=self.topic(GateChannel.CMD_ACK), message=ack)

    def passage(self, *, command_id: str, lane: int, passed: bool) -> None:
        """Report whether somebody passed after an opening."""
        message = Passage(command_id=command_id, lane=lane, passed=passed, at=self._wall())
        self._bus.publish(topic=self.topic(GateChannel.PASSAGE), message=message)

    def alarm(self, *, kind: AlarmKind, lane: int | None, detail: str) -> None:
        """Raise an alarm."""
        logger.warning("alarm %s lane=%s: %s", kind.value, lane, detail)
        message = AlarmRaised(
            alarm_id=new_id(), alarm=kind, lane=lane, at=self._wall(), detail=detail
        )
        self._bus.publish(topic=self.topic(GateChannel.ALARM), message=message)

    def state(self, snapshot: GateSnapshot) -> None:
        """Publish the retained GateState."""
        state = GateState(
            door=snapshot.door,
            tamper=snapshot.tamper,
            lanes=tuple(LaneState(lane=n, door=d) for n, d in snapshot.lanes),
            readers_offline=snapshot.readers_offline,
            at=self._wall(),
        )
        self._bus.publish(topic=self.topic(GateChannel.STATE), message=state, retain=True)

    def credential(self, *, card: CardRead, reader_id: str, lane: int) -> None:
        """Publish a badge read (pydantic ValidationError if it cannot be a valid message)."""
        message = CredentialPresented(
            badge_number=card.badge_number,
            format=card.format,
            facility_code=card.facility_code,
            reader_id=reader_id,
            lane=lane,
            read_at=self._wall(),
        )
        self._bus.publish(topic=self.topic(GateChannel.CREDENTIAL), message=message)
