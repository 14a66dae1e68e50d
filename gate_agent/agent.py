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
from gate_protocol.passes import PassRejected
from gate_protocol.records import LastPassage
from gate_protocol.replica import ReplicaIndex
from gate_protocol.topics import (
    GateChannel,
)

from gate_agent.alarm_outbox import AlarmSender
from gate_agent.config import AgentConfig
from gate_agent.decider import ReplicaView
from gate_agent.decision_glue import keyring_of, pass_rejection_verdict, spend_one_time_pass
from gate_agent.delivery import Delivery
from gate_agent.event_sender import EventSender
from gate_agent.face_identify import Identified
from gate_agent.face_track import FaceTracks
from gate_agent.inbound import decode_inbound
from gate_agent.inbox import (
    CodeSeen,
    EventsConfirmed,
    FaceIdentified,
    InboxItem,
    MqttConnected,
    MqttDisconnected,
    MqttIncoming,
    MqttPublished,
    MqttSubscribed,
    PresentationDecided,
    ReplicaSynced,
    Stop,
)
from gate_agent.intake import (
    ambiguous_face_denial,
    badge_presentation,
    face_presentation,
    is_pass_text,
    qr_presentation,
)
from gate_agent.node import AgentTopics, agent_status
from gate_agent.outbox import Outbox
from gate_agent.presentation import Presentation, Verdict, gate_denial
from gate_agent.recorder import EventRecorder, refusal
from gate_agent.story import Story
from gate_agent.tailgate import TailgateWatch
from gate_agent.turnstile import OpenTracker
from gate_agent.workers import Bus, WorkQueue

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
        sender: EventSender,
        workers: WorkQueue,
        replica: ReplicaView,
        inbox: queue.Queue[InboxItem],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        faces: FaceTracks | None = None,
        alarms: AlarmSender | None = None,
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
        self._opens = OpenTracker(config.turnstile, issued_by=config.node_id)
        self._recorder = EventRecorder(
            outbox=outbox, raise_alarm=self._raise_alarm, drops=self.drops
        )
        self._next_sync = time.monotonic()
        self._next_heartbeat = 0.0
        self._topics = AgentTopics.of(site=config.site, gate=config.gate)
        self._topic = self._topics.channel
        self._delivery = Delivery(
            outbox=outbox,
            events=sender,
            alarms=alarms
            or AlarmSender(
                alarms=outbox.alarms, publisher=bus, topic=self._topic[GateChannel.ALARM]
            ),
            workers=workers,
            api=config.api,
            now=time.monotonic(),
        )
        self._tailgate = TailgateWatch(faces=faces.faces_between) if faces is not None else None

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
            self._on_code(item)
        elif isinstance(item, FaceIdentified):
            self._on_face(item)
        elif isinstance(item, PresentationDecided):
            self._on_decided(item)
        elif isinstance(item, ReplicaSynced):
            self._install_replica(item)
        elif isinstance(item, EventsConfirmed):
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
        for story in self._opens.expire(at=now):
            self._record(story)
        if self._tailgate is not None:
            for suspect in self._tailgate.due(now=now):
                _log.warning(
                    "tailgating suspected on lane %d: %s", suspect.cycle.lane, suspect.detail
                )
                self._raise_alarm(AlarmKind.TAILGATING, suspect.detail, lane=suspect.cycle.lane)
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
            self._on_badge(message)
        elif isinstance(message, CommandAck):
            self._on_ack(message)
        elif isinstance(message, Passage):
            self._on_passage(message)
        else:
            index = self.replica.index
            if index is None or message.replica_version > index.snapshot.version:
                self._workers.request_sync()

    # --- presentations ------------------------------------------------------------------

    def _on_badge(self, message: CredentialPresented) -> None:
        lane = self._config.lane(message.lane)
        if lane is None:
            self.drops["credential:unknown_lane"] += 1
            _log.warning("badge read on unknown lane %d dropped", message.lane)
            return
        now, started = self._clock(), time.monotonic()
        self._submit(badge_presentation(message, lane=lane, now=now, started=started))

    def _on_code(self, item: CodeSeen) -> None:
        if not is_pass_text(item.text):
            self.drops["code:not_a_pass"] += 1
            return
        presentation = qr_presentation(
            item.text,
            seen_at=min(item.at, time.monotonic()),
            lane=self._config.lanes[0],
            keyring=keyring_of(self.replica.index),
            gate=self._config.gate,
            now=self._clock(),
        )
        if isinstance(presentation.pass_check, PassRejected):
            index = self.replica.index
            verdict = pass_rejection_verdict(
                presentation.pass_check,
                replica_version=index.snapshot.version if index is not None else None,
            )
            self._on_decided(PresentationDecided(presentation, verdict, None, 0.0))
            return
        self._submit(presentation)

    def _on_face(self, item: FaceIdentified) -> None:
        # Face-only 1:N: like a code seen by the camera, it goes to the first lane.
        lane, now, started = self._config.lanes[0], self._clock(), time.monotonic()
        found = item.result
        if isinstance(found, Identified):
            self._submit(face_presentation(found, lane=lane, now=now, started=started))
            return
        index = self.replica.index
        presentation, verdict = ambiguous_face_denial(
            found,
            lane=lane,
            now=now,
            started=started,
            replica_version=index.snapshot.version if index is not None else None,
        )
        self._on_decided(PresentationDecided(presentation, verdict, presentation.face, 0.0))

    def _submit(self, presentation: Presentation) -> None:
        if self._recorder.must_refuse:
            verdict = refusal(None)
            self._on_decided(PresentationDecided(presentation, verdict, None, 0.0))
            return
        if not self._workers.submit(presentation):
            # Still one event per presentation: the person is told no, the operator why.
            self.drops["presentation:busy"] += 1
            _log.warning("decision queue full; presentation on lane %d denied", presentation.lane)
            verdict = gate_denial("gate busy: decision queue full")
            self._on_decided(PresentationDecided(presentation, verdict, None, 0.0))

    def _on_decided(self, item: PresentationDecided) -> None:
        verdict = item.verdict
        if verdict.granted and self._recorder.must_refuse:
            verdict = refusal(verdict)
        if verdict.granted and self.connected:
            # A one-time pass is spent only when the gate really opens for it.
            verdict = self._consume_pass(verdict)
        for alarm in verdict.alarms:
            self._raise_alarm(alarm, verdict.reason.value, lane=item.presentation.lane)
        story = Story(
            presentation=item.presentation,
            verdict=verdict,
            face=item.face,
            decision_ms=item.decision_ms,
            decided_at=time.monotonic(),
            event_id=new_id(),
        )
        if not verdict.granted:
            self._record(story)
        elif not self.connected:
            self._record(story.closed(passed=False, detail="broker unreachable: gate not opened"))
        else:
            self._open(story)

    def _consume_pass(self, verdict: Verdict) -> Verdict:
        view = self.replica
        verdict, spent = spend_one_time_pass(verdict, used=view.used_appointments)
        if spent is not None:
            self._outbox.mark_appointment_used(spent)
            self.replica = replace(view, used_appointments=view.used_appointments | {spent})
        return verdict

    def _open(self, story: Story) -> None:
        now = time.monotonic()
        command, story = self._opens.command_for(story, now=self._clock(), at=now)
        # The draft is on disk before the command leaves: an opening is never unrecorded.
        self._recorder.draft(story)
        self._opens.track(story, at=now)
        self._bus.publish(self._topic[GateChannel.CMD_OPEN], encode_message(command))

    def _on_ack(self, ack: CommandAck) -> None:
        result = self._opens.on_ack(ack, at=time.monotonic())
        if result is False:
            self.drops["cmd_ack:unknown_command"] += 1
        elif isinstance(result, Story):
            self._record(result)

    def _on_passage(self, passage: Passage) -> None:
        story = self._opens.on_passage(passage)
        if story is None:
            self.drops["passage:unknown_command"] += 1
            return
        if story.passed and self._tailgate is not None:
            self._tailgate.on_passage(
                lane=story.presentation.lane, opened_at=story.decided_at, closed_at=time.monotonic()
            )
        self._record(story)

    def recover_drafts(self) -> int:
        """Turn the drafts of openings a previous run left open into events."""
        return self._recorder.recover_drafts()

    def _record(self, story: Story) -> None:
        self._recorder.record(story)
        person_id = story.verdict.person_id
        if story.passed and person_id is not None:
            passage = LastPassage(direction=story.presentation.direction, at=self._clock())
            self._outbox.record_passage(person_id, passage)
            passages = {**self.replica.last_passages, person_id: passage}
            self.replica = replace(self.replica, last_passages=passages)
        if self.connected:
            self._delivery.events.pump_mqtt()

    def _raise_alarm(self, kind: AlarmKind, detail: str, *, lane: int | None = None) -> None:
        alarm = AlarmRaised(
            alarm_id=new_id(), alarm=kind, lane=lane, at=self._clock(), detail=detail
        )
        # On disk before it is published, like events: a crash or an outage loses none.
        if not self._outbox.alarms.append(alarm):
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
