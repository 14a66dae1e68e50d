"""The gate agent loop: one thread owns all state; everything else talks to it through its inbox.

Credential -> (QR: offline pass check first) -> decision worker (face step, API, replica)
-> grant: OpenCommand, then CommandAck and Passage within timeouts -> one AccessEvent in the
outbox -> MQTT (or HTTP replay) -> confirmed by the API (the confirm worker asks it about
published events and re-sends what it lacks); alarms the agent raises go the same way. A
gate that cannot record must not open: when the outbox is full every presentation is denied
(and `outbox_full` is raised).
"""

from __future__ import annotations

import logging
import queue
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    AlarmRaised,
    CommandAck,
    CredentialPresented,
    NodeState,
    NodeStatus,
    Passage,
    encode_message,
    new_id,
)
from gate_protocol.replica import ReplicaIndex
from gate_protocol.topics import (
    GateChannel,
)

from gate_agent.camera.frame_pump import CodeSeen
from gate_agent.config import AgentConfig
from gate_agent.decision.admission import Admission
from gate_agent.decision.decider import PresentationDecided, ReplicaView
from gate_agent.face.identify import FaceIdentified
from gate_agent.face.track import FaceTracks
from gate_agent.links.bus import (
    Bus,
    MqttConnected,
    MqttDisconnected,
    MqttIncoming,
    MqttPublished,
    MqttSubscribed,
)
from gate_agent.links.inbound import decode_inbound
from gate_agent.loop.inbox import InboxItem, OutboxConfirmed, ReplicaSynced, Stop
from gate_agent.loop.node import AgentTopics, agent_status
from gate_agent.loop.workers import WorkQueue
from gate_agent.outbox.delivery import Delivery
from gate_agent.outbox.rows import OutboxFull
from gate_agent.outbox.sender import OutboxSender
from gate_agent.outbox.store import Outbox

__all__ = ["GateAgent"]

_log = logging.getLogger(__name__)
_TICK_S = 0.05
_HEARTBEAT_EVERY_S = 5.0


