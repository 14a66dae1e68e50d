"""The tailgating cue: more faces passing than grants in one turnstile cycle. Pure.

A cycle runs from the grant's OpenCommand to the bridge's Passage report (`passed=true`).
Its check waits `settle_s` after the passage, so the tracker has filed the last frames of the
cycle, then counts the distinct faces the camera saw during the cycle (the face track's
`faces_between`) against the grants whose cycles overlap it (one turnstile, several lanes
in view). More faces than grants: the loop raises a `tailgating` alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Cycle", "TailgateSuspect", "TailgateWatch"]

FaceCounter = Callable[[float, float], int]
_KEEP_CYCLES = 64


@dataclass(frozen=True, slots=True)
class Cycle:
    """One granted passage: its lane and when the gate opened and the passage was reported."""

    lane: int
    opened_at: float
    closed_at: float


@dataclass(frozen=True, slots=True)
class TailgateSuspect:
    """A cycle with more faces than grants."""

    cycle: Cycle
    faces: int
    grants: int

    @property
    def detail(self) -> str:
        """The alarm's detail."""
        return (
            f"{self.faces} faces seen passing on {self.grants} "
            f"grant{'s' if self.grants != 1 else ''} in one turnstile cycle"
        )


class TailgateWatch:
    """Cycles waiting for their check, and the recent ones that count as grants.

    Args:
        faces: Distinct faces seen from a start to an end time (monotonic).
        settle_s: How long after the passage the cycle is checked.
    """

    def __init__(self, *, faces: FaceCounter, settle_s: float = 1.0) -> None:
        self._faces = faces
        self._settle_s = settle_s
        self._waiting: list[Cycle] = []
        self._recent: list[Cycle] = []

    def on_passage(self, *, lane: int, opened_at: float, closed_at: float) -> None:
        """Note a granted cycle that ended with a passage."""
        cycle = Cycle(lane, opened_at, max(closed_at, opened_at))
        self._waiting.append(cycle)
        self._recent = [*self._recent[-(_KEEP_CYCLES - 1) :], cycle]

    def due(self, *, now: float) -> list[TailgateSuspect]:
        """Check the cycles whose settle time has passed; the suspect ones."""
        ready = [c for c in self._waiting if now >= c.closed_at + self._settle_s]
        if not ready:
            return []
        self._waiting = [c for c in self._waiting if c not in ready]
        suspects = []
        for cycle in ready:
            faces = self._faces(cycle.opened_at, cycle.closed_at)
            grants = sum(
                1
                for other in self._recent
                if other.opened_at <= cycle.closed_at and other.closed_at >= cycle.opened_at
            )
            if faces > grants:
                suspects.append(TailgateSuspect(cycle, faces, grants))
        return suspects
