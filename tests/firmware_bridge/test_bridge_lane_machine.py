from firmware_bridge.gate_machine import GateMachine, LaneSpec
from firmware_bridge.lane_machine import (
    Actuate,
    FailMode,
    LaneMachine,
    RaiseAlarm,
    ReportPassage,
)
from gate_protocol.messages import AlarmKind, DoorState


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def lane(held: float = 10.0) -> LaneMachine:
    return LaneMachine(lane=0, fail_mode=FailMode.SECURE, held_after_s=held)


def test_pulse_then_passage_closes_and_reports_passed() -> None:
    clock, m = FakeClock(), lane()
    assert m.unlock(command_id="c1", pulse_ms=3000, now=clock.now) == [Actuate(0, unlocked=True)]
    assert m.door is DoorState.UNLOCKED
    effects = m.passage(now=clock.advance(1))
    assert effects == [Actuate(0, unlocked=False), ReportPassage(0, "c1", passed=True)]
    assert m.door is DoorState.CLOSED
    assert m.tick(now=clock.advance(10)) == []


def test_pulse_timeout_without_passage_reports_not_passed() -> None:
    clock, m = FakeClock(), lane()
    m.unlock(command_id="c1", pulse_ms=3000, now=clock.now)
    assert m.tick(now=clock.advance(2.9)) == []
    assert m.tick(now=clock.advance(0.2)) == [
        Actuate(0, unlocked=False),
        ReportPassage(0, "c1", passed=False),
    ]
    assert m.door is DoorState.CLOSED


def test_door_contact_cycle_during_grant_counts_as_passage() -> None:
    clock, m = FakeClock(), lane()
    m.unlock(command_id="c1", pulse_ms=3000, now=clock.now)
    assert m.door_opened(now=clock.advance(1)) == []
    assert m.door is DoorState.OPEN
    assert m.door_closed(now=clock.advance(1)) == [
        Actuate(0, unlocked=False),
        ReportPassage(0, "c1", passed=True),
    ]
    assert m.door is DoorState.CLOSED


def test_door_opened_without_grant_is_forced() -> None:
    clock, m = FakeClock(), lane()
    effects = m.door_opened(now=clock.now)
    assert m.door is DoorState.FORCED
    assert [e.kind for e in effects if isinstance(e, RaiseAlarm)] == [AlarmKind.FORCED]
    m.door_closed(now=clock.advance(1))
    assert m.door is DoorState.CLOSED


def test_door_held_open_raises_held_once() -> None:
    clock, m = FakeClock(), lane(held=5)
    m.unlock(command_id="c1", pulse_ms=1000, now=clock.now)
    m.door_opened(now=clock.advance(0.5))
    assert m.tick(now=clock.advance(1)) == [Actuate(0, unlocked=False)]  # relock, door open
    assert m.tick(now=clock.advance(3)) == []
    effects = m.tick(now=clock.advance(2))
    assert [e.kind for e in effects if isinstance(e, RaiseAlarm)] == [AlarmKind.HELD]
    assert m.door is DoorState.HELD
    assert m.tick(now=clock.advance(5)) == []  # no repeat
    assert m.door_closed(now=clock.advance(1)) == [
        Actuate(0, unlocked=False),
        ReportPassage(0, "c1", passed=True),
    ]
    assert m.door is DoorState.CLOSED


def test_passage_without_grant_is_tailgating() -> None:
    m = lane()
    effects = m.passage(now=0)
    assert [e.kind for e in effects if isinstance(e, RaiseAlarm)] == [AlarmKind.TAILGATING]


def test_new_grant_supersedes_old_one() -> None:
    m = lane()
    m.unlock(command_id="c1", pulse_ms=3000, now=0)
    effects = m.unlock(command_id="c2", pulse_ms=3000, now=1)
    assert ReportPassage(0, "c1", passed=False) in effects
    assert m.passage(now=2)[-1] == ReportPassage(0, "c2", passed=True)


def test_fail_positions_follow_fail_mode() -> None:
    gate = GateMachine(
        lanes=[LaneSpec(0, FailMode.SECURE), LaneSpec(1, FailMode.SAFE)], held_after_s=10
    )
    effects = gate.enter_fail_positions(detail="watchdog")
    assert Actuate(0, unlocked=False) in effects and Actuate(1, unlocked=True) in effects
    assert [e.kind for e in effects if isinstance(e, RaiseAlarm)] == [AlarmKind.FAULT]
    assert gate.snapshot().lanes == ((0, DoorState.CLOSED), (1, DoorState.UNLOCKED))


def test_restart_after_crash_locks_everything_and_faults() -> None:
    gate = GateMachine(
        lanes=[LaneSpec(0, FailMode.SECURE), LaneSpec(1, FailMode.SAFE)], held_after_s=10
    )
    gate.lane(1).unlock(command_id="c1", pulse_ms=3000, now=0)
    effects = gate.restart_after_crash(detail="unclean")
    assert Actuate(0, unlocked=False) in effects and Actuate(1, unlocked=False) in effects
    assert [e.kind for e in effects if isinstance(e, RaiseAlarm)] == [AlarmKind.FAULT]
    assert gate.snapshot().door is DoorState.CLOSED
    assert gate.tick(now=100) == []  # the pre-crash grant is gone


def test_gate_summary_tamper_and_reader_offline() -> None:
    gate = GateMachine(
        lanes=[LaneSpec(0, FailMode.SECURE), LaneSpec(1, FailMode.SAFE)], held_after_s=10
    )
    gate.lane(1).door_opened(now=0)
    assert gate.snapshot().door is DoorState.FORCED
    assert [e.kind for e in gate.set_tamper(active=True)] == [AlarmKind.TAMPER]  # type: ignore[union-attr]
    assert gate.set_tamper(active=True) == []
    assert gate.snapshot().tamper
    offline = gate.set_reader_online(reader_id="r1", online=False)
    assert [e.kind for e in offline] == [AlarmKind.READER_OFFLINE]  # type: ignore[union-attr]
    assert gate.set_reader_online(reader_id="r1", online=False) == []
    assert gate.snapshot().readers_offline == ("r1",)
    gate.set_reader_online(reader_id="r1", online=True)
    assert gate.snapshot().readers_offline == ()
