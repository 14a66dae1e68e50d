"""The agent loop's decisions about recording and opening, with a fake bus and a real outbox."""

import time
from datetime import UTC, datetime
from pathlib import Path

from gate_agent.decision.decider import PresentationDecided
from gate_agent.decision.presentation import Verdict
from gate_agent.links.bus import MqttIncoming, MqttPublished
from gate_agent.loop.inbox import OutboxConfirmed
from gate_agent.outbox.confirm import ConfirmOutcome, ConfirmResult
from gate_agent.outbox.kinds import EVENTS
from gate_protocol.messages import (
    AccessEvent,
    AckResult,
    AlarmKind,
    AlarmRaised,
    CommandAck,
    DecidedBy,
    Decision,
    Direction,
    OpenCommand,
    Passage,
    decode_message,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel
from testkit.agent.doubles import topic
from testkit.agent.loop import FakeWorkers, build, decided


def test_connect_subscribes_and_announces_online(tmp_path: Path) -> None:
    agent, _, bus = build(tmp_path)
    assert topic(GateChannel.CREDENTIAL) in bus.subscriptions
    assert topic(GateChannel.CMD_ACK) in bus.subscriptions
    assert any(t == agent.status_topic for t, _ in bus.published)


def test_grant_is_drafted_on_disk_before_the_command_leaves(tmp_path: Path) -> None:
    agent, outbox, bus = build(tmp_path)
    agent.handle(decided(Decision.GRANTED))
    assert bus.drafts_at_open == [1]
    [raw] = bus.on(GateChannel.CMD_OPEN)
    command = decode_message(raw, expected=OpenCommand)
    assert isinstance(command, OpenCommand)
    ack = CommandAck(command_id=command.command_id, result=AckResult.OPENED, at=datetime.now(UTC))
    agent.handle(MqttIncoming(topic(GateChannel.CMD_ACK), encode_message(ack)))
    passage = Passage(command_id=command.command_id, lane=0, passed=True, at=datetime.now(UTC))
    agent.handle(MqttIncoming(topic(GateChannel.PASSAGE), encode_message(passage)))
    assert outbox.drafts() == [] and outbox.events.unsent == 1
    [raw_event] = bus.on(GateChannel.EVENT)
    event = decode_message(raw_event, expected=AccessEvent)
    assert isinstance(event, AccessEvent)
    assert event.passed is True and event.command_id == command.command_id
    agent.handle(MqttPublished(mid=len(bus.published)))
    assert outbox.events.unsent == 0
    # The passage is remembered for offline anti-passback, also across a restart.
    assert agent.replica.last_passages["P1"].direction is Direction.ENTRY
    assert outbox.last_passages()["P1"] == agent.replica.last_passages["P1"]


def test_full_outbox_denies_grants_and_raises_outbox_full_once(tmp_path: Path) -> None:
    agent, outbox, bus = build(tmp_path, max_unsent=2)
    agent.connected = False  # nothing is delivered: the outbox fills up
    agent.handle(decided(Decision.DENIED))
    agent.handle(decided(Decision.DENIED))
    assert outbox.events.full
    agent.handle(decided(Decision.GRANTED))
    agent.handle(decided(Decision.GRANTED))
    assert bus.on(GateChannel.CMD_OPEN) == []
    events = [p.message for p in outbox.events.pending(limit=10)]
    assert [e.decision for e in events[2:]] == [Decision.DENIED, Decision.DENIED]
    assert events[2].reason is ReasonCode.GATE_OFFLINE_POLICY
    assert events[2].reason_detail is not None and "outbox full" in events[2].reason_detail
    assert bus.on(GateChannel.ALARM) == []  # kept on disk while the broker is away
    agent.connected = True
    agent.tick()
    alarms = [decode_message(p, expected=AlarmRaised) for p in bus.on(GateChannel.ALARM)]
    assert [a.alarm for a in alarms if isinstance(a, AlarmRaised)] == [AlarmKind.OUTBOX_FULL]


def test_presentations_go_to_the_workers_unless_the_outbox_is_full(tmp_path: Path) -> None:
    agent, outbox, bus = build(tmp_path, max_unsent=1)
    from gate_protocol.messages import BadgeFormat, CredentialPresented

    read = CredentialPresented(
        badge_number="1234",
        format=BadgeFormat.RAW,
        reader_id="r1",
        lane=1,
        read_at=datetime.now(UTC),
    )
    agent.handle(MqttIncoming(topic(GateChannel.CREDENTIAL), encode_message(read)))
    workers = agent._workers
    assert isinstance(workers, FakeWorkers)
    assert [p.direction for p in workers.submitted] == [Direction.EXIT]
    other_lane = read.model_copy(update={"lane": 9})
    agent.handle(MqttIncoming(topic(GateChannel.CREDENTIAL), encode_message(other_lane)))
    assert agent.drops["credential:unknown_lane"] == 1
    agent.connected = False
    agent.handle(decided(Decision.DENIED))
    agent.handle(MqttIncoming(topic(GateChannel.CREDENTIAL), encode_message(read)))
    assert len(workers.submitted) == 1  # denied on the spot instead
    assert outbox.events.unsent == 2


def test_restart_turns_drafts_into_events(tmp_path: Path) -> None:
    agent, outbox, bus = build(tmp_path)
    agent.handle(decided(Decision.GRANTED))
    assert len(outbox.drafts()) == 1
    outbox.close()
    agent2, outbox2, _ = build(tmp_path)
    assert agent2.recover_drafts() == 1
    [pending] = outbox2.events.pending(limit=5)
    assert pending.message.passed is None and pending.message.decision is Decision.GRANTED
    assert pending.message.reason_detail == "agent restarted before the turnstile answered"


def test_one_time_pass_granted_offline_is_spent_once(tmp_path: Path) -> None:
    agent, outbox, bus = build(tmp_path)
    item = decided(Decision.GRANTED)
    offline = Verdict(
        Decision.GRANTED,
        ReasonCode.GRANTED,
        DecidedBy.REPLICA,
        person_id="P1",
        consume_appointment_id="A1",
    )
    agent.handle(PresentationDecided(item.presentation, offline, None, 1.0))
    agent.handle(PresentationDecided(item.presentation, offline, None, 1.0))
    assert len(bus.on(GateChannel.CMD_OPEN)) == 1
    [denied] = [p.message for p in outbox.events.pending(limit=5)]
    assert denied.reason is ReasonCode.PASS_ALREADY_USED
    assert agent.replica.used_appointments == frozenset({"A1"})
    assert outbox.used_appointments() == frozenset({"A1"})


def test_loop_touches_its_heartbeat(tmp_path: Path) -> None:
    agent, _, _ = build(tmp_path)
    beat = tmp_path / "hb" / "beat"
    agent._config = agent._config.model_copy(update={"heartbeat_path": beat})
    agent.tick()
    assert beat.exists()


def test_http_replay_backs_off_while_the_api_is_away_too(tmp_path: Path) -> None:
    calls: list[str] = []
    agent, outbox, _ = build(tmp_path, calls=calls)
    agent.connected = False
    agent._disconnected_since = time.monotonic() - 60
    agent.handle(decided(Decision.DENIED))
    for _ in range(20):
        agent.tick()
    assert calls == ["/api/v1/events"]  # one try, then a pause
    assert outbox.events.unsent == 1


def test_a_full_decision_queue_still_gives_one_denial_event(tmp_path: Path) -> None:
    from gate_protocol.messages import BadgeFormat, CredentialPresented

    agent, outbox, _ = build(tmp_path)
    workers = agent._workers
    assert isinstance(workers, FakeWorkers)
    workers.submit = lambda presentation: False  # type: ignore[method-assign]
    read = CredentialPresented(
        badge_number="1234",
        format=BadgeFormat.RAW,
        reader_id="r1",
        lane=0,
        read_at=datetime.now(UTC),
    )
    agent.handle(MqttIncoming(topic(GateChannel.CREDENTIAL), encode_message(read)))
    [pending] = outbox.events.pending(limit=5)
    assert pending.message.decision is Decision.DENIED
    assert pending.message.reason_detail == "gate busy: decision queue full"
    assert agent.drops["presentation:busy"] == 1


def test_published_events_go_to_the_confirm_worker_and_back(tmp_path: Path) -> None:
    workers = FakeWorkers()
    agent, outbox, bus = build(tmp_path, workers=workers, confirm_interval_s=0.01)
    agent.handle(decided(Decision.DENIED))
    agent.handle(decided(Decision.DENIED))
    first, second = (len(bus.published) - 1, len(bus.published))
    agent.handle(MqttPublished(mid=first))
    time.sleep(0.02)
    agent.tick()
    # Only the PUBACKed event is asked about; one job at a time.
    [job] = workers.confirms
    assert [p.seq for p in job.batches[0].pending] == [1]
    agent.handle(MqttPublished(mid=second))
    time.sleep(0.02)
    agent.tick()
    assert len(workers.confirms) == 1
    assert outbox.events.unsent == 0 and outbox.events.unconfirmed == 2
    confirmed = ConfirmOutcome(EVENTS, asked=1, confirmed=(1,), known=0, resent=1)
    agent.handle(OutboxConfirmed(ConfirmResult((confirmed,))))
    assert outbox.events.unconfirmed == 1
    time.sleep(0.02)
    agent.tick()
    assert [p.seq for p in workers.confirms[-1].batches[0].pending] == [2]
    # A failed round confirms nothing; the next round asks again.
    agent.handle(OutboxConfirmed(ConfirmResult((ConfirmOutcome(EVENTS, 2, error="HTTP 503"),))))
    assert outbox.events.unconfirmed == 1
    time.sleep(0.02)
    agent.tick()
    assert [p.seq for p in workers.confirms[-1].batches[0].pending] == [2]


def test_grants_at_a_lane_are_kept_for_escorts_and_denials_are_not(tmp_path: Path) -> None:
    agent, _, _ = build(tmp_path)
    agent.handle(decided(Decision.DENIED))
    assert agent.replica.recent_presentations == ()
    granted = decided(Decision.GRANTED)
    agent.handle(granted)
    [seen] = agent.replica.recent_presentations
    assert (seen.person_id, seen.lane, seen.at) == ("P1", 0, granted.presentation.occurred_at)
