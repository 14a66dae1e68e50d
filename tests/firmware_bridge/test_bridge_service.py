import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware_bridge.config import BridgeConfig, LaneConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_protocol.messages import (
    MAX_PAYLOAD_BYTES,
    AccessEvent,
    AckResult,
    AlarmKind,
    AlarmRaised,
    CommandAck,
    CredentialKind,
    CredentialPresented,
    DecidedBy,
    Decision,
    Direction,
    DoorState,
    GateState,
    NodeState,
    NodeStatus,
    OpenCommand,
    Passage,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel, GateTopic
from testkit.bridge_fakes import RecordingBus

CMD = GateTopic(site="s1", gate="g1", channel=GateChannel.CMD_OPEN)
EVENT = GateTopic(site="s1", gate="g1", channel=GateChannel.EVENT)


def make_config(tmp_path: Path, **overrides: object) -> BridgeConfig:
    data: dict[str, object] = {
        "site": "s1",
        "gate": "g1",
        "lanes": [
            LaneConfig(lane=0, direction=Direction.ENTRY),
            LaneConfig(lane=1, direction=Direction.EXIT),
        ],
        "state_dir": tmp_path / "state",
        "held_open_s": 0.5,
        "watchdog_s": 0.5,
        "require_signed_commands": False,  # signatures: tests/integration/test_signed_commands.py
    }
    data.update(overrides)
    return BridgeConfig.model_validate(data)


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.sim = SimulatedTurnstile(lanes=[0, 1])
        self.bus = RecordingBus()
        self.bridge = Bridge(
            config=make_config(tmp_path), turnstile=self.sim, reader=self.sim, bus=self.bus
        )

    def open_command(
        self, command_id: str, *, expires_in: float = 10, lane: int = 0, pulse_ms: int = 3000
    ) -> bytes:
        now = datetime.now(UTC)
        return encode_message(
            OpenCommand(
                command_id=command_id,
                lane=lane,
                direction=Direction.ENTRY,
                pulse_ms=pulse_ms,
                issued_at=now,
                expires_at=now + timedelta(seconds=expires_in),
                issued_by="agent-g1",
            )
        )

    def acks(self) -> dict[str, AckResult]:
        return {a.command_id: a.result for a in self.bus.of_kind(CommandAck)}

    def alarms(self) -> list[AlarmKind]:
        return [a.alarm for a in self.bus.of_kind(AlarmRaised)]

    def wait_ack(self, command_id: str) -> AckResult:
        assert self.bus.wait_for(lambda: command_id in self.acks()), f"no ack for {command_id}"
        return self.acks()[command_id]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    rig.bridge.start()
    yield rig
    rig.bridge.stop()


def test_startup_subscribes_and_publishes_online_and_state(rig: Rig) -> None:
    assert rig.bus.wait_for(lambda: bool(rig.bus.of_kind(GateState)))
    assert len(rig.bus.subscriptions) == 3  # commands, events, the agent's status
    status = rig.bus.of_kind(NodeStatus)
    assert status and status[0].state is NodeState.ONLINE
    retained = [
        (m.kind, r) for _, m, r in rig.bus.published if isinstance(m, GateState | NodeStatus)
    ]
    assert all(r for _, r in retained)


def test_open_command_opens_once_and_reports_passage(rig: Rig) -> None:
    rig.bus.inject(CMD, rig.open_command("c1"))
    assert rig.wait_ack("c1") is AckResult.OPENED
    assert rig.sim.is_unlocked(0)
    assert rig.sim.indications(0) == [True]
    rig.sim.walk_through(lane=0)
    assert rig.bus.wait_for(lambda: bool(rig.bus.of_kind(Passage)))
    passage = rig.bus.of_kind(Passage)[0]
    assert (passage.command_id, passage.passed) == ("c1", True)
    assert rig.bus.wait_for(lambda: not rig.sim.is_unlocked(0))
    rig.bus.inject(CMD, rig.open_command("c1"))  # redelivery
    assert rig.bus.wait_for(lambda: len(rig.bus.of_kind(CommandAck)) == 2)
    assert rig.bus.of_kind(CommandAck)[1].result is AckResult.DUPLICATE
    assert rig.sim.unlock_count() == 1
    assert rig.alarms() == []


def test_unused_opening_times_out_as_not_passed(rig: Rig) -> None:
    rig.bus.inject(CMD, rig.open_command("c1", pulse_ms=200))
    assert rig.wait_ack("c1") is AckResult.OPENED
    assert rig.bus.wait_for(lambda: bool(rig.bus.of_kind(Passage)))
    assert rig.bus.of_kind(Passage)[0].passed is False
    assert not rig.sim.is_unlocked(0)


def test_expired_and_unknown_lane_commands_never_actuate(rig: Rig) -> None:
    rig.bus.inject(CMD, rig.open_command("old", expires_in=-5))
    rig.bus.inject(CMD, rig.open_command("nolane", lane=7))
    assert rig.wait_ack("old") is AckResult.EXPIRED
    assert rig.wait_ack("nolane") is AckResult.FAULT
    assert rig.sim.unlock_count() == 0


def test_duplicate_survives_a_restart(tmp_path: Path) -> None:
    first = Rig(tmp_path)
    first.bridge.start()
    first.bus.inject(CMD, first.open_command("c1"))
    assert first.wait_ack("c1") is AckResult.OPENED
    first.bridge.stop()
    second = Rig(tmp_path)
    second.bridge.start()
    try:
        second.bus.inject(CMD, second.open_command("c1"))
        assert second.wait_ack("c1") is AckResult.DUPLICATE
        assert second.sim.unlock_count() == 0
        assert AlarmKind.FAULT not in second.alarms()  # the first run stopped cleanly
    finally:
        second.bridge.stop()


def test_restart_after_crash_raises_fault_and_locks(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "running").write_text("12345")  # left behind by a crashed run
    rig = Rig(tmp_path)
    rig.bridge.start()
    try:
        assert rig.bus.wait_for(lambda: AlarmKind.FAULT in rig.alarms())
        assert not rig.sim.is_unlocked(0) and not rig.sim.is_unlocked(1)
    finally:
        rig.bridge.stop()
    assert not (tmp_path / "state" / "running").exists()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b"x" * (MAX_PAYLOAD_BYTES + 1), "oversized"),
        (b'{"kind": "launch_missiles", "schema_version": 1}', "unknown_kind"),
        (b'{"kind": "open_command", "schema_version": 1, "lane": -1}', "invalid"),
    ],
)
def test_bad_payloads_are_dropped_and_counted(rig: Rig, payload: bytes, reason: str) -> None:
    rig.bus.inject(CMD, payload)
    rig.bus.inject(CMD, rig.open_command("after"))  # the loop keeps going
    assert rig.wait_ack("after") is AckResult.OPENED
    assert rig.bridge.drops[reason] == 1
    assert set(rig.acks()) == {"after"}


