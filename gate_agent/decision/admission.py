"""From a presentation to one recorded event: decide, open, wait for the ack and the passage.

A badge, a code or a face becomes a `Presentation`, goes to the decision worker (or is
denied at once: an invalid pass, an ambiguous face, a full outbox, a busy queue), and its
verdict becomes a `Story`. A grant opens the lane (the draft is on disk before the command
leaves); the story closes on the passage, the ack or a timeout, and is recorded once.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from gate_protocol.messages import (
    AlarmKind,
    CommandAck,
    CredentialPresented,
    Passage,
    encode_message,
    new_id,
)
from gate_protocol.passes.token import PassRejected
from gate_protocol.records import HostPresentation, LastPassage

from gate_agent.camera.frame_pump import CodeSeen
from gate_agent.config import AgentConfig
from gate_agent.decision.decider import PresentationDecided, ReplicaView
from gate_agent.decision.intake import (
    ambiguous_face_denial,
    badge_presentation,
    face_presentation,
    is_pass_text,
    qr_presentation,
    watchlist_face_denial,
)
from gate_agent.decision.presentation import Presentation, Verdict, gate_denial
from gate_agent.decision.recorder import EventRecorder, refusal
from gate_agent.decision.replica_policy import (
    keyring_of,
    pass_rejection_verdict,
    remember_presentation,
    spend_one_time_pass,
)
from gate_agent.decision.story import Story
from gate_agent.decision.tailgate import TailgateWatch
from gate_agent.decision.turnstile import OpenTracker
from gate_agent.face.identify import FaceIdentified, Identified
from gate_agent.face.watchlist import WatchlistSeen
from gate_agent.links.bus import Bus
from gate_agent.links.clock import SkewClock
from gate_agent.outbox.delivery import Delivery
from gate_agent.outbox.rows import OutboxFull
from gate_agent.outbox.store import Outbox

__all__ = ["Admission", "AlarmRaiser", "DecisionQueue", "LoopState"]

_log = logging.getLogger(__name__)


class LoopState(Protocol):
    """The loop state an admission reads and updates (the agent's own attributes)."""

    connected: bool
    replica: ReplicaView


class DecisionQueue(Protocol):
    """The decision worker's queue, as an admission sees it."""

    def submit(self, presentation: Presentation) -> bool:
        """Queue a presentation for a decision; False when the queue is full."""
        ...


class AlarmRaiser(Protocol):
    """Records an alarm in the outbox (and publishes it when connected)."""

    def __call__(self, kind: AlarmKind, detail: str, *, lane: int | None = None) -> None:
        """Raise one alarm."""


class Admission:
    """Presentations, openings and their records (used from the agent loop's thread only).

    Args:
        config: The agent config.
        state: The agent's connection flag and replica view (read and replaced here).
        bus: The MQTT link (open commands).
        open_topic: The topic open commands go to.
        outbox: The durable outbox.
        workers: The decision worker's queue.
        delivery: Publishes recorded events.
        raise_alarm: Records an alarm.
        drops: The agent's drop counters.
        clock: The wall clock (UTC, aware).
        opens: The open commands in flight.
        recorder: Records stories as events in the outbox.
        tailgate: The tailgating cue, when the camera tracks faces.
    """

    def __init__(
        self,
        *,
        config: AgentConfig,
        state: LoopState,
        bus: Bus,
        open_topic: str,
        outbox: Outbox,
        workers: DecisionQueue,
        delivery: Delivery,
        raise_alarm: AlarmRaiser,
        drops: Counter[str],
        clock: Callable[[], datetime],
        opens: OpenTracker,
        recorder: EventRecorder,
        tailgate: TailgateWatch | None = None,
    ) -> None:
        self._config = config
        self._state = state
        self._bus = bus
        self._open_topic = open_topic
        self._outbox = outbox
        self._workers = workers
        self._delivery = delivery
        self._raise_alarm = raise_alarm
        self._drops = drops
        self._clock = clock
        self._opens = opens
        self._recorder = recorder
        self._tailgate = tailgate
        # Called on the loop thread with each presentation's final verdict (metrics).
        self.watchers: list[Callable[[PresentationDecided, Verdict], None]] = []

    def recover_drafts(self) -> int:
        """Turn the drafts of openings a previous run left open into events."""
        return self._recorder.recover_drafts()

    def tick(self, *, now: float) -> None:
        """Record openings that timed out and raise tailgating alarms that are due."""
        for story in self._opens.expire(at=now):
            self._record(story)
        if self._tailgate is not None:
            for suspect in self._tailgate.due(now=now):
                _log.warning(
                    "tailgating suspected on lane %d: %s", suspect.cycle.lane, suspect.detail
                )
                self._raise_alarm(AlarmKind.TAILGATING, suspect.detail, lane=suspect.cycle.lane)
        skew = self._clock.take_alarm() if isinstance(self._clock, SkewClock) else None
        if skew is not None:
            self._raise_alarm(AlarmKind.FAULT, skew)

    def on_badge(self, message: CredentialPresented) -> None:
        """A badge was read on a lane."""
        lane = self._config.lane(message.lane)
        if lane is None:
            self._drops["credential:unknown_lane"] += 1
            _log.warning("badge read on unknown lane %d dropped", message.lane)
            return
        now, started = self._clock(), time.monotonic()
        self._submit(badge_presentation(message, lane=lane, now=now, started=started))

    def on_code(self, item: CodeSeen) -> None:
        """The camera saw a code (a pass, or not)."""
        if not is_pass_text(item.text):
            self._drops["code:not_a_pass"] += 1
            return
        replica = self._state.replica
        presentation = qr_presentation(
            item.text,
            seen_at=min(item.at, time.monotonic()),
            lane=self._config.lanes[0],
            keyring=keyring_of(replica.index),
            gate=self._config.gate,
            now=self._clock(),
        )
        if isinstance(presentation.pass_check, PassRejected):
            index = self._state.replica.index
            verdict = pass_rejection_verdict(
                presentation.pass_check,
                replica_version=index.snapshot.version if index is not None else None,
            )
            self.on_decided(PresentationDecided(presentation, verdict, None, 0.0))
            return
        self._submit(presentation)

    def on_face(self, item: FaceIdentified) -> None:
        """The camera identified a face, could not tell whose it is, or saw a watchlisted one."""
        # Face-only 1:N: like a code seen by the camera, it goes to the first lane.
        lane, now, started = self._config.lanes[0], self._clock(), time.monotonic()
        found = item.result
        index = self._state.replica.index
        version = index.snapshot.version if index is not None else None
        if isinstance(found, WatchlistSeen):
            _log.warning("watchlist: %s", found.detail)
            self._raise_alarm(AlarmKind.WATCHLIST, found.detail, lane=lane.lane)
            if index is not None and index.snapshot.gate.face_identification:
                # At a face-only gate the face in view is the presentation: deny it too.
                presentation, verdict = watchlist_face_denial(
                    found, lane=lane, now=now, started=started, replica_version=version
                )
                self.on_decided(PresentationDecided(presentation, verdict, presentation.face, 0.0))
            return
        if isinstance(found, Identified):
            self._submit(face_presentation(found, lane=lane, now=now, started=started))
            return
        presentation, verdict = ambiguous_face_denial(
            found, lane=lane, now=now, started=started, replica_version=version
        )
        self.on_decided(PresentationDecided(presentation, verdict, presentation.face, 0.0))

    def _submit(self, presentation: Presentation) -> None:
        if self._recorder.must_refuse:
            verdict = refusal(None)
            self.on_decided(PresentationDecided(presentation, verdict, None, 0.0))
            return
        if not self._workers.submit(presentation):
            # Still one event per presentation: the person is told no, the operator why.
            self._drops["presentation:busy"] += 1
            _log.warning("decision queue full; presentation on lane %d denied", presentation.lane)
            verdict = gate_denial("gate busy: decision queue full")
            self.on_decided(PresentationDecided(presentation, verdict, None, 0.0))

    def on_decided(self, item: PresentationDecided) -> None:
        """A presentation has its verdict: record a denial, open for a grant."""
        verdict = item.verdict
        if verdict.granted and self._recorder.must_refuse:
            verdict = refusal(verdict)
        if verdict.granted and self._state.connected:
            # A one-time pass is spent only when the gate really opens for it.
            verdict = self._consume_pass(verdict)
        for watch in self.watchers:
            watch(item, verdict)
        for alarm in verdict.alarms:
            self._raise_alarm(alarm, verdict.reason.value, lane=item.presentation.lane)
        if verdict.granted and verdict.person_id is not None:
            self._remember_grant(item.presentation, verdict.person_id)
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
        elif not self._state.connected:
            self._record(story.closed(passed=False, detail="broker unreachable: gate not opened"))
        else:
            self._open(story)

    def _remember_grant(self, presentation: Presentation, person_id: str) -> None:
        """A grant at a lane: the host an escorted visitor may follow there, even offline."""
        seen = HostPresentation(
            person_id=person_id, lane=presentation.lane, at=presentation.occurred_at
        )
        view = self._state.replica
        recent = remember_presentation(view.recent_presentations, seen)
        self._state.replica = replace(view, recent_presentations=recent)

    def _consume_pass(self, verdict: Verdict) -> Verdict:
        view = self._state.replica
        verdict, spent = spend_one_time_pass(verdict, used=view.used_appointments)
        if spent is not None:
            self._outbox.mark_appointment_used(spent)
            self._state.replica = replace(view, used_appointments=view.used_appointments | {spent})
        return verdict

    def _open(self, story: Story) -> None:
        now = time.monotonic()
        command, drafted = self._opens.command_for(story, now=self._clock(), at=now)
        # The draft is on disk before the command leaves: an opening is never unrecorded.
        try:
            self._recorder.draft(drafted)
        except OutboxFull:  # no room to record the opening: do not open
            self._record(replace(story, verdict=refusal(story.verdict)))
            return
        story = drafted
        self._opens.track(story, at=now)
        self._bus.publish(self._open_topic, encode_message(command))

    def on_ack(self, ack: CommandAck) -> None:
        """The lane acknowledged (or refused) an open command."""
        result = self._opens.on_ack(ack, at=time.monotonic())
        if result is False:
            self._drops["cmd_ack:unknown_command"] += 1
        elif isinstance(result, Story):
            self._record(result)

    def on_passage(self, passage: Passage) -> None:
        """The lane reported how an opening ended."""
        story = self._opens.on_passage(passage)
        if story is None:
            self._drops["passage:unknown_command"] += 1
            return
        if story.passed and self._tailgate is not None:
            self._tailgate.on_passage(
                lane=story.presentation.lane, opened_at=story.decided_at, closed_at=time.monotonic()
            )
        self._record(story)

    def _record(self, story: Story) -> None:
        self._recorder.record(story)
        person_id = story.verdict.person_id
        if story.passed and person_id is not None:
            passage = LastPassage(direction=story.presentation.direction, at=self._clock())
            self._outbox.record_passage(person_id, passage)
            passages = {**self._state.replica.last_passages, person_id: passage}
            self._state.replica = replace(self._state.replica, last_passages=passages)
        if self._state.connected:
            self._delivery.events.pump_mqtt()
