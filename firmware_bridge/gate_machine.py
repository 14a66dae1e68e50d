"""The pure state machine of a whole gate: its lanes, tamper switch and readers.

It turns hardware inputs and commands into effects (relay moves, passages, alarms) and
tells the caller when the gate's published state changed. Time comes in as `now` (seconds
on a monotonic clock) so that tests drive it with a fake clock.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from gate_protocol.messages import AlarmKind, DoorState

from firmware_bridge.lane_machine import Effect, FailMode, LaneMachine, RaiseAlarm

__all__ = ["GateMachine", "GateSnapshot", "LaneSpec"]

# Worst first: the gate's summary door state is the worst state of any lane.
_SEVERITY = (DoorState.FORCED, DoorState.HELD, DoorState.OPEN, DoorState.UNLOCKED)


@dataclass(frozen=True, slots=True)
class LaneSpec:
    """How one lane is set up."""

    lane: int
    fail_mode: FailMode


@dataclass(frozen=True, slots=True)
class GateSnapshot:
    """What GateState publishes."""

    door: DoorState
    tamper: bool
    lanes: tuple[tuple[int, DoorState], ...]
    readers_offline: tuple[str, ...]


class GateMachine:
    """All lanes of one gate plus the gate-wide tamper and reader status."""

    def __init__(self, *, lanes: Iterable[LaneSpec], held_after_s: float) -> None:
        self._lanes = {
            spec.lane: LaneMachine(
                lane=spec.lane, fail_mode=spec.fail_mode, held_after_s=held_after_s
            )
            for spec in lanes
        }
        if not self._lanes:
            raise ValueError("a gate needs at least one lane")
        self.tamper = False
        self._offline: set[str] = set()

    def has_lane(self, lane: int) -> bool:
        """Whether `lane` exists at this gate."""
        return lane in self._lanes

    def lane(self, lane: int) -> LaneMachine:
        """The machine of one lane (KeyError if unknown)."""
        return self._lanes[lane]

    def snapshot(self) -> GateSnapshot:
        """The current state, for GateState and for change detection."""
        lanes = tuple(sorted((n, m.door) for n, m in self._lanes.items()))
        door = next(
            (state for state in _SEVERITY if any(d is state for _, d in lanes)), DoorState.CLOSED
        )
        return GateSnapshot(
            door=door, tamper=self.tamper, lanes=lanes, readers_offline=tuple(sorted(self._offline))
        )

    def set_tamper(self, *, active: bool) -> list[Effect]:
        """The enclosure or reader tamper switch changed."""
        if active == self.tamper:
            return []
        self.tamper = active
        return [RaiseAlarm(AlarmKind.TAMPER, None, "tamper switch active")] if active else []

    def set_reader_online(self, *, reader_id: str, online: bool) -> list[Effect]:
        """A reader came online or went offline."""
        if online:
            self._offline.discard(reader_id)
            return []
        if reader_id in self._offline:
            return []
        self._offline.add(reader_id)
        return [RaiseAlarm(AlarmKind.READER_OFFLINE, None, f"reader {reader_id} offline")]

    def tick(self, *, now: float) -> list[Effect]:
        """Advance every lane's timers."""
        return [effect for m in self._lanes.values() for effect in m.tick(now=now)]

    def restart_after_crash(self, *, detail: str) -> list[Effect]:
        """The bridge restarted after an unclean stop: lock every lane and raise a fault."""
        effects: list[Effect] = [RaiseAlarm(AlarmKind.FAULT, None, detail)]
        for machine in self._lanes.values():
            effects.extend(machine.reset())
        return effects

    def enter_fail_positions(self, *, detail: str) -> list[Effect]:
        """Control is lost (watchdog, shutdown): each lane goes to its fail mode position."""
        effects: list[Effect] = [RaiseAlarm(AlarmKind.FAULT, None, detail)]
        for machine in self._lanes.values():
            effects.extend(machine.fail_position())
        return effects