class GateAgent:
    """The agent loop and its state (see the module docstring).

    Args:
        config: The agent config.
        bus: The MQTT link.
        outbox: The durable outbox.
        sender: Delivers outbox events.
        workers: The decision and sync workers.
        replica: The replica loaded at start, if any.
        inbox: The loop's inbox (shared with the MQTT link, the pump and the workers).
        clock: The wall clock (UTC, aware).
        faces: The face track, when the camera tracks faces (for the tailgating cue).
        alarms: Delivers outbox alarms (default: over MQTT only, no HTTP replay).
    """

    def __init__(
        self,
        *,
        config: AgentConfig,
        bus: Bus,
        outbox: Outbox,
        sender: OutboxSender[AccessEvent],
        workers: WorkQueue,
        replica: ReplicaView,
        inbox: queue.Queue[InboxItem],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        faces: FaceTracks | None = None,
        alarms: OutboxSender[AlarmRaised] | None = None,
    ) -> None:
        self._config = config
        self._bus = bus
        self._outbox = outbox
        self._workers = workers
        self._inbox = inbox
        self._clock = clock
        self.replica = replica
        self.connected = False
        self.subscribed = False
        self.drops: Counter[str] = Counter()
        self._disconnected_since: float | None = time.monotonic()
        self._next_sync = time.monotonic()
        self._next_heartbeat = 0.0
        self._topics = AgentTopics.of(site=config.site, gate=config.gate)
        self._topic = self._topics.channel
        self._delivery = Delivery(
            events=sender,
            alarms=alarms
            or OutboxSender(
                rows=outbox.alarms, publisher=bus, topic=self._topic[GateChannel.ALARM]
            ),
            workers=workers,
            api=config.api,
            now=time.monotonic(),
        )
        self._admission = Admission(
            config=config,
            state=self,
            bus=bus,
            open_topic=self._topic[GateChannel.CMD_OPEN],
            outbox=outbox,
            workers=workers,
            delivery=self._delivery,
            raise_alarm=self._raise_alarm,
            drops=self.drops,
            clock=clock,
            faces=faces,
        )

    def node_status(self, state: NodeState) -> NodeStatus:
        """This agent's NodeStatus (the offline one is its last will)."""
        return agent_status(
            state=state,
            since=self._clock(),
            index=self.replica.index,
            last_sync_at=self.replica.last_sync_at,
        )

    @property
    def status_topic(self) -> str:
        """The agent's retained status topic."""
        return self._topics.status

    def run(self) -> None:
        """Record what a previous run left open, then run until a Stop item arrives."""
        self.recover_drafts()
        while True:
            try:
                item = self._inbox.get(timeout=_TICK_S)
            except queue.Empty:
                item = None
            if isinstance(item, Stop):
                return
            if item is not None:
                try:
                    self.handle(item)
                except Exception:
                    self.drops["handler_error"] += 1
                    _log.exception("agent loop failed on %s; continuing", type(item).__name__)
            self.tick()

    def handle(self, item: InboxItem) -> None:
        """Act on one inbox item."""
        if isinstance(item, MqttIncoming):
            self._on_message(item)
        elif isinstance(item, MqttPublished):
            self._delivery.on_puback(item.mid)
        elif isinstance(item, CodeSeen):
            self._admission.on_code(item)
        elif isinstance(item, FaceIdentified):
            self._admission.on_face(item)
        elif isinstance(item, PresentationDecided):
            self._admission.on_decided(item)
        elif isinstance(item, ReplicaSynced):
            self._install_replica(item)
        elif isinstance(item, OutboxConfirmed):
            self._delivery.on_confirmed(item.result)
        elif isinstance(item, MqttConnected):
            self._on_connected()
        elif isinstance(item, MqttSubscribed):
            self.subscribed = self.connected
        elif isinstance(item, MqttDisconnected):
            if self.connected:
                _log.warning("MQTT disconnected: %s", item.reason)
            self.connected = self.subscribed = False
            self._disconnected_since = self._disconnected_since or time.monotonic()

    def tick(self) -> None:
        """Timeouts, event delivery and periodic sync."""
        now = time.monotonic()
        self._admission.tick(now=now)
        self._delivery.tick(
            now=now, connected=self.connected, disconnected_since=self._disconnected_since
        )
        if self._config.heartbeat_path is not None and now >= self._next_heartbeat:
            self._next_heartbeat = now + _HEARTBEAT_EVERY_S
            self._beat(self._config.heartbeat_path)
        if now >= self._next_sync:
            self._next_sync = now + self._config.api.sync_interval_s
            self._workers.request_sync()

    @staticmethod
    def _beat(path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        except OSError as exc:
            _log.warning("cannot touch heartbeat %s: %s", path, exc.strerror)

    # --- MQTT ---------------------------------------------------------------------------

    def _on_connected(self) -> None:
        _log.info("MQTT connected")
        self.connected = True
        self._disconnected_since = None
        self._bus.subscribe(self._topics.subscriptions())
        self._publish_status()

    def _publish_status(self) -> None:
        payload = encode_message(self.node_status(NodeState.ONLINE))
        self._bus.publish(self._topics.status, payload, retain=True)

    def _on_message(self, item: MqttIncoming) -> None:
        message = decode_inbound(
            topic=item.topic, payload=item.payload, site=self._config.site, gate=self._config.gate
        )
        if isinstance(message, str):
            self.drops[message] += 1
            _log.warning("dropped a message on %s: %s", item.topic, message)
        elif isinstance(message, CredentialPresented):
            self._admission.on_badge(message)
        elif isinstance(message, CommandAck):
            self._admission.on_ack(message)
        elif isinstance(message, Passage):
            self._admission.on_passage(message)
        else:
            index = self.replica.index
            if index is None or message.replica_version > index.snapshot.version:
                self._workers.request_sync()

    def recover_drafts(self) -> int:
        """Turn the drafts of openings a previous run left open into events."""
        return self._admission.recover_drafts()

    def _raise_alarm(self, kind: AlarmKind, detail: str, *, lane: int | None = None) -> None:
        alarm = AlarmRaised(
            alarm_id=new_id(), alarm=kind, lane=lane, at=self._clock(), detail=detail
        )
        # On disk before it is published, like events: a crash or an outage loses none.
        try:
            self._outbox.alarms.append(alarm)
        except OutboxFull:
            self.drops["alarm:outbox_full"] += 1
            _log.error("alarm outbox full: %s alarm not recorded", kind.value)
            return
        if self.connected:
            self._delivery.alarms.pump_mqtt()

    # --- replica ------------------------------------------------------------------------

    def _install_replica(self, item: ReplicaSynced) -> None:
        stored = item.result.stored
        self.replica = replace(
            self.replica, index=ReplicaIndex(stored.snapshot), last_sync_at=stored.last_sync_at
        )
        if self.connected:
            self._publish_status()
