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
from datetime import datetime
from pathlib import Path

from gate_protocol.messages import (
    CommandAck,
    CredentialPresented,
    NodeState,
    NodeStatus,
    Passage,
    encode_message,
)
from gate_protocol.replica import ReplicaIndex

from gate_agent.camera.frame_pump import CodeSeen
from gate_agent.config import AgentConfig
from gate_agent.decision.admission import Admission
from gate_agent.decision.decider import PresentationDecided, ReplicaView
from gate_agent.decision.presentation import Verdict
from gate_agent.face.identify import FaceIdentified
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
from gate_agent.loop.state import LoopState
from gate_agent.loop.workers import WorkQueue
from gate_agent.outbox.delivery import Delivery

__all__ = ["GateAgent"]

_log = logging.getLogger(__name__)
_TICK_S = 0.05
_HEARTBEAT_EVERY_S = 5.0


class GateAgent:
    """The agent loop (see the module docstring); `gate_agent.app.build_loop` wires it.

    Args:
        config: The agent config.
        bus: The MQTT link.
        workers: The decision, sync and confirm workers.
        inbox: The loop's inbox (shared with the MQTT link, the pump and the workers).
        state: The loop's state, shared with the admission.
        delivery: Moves the outbox to the API.
        admission: Presentations, openings and their records.
        clock: The wall clock (UTC, aware).
    """

    def __init__(
        self,
        *,
        config: AgentConfig,
        bus: Bus,
        workers: WorkQueue,
        inbox: queue.Queue[InboxItem],
        state: LoopState,
        delivery: Delivery,
        admission: Admission,
        clock: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._bus = bus
        self._workers = workers
        self._inbox = inbox
        self._clock = clock
        self.state = state
        self._delivery = delivery
        self._admission = admission
        self._disconnected_since: float | None = time.monotonic()
        self._next_sync = time.monotonic()
        self._next_heartbeat = 0.0
        self._topics = AgentTopics.of(site=config.site, gate=config.gate)

    @property
    def replica(self) -> ReplicaView:
        """The replica view decisions are made on (replaced whole by the loop)."""
        return self.state.replica

    @property
    def connected(self) -> bool:
        """Whether the MQTT link is up."""
        return self.state.connected

    @connected.setter
    def connected(self, value: bool) -> None:
        self.state.connected = value

    @property
    def subscribed(self) -> bool:
        """Whether the broker granted the agent's subscriptions."""
        return self.state.subscribed

    @property
    def drops(self) -> Counter[str]:
        """What the loop dropped or refused, by label."""
        return self.state.drops

    def node_status(self, state: NodeState) -> NodeStatus:
        """This agent's NodeStatus (the offline one is its last will)."""
        return agent_status(
            state=state,
            since=self._clock(),
            index=self.replica.index,
            last_sync_at=self.replica.last_sync_at,
        )

    def watch_decisions(self, watcher: Callable[[PresentationDecided, Verdict], None]) -> None:
        """Call `watcher` on the loop thread with each presentation's final verdict."""
        self._admission.watchers.append(watcher)

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
            self.state.subscribed = self.connected
        elif isinstance(item, MqttDisconnected):
            if self.connected:
                _log.warning("MQTT disconnected: %s", item.reason)
            self.state.connected = self.state.subscribed = False
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
        self.state.connected = True
        self.state.mqtt_connects += 1
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

    # --- replica ------------------------------------------------------------------------

    def _install_replica(self, item: ReplicaSynced) -> None:
        stored = item.result.stored
        self.state.replica = replace(
            self.state.replica,
            index=ReplicaIndex(stored.snapshot),
            last_sync_at=stored.last_sync_at,
        )
        if self.connected:
            self._publish_status()