def test_unexpected_kind_and_foreign_topic_are_dropped(rig: Rig) -> None:
    state = GateState(door=DoorState.CLOSED, at=datetime.now(UTC))
    rig.bus.inject(CMD, encode_message(state))
    rig.bus.inject("portgate/v1/s1/gates/other/cmd/open", rig.open_command("foreign"))
    rig.bus.inject("not/a/portgate/topic", b"{}")
    rig.bus.inject(CMD, rig.open_command("after"))
    assert rig.wait_ack("after") is AckResult.OPENED
    assert rig.bridge.drops["unexpected_kind"] == 1
    assert rig.bridge.drops["topic"] == 2
    assert "foreign" not in rig.acks()


def test_card_read_becomes_credential(rig: Rig) -> None:
    rig.sim.present_card(lane=1, facility_code=12, card_number=3456)
    assert rig.bus.wait_for(lambda: bool(rig.bus.of_kind(CredentialPresented)))
    cred = rig.bus.of_kind(CredentialPresented)[0]
    assert (cred.badge_number, cred.facility_code, cred.lane, cred.reader_id) == (
        "3456",
        12,
        1,
        "sim-reader",
    )


def test_denied_event_shows_red(rig: Rig) -> None:
    event = AccessEvent(
        event_id="e1",
        agent_seq=1,
        occurred_at=datetime.now(UTC),
        lane=1,
        direction=Direction.EXIT,
        decision=Decision.DENIED,
        reason=next(iter(ReasonCode)),
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
    )
    rig.bus.inject(EVENT, encode_message(event))
    assert rig.bus.wait_for(lambda: rig.sim.indications(1) == [False])


