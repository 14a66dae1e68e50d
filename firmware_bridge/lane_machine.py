"""The pure state machine of one turnstile lane (no I/O, no clock: callers pass `now`).

A lane is ``closed`` (locked), ``unlocked`` (a granted pulse is running), ``open`` (the door
or arm moved during a grant), ``forced`` (moved without a grant) or ``held`` (open longer
than allowed). Every input returns the effects the caller must carry out, in order.

    closed --unlock--> unlocked --passage--> closed          (Passage passed=True)
                        unlocked --pulse ends--> closed       (Passage passed=False)
                        unlocked --door opens--> open --door closes--> closed (passed=True)
    closed --door opens--> forced (alarm)        open --open > held_after--> held (alarm)
"""

from dataclasses import dataclass
from enum import StrEnum

from gate_protocol.messages import AlarmKind, DoorState

__all__ = [
    "Actuate",
    "Effect",
    "FailMode",
    "LaneMachine",
    "RaiseAlarm",
    "ReportPassage",
]


class FailMode(StrEnum):
    """Where a lane's lock goes when the bridge cannot control it."""

    SECURE = "secure"  # stays locked: entry lanes, nobody gets in unchecked
    SAFE = "safe"  # releases: exit lanes, people can always leave (life safety)


@dataclass(frozen=True, slots=True)
class Actuate:
    """Drive the lane's lock relay."""

    lane: int
    unlocked: bool


@dataclass(frozen=True, slots=True)
class ReportPassage:
    """Tell the agent whether somebody passed after an opening."""

    lane: int
    command_id: str
    passed: bool


@dataclass(frozen=True, slots=True)
class RaiseAlarm:
    """Raise an alarm for an operator."""

    kind: AlarmKind
    lane: int | None
    detail: str


Effect = Actuate | ReportPassage | RaiseAlarm


@dataclass(slots=True)
class _Grant:
    command_id: str
    until: float
    door_moved: bool = False
    relocked: bool = False


class LaneMachine:
    """One lane: its door state, its running grant and its door-open timer."""

    def __init__(self, *, lane: int, fail_mode: FailMode, held_after_s: float) -> None:
        self.lane = lane
        self.fail_mode = fail_mode
        self.held_after_s = held_after_s
        self.door = DoorState.CLOSED
        self._grant: _Grant | None = None
        self._opened_at: float | None = None

    @property
    def door_is_open(self) -> bool:
        """Whether the door contact currently reports open."""
        return self._opened_at is not None

    def unlock(self, *, command_id: str, pulse_ms: int, now: float) -> list[Effect]:
        """Start a granted opening of `pulse_ms` milliseconds."""
        effects: list[Effect] = []
        if self._grant is not None:
            # A newer grant supersedes the old one; the old one is closed as not passed.
            effects.append(ReportPassage(self.lane, self._grant.command_id, passed=False))
        self._grant = _Grant(command_id=command_id, until=now + pulse_ms / 1000)
        if self.door is DoorState.CLOSED:
            self.door = DoorState.UNLOCKED
        effects.append(Actuate(self.lane, unlocked=True))
        return effects

    def passage(self, *, now: float) -> list[Effect]:
        """The passage sensor saw somebody go through."""
        if self._grant is None:
            return [RaiseAlarm(AlarmKind.TAILGATING, self.lane, "passage without a grant")]
        return self._finish(passed=True)

    def door_opened(self, *, now: float) -> list[Effect]:
        """The door contact opened."""
        if self._opened_at is not None:
            return []
        self._opened_at = now
        if self._grant is not None:
            self._grant.door_moved = True
            self.door = DoorState.OPEN
            return []
        self.door = DoorState.FORCED
        return [RaiseAlarm(AlarmKind.FORCED, self.lane, "door opened without a grant")]

    def door_closed(self, *, now: float) -> list[Effect]:
        """The door contact closed."""
        if self._opened_at is None:
            return []
        self._opened_at = None
        if self._grant is not None and self._grant.door_moved:
            return self._finish(passed=True)
        self.door = DoorState.UNLOCKED if self._grant is not None else DoorState.CLOSED
        return []

    def tick(self, *, now: float) -> list[Effect]:
        """Advance timers: end an unused pulse, detect a door held open."""
        effects: list[Effect] = []
        grant = self._grant
        if grant is not None and now >= grant.until and not grant.door_moved:
            effects.extend(self._finish(passed=False))
        elif grant is not None and now >= grant.until and not grant.relocked:
            # The door is still open after the pulse: lock again, report on door close.
            grant.relocked = True
            effects.append(Actuate(self.lane, unlocked=False))
        opened = self._opened_at
        if (
            opened is not None
            and now - opened > self.held_after_s
            and self.door in (DoorState.OPEN, DoorState.UNLOCKED)
        ):
            self.door = DoorState.HELD
            effects.append(
                RaiseAlarm(AlarmKind.HELD, self.lane, f"open longer than {self.held_after_s:g} s")
            )
        return effects

    def reset(self) -> list[Effect]:
        """Forget any grant and lock: the lane's state after a restart."""
        self._grant = None
        self.door = DoorState.CLOSED if self._opened_at is None else DoorState.FORCED
        return [Actuate(self.lane, unlocked=False)]

    def fail_position(self) -> list[Effect]:
        """Drive the lock to this lane's fail mode position (the controller lost control)."""
        self._grant = None
        unlocked = self.fail_mode is FailMode.SAFE
        self.door = DoorState.UNLOCKED if unlocked else DoorState.CLOSED
        return [Actuate(self.lane, unlocked=unlocked)]

    def _finish(self, *, passed: bool) -> list[Effect]:
        grant = self._grant
        assert grant is not None  # noqa: S101 (callers check)
        self._grant = None
        if self._opened_at is None:
            self.door = DoorState.CLOSED
        elif self.door is not DoorState.HELD:
            self.door = DoorState.OPEN
        return [
            Actuate(self.lane, unlocked=False),
            ReportPassage(self.lane, grant.command_id, passed=passed),
        ]
