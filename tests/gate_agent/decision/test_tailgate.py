"""The tailgating cue: more faces than grants in one turnstile cycle raises an alarm."""

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from gate_agent.app import build_loop
from gate_agent.decision.tailgate import TailgateWatch
from gate_agent.face.track import FaceTracks
from gate_agent.links.bus import MqttIncoming
from gate_agent.loop.agent import GateAgent
from gate_protocol.messages import (
    AckResult,
    AlarmKind,
    AlarmRaised,
    CommandAck,
    Decision,
    OpenCommand,
    Passage,
    decode_message,
    encode_message,
)
from gate_protocol.topics import GateChannel
from testkit.agent.doubles import topic
from testkit.agent.faces import ALICE, BOB, IMAGE, near, seen
from testkit.agent.loop import FakeBus, FakeWorkers, build, decided


def test_more_faces_than_grants_in_a_cycle_is_suspect_after_the_settle_time() -> None:
    seen_faces = {(1.0, 2.0): 2, (5.0, 6.0): 1}
    watch = TailgateWatch(faces=lambda start, end: seen_faces[(start, end)], settle_s=0.5)
    watch.on_passage(lane=0, opened_at=1.0, closed_at=2.0)
    watch.on_passage(lane=0, opened_at=5.0, closed_at=6.0)
    assert watch.due(now=2.4) == []  # the tracker may still be filing the cycle's frames
    [suspect] = watch.due(now=2.6)
    assert (suspect.faces, suspect.grants, suspect.cycle.lane) == (2, 1, 0)
    assert suspect.detail == "2 faces seen passing on 1 grant in one turnstile cycle"
    assert watch.due(now=2.7) == []  # checked once
    assert watch.due(now=7.0) == []  # one face, one grant


def test_overlapping_grants_on_two_lanes_count_together() -> None:
    watch = TailgateWatch(faces=lambda start, end: 2, settle_s=0.0)
    watch.on_passage(lane=0, opened_at=1.0, closed_at=3.0)
    watch.on_passage(lane=1, opened_at=2.0, closed_at=4.0)
    assert watch.due(now=10.0) == []


def with_faces(tmp_path: Path, tracks: FaceTracks) -> tuple[GateAgent, FakeBus]:
    agent, outbox, bus = build(tmp_path)
    workers = FakeWorkers()
    faced = build_loop(
        config=agent._config,
        bus=bus,
        outbox=outbox,
        events=agent._delivery.events,
        workers=workers,
        replica=agent.replica,
        inbox=agent._inbox,
        faces=tracks,
    )
    faced.connected = True
    return faced, bus


def open_and_pass(
    agent: GateAgent, bus: FakeBus, tracks: FaceTracks, during: list[list[np.ndarray]]
) -> None:
    agent.handle(decided(Decision.GRANTED))
    command = decode_message(bus.on(GateChannel.CMD_OPEN)[-1], expected=OpenCommand)
    assert isinstance(command, OpenCommand)
    now = datetime.now(UTC)
    ack = CommandAck(command_id=command.command_id, result=AckResult.OPENED, at=now)
    agent.handle(MqttIncoming(topic(GateChannel.CMD_ACK), encode_message(ack)))
    for faces in during:
        time.sleep(0.01)
        tracks.observe(seen(*faces), image=IMAGE, at=time.monotonic())
    passage = Passage(command_id=command.command_id, lane=0, passed=True, at=now)
    agent.handle(MqttIncoming(topic(GateChannel.PASSAGE), encode_message(passage)))


def alarms(bus: FakeBus) -> list[AlarmKind]:
    out = []
    for payload in bus.on(GateChannel.ALARM):
        alarm = decode_message(payload, expected=AlarmRaised)
        assert isinstance(alarm, AlarmRaised)
        out.append(alarm.alarm)
    return out


def test_loop_raises_tailgating_when_two_faces_pass_on_one_grant(tmp_path: Path) -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    agent, bus = with_faces(tmp_path, tracks)
    open_and_pass(agent, bus, tracks, [[ALICE], [near(ALICE), BOB]])
    agent.tick()
    assert alarms(bus) == []  # not before the settle time
    time.sleep(1.05)
    agent.tick()
    assert alarms(bus) == [AlarmKind.TAILGATING]


def test_loop_stays_quiet_when_one_face_passes_on_one_grant(tmp_path: Path) -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    agent, bus = with_faces(tmp_path, tracks)
    open_and_pass(agent, bus, tracks, [[ALICE], [near(ALICE)]])
    time.sleep(1.05)
    agent.tick()
    assert alarms(bus) == []