def test_forced_held_tamper_and_reader_offline_alarms_within_two_seconds(rig: Rig) -> None:
    started = time.monotonic()
    rig.sim.open_door(lane=0)
    rig.sim.set_tamper(active=True)
    rig.sim.set_reader_online(online=False)
    assert rig.bus.wait_for(
        lambda: {AlarmKind.FORCED, AlarmKind.TAMPER, AlarmKind.READER_OFFLINE} <= set(rig.alarms()),
        timeout=2,
    )
    assert time.monotonic() - started < 2
    assert rig.bus.wait_for(
        lambda: any(s.door is DoorState.FORCED and s.tamper for s in rig.bus.of_kind(GateState)),
        timeout=2,
    )
    # The retained state tells a dashboard which readers are away, not only the alarm.
    assert rig.bus.wait_for(
        lambda: any(s.readers_offline for s in rig.bus.of_kind(GateState)), timeout=2
    )
    rig.sim.set_reader_online(online=True)
    assert rig.bus.wait_for(lambda: rig.bus.of_kind(GateState)[-1].readers_offline == (), timeout=2)
    rig.sim.close_door(lane=0)
    rig.bus.inject(CMD, rig.open_command("c1", lane=1))
    assert rig.wait_ack("c1") is AckResult.OPENED
    rig.sim.open_door(lane=1)  # and keeps it open past held_open_s (0.5 s)
    assert rig.bus.wait_for(lambda: AlarmKind.HELD in rig.alarms(), timeout=2)
    assert rig.bus.wait_for(
        lambda: any(ln.door is DoorState.HELD for s in rig.bus.of_kind(GateState) for ln in s.lanes)
    )


def test_watchdog_drives_fail_positions_when_the_worker_stalls(rig: Rig) -> None:
    rig.bus.inject(CMD, rig.open_command("c1", lane=0))
    assert rig.wait_ack("c1") is AckResult.OPENED
    original = rig.sim.indicate

    def stall(*, lane: int, granted: bool) -> None:
        time.sleep(1.5)  # a hung driver call: the worker cannot beat
        original(lane=lane, granted=granted)

    rig.sim.indicate = stall  # type: ignore[method-assign]
    rig.bus.inject(CMD, rig.open_command("c2", lane=1))
    assert rig.bus.wait_for(lambda: AlarmKind.FAULT in rig.alarms(), timeout=3)
    # Entry lane 0 fails secure (locked), exit lane 1 fails safe (released).
    assert not rig.sim.is_unlocked(0)
    assert rig.wait_ack("c2") is AckResult.OPENED
    rig.sim.indicate = original  # type: ignore[method-assign]
    assert rig.bus.wait_for(lambda: not rig.sim.is_unlocked(1), timeout=3)  # recovered: locked


def test_worker_loop_touches_its_heartbeat_file(tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    sim = SimulatedTurnstile(lanes=[0, 1])
    bridge = Bridge(
        config=make_config(tmp_path, heartbeat_path=beat),
        turnstile=sim,
        reader=sim,
        bus=RecordingBus(),
    )
    bridge.start()
    try:
        deadline = time.monotonic() + 5
        while not beat.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert beat.exists()
        first = beat.stat().st_mtime_ns
        deadline = time.monotonic() + 5
        while beat.stat().st_mtime_ns == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert beat.stat().st_mtime_ns > first
    finally:
        bridge.stop()
