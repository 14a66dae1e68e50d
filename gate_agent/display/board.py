"""Each lane's current screen, written by the agent's threads and read by the lane pages.

The loop thread writes outcomes, the decision worker writes "look at the camera"; the
HTTP server's threads wait for a change (`LaneBoard.wait`). An outcome stays `show_s`
seconds, then the lane is idle again (a new screen, so a waiting page sees it). Nothing
here knows a person beyond a first name and a language.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

__all__ = ["LaneBoard", "Screen", "ScreenState"]


class ScreenState(StrEnum):
    """What a lane's screen is showing."""

    IDLE = "idle"
    LOOK = "look"
    GRANTED = "granted"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Screen:
    """One lane's screen: its state and the texts (message ids of the ``lane`` domain)."""

    state: ScreenState = ScreenState.IDLE
    seq: int = 0
    name: str | None = None  # a first name, and only on a grant
    message: str | None = None
    action: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    hint: str | None = None
    language: str = "en"

    def as_json(self) -> dict[str, object]:
        """What the page receives: the screen, nothing else."""
        return {
            "state": self.state.value,
            "seq": self.seq,
            "name": self.name,
            "message": self.message,
            "action": self.action,
            "params": self.params,
            "hint": self.hint,
            "language": self.language,
        }


class LaneBoard:
    """The screens of a gate's lanes (screens of other lanes are never handed out).

    Args:
        lanes: The lanes that have a screen.
        show_s: How long an outcome or a hint stays before the lane is idle again.
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        lanes: Iterable[int],
        *,
        show_s: float = 8.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._screens: dict[int, tuple[Screen, float]] = {lane: (Screen(), 0.0) for lane in lanes}
        self._show_s = show_s
        self._clock = clock
        self._changed = threading.Condition()
        self._seq = 0
        self._closed = False

    @property
    def lanes(self) -> frozenset[int]:
        """The lanes with a screen."""
        return frozenset(self._screens)

    def show(self, lane: int, screen: Screen) -> None:
        """Put `screen` on `lane` (a lane without a screen: ignored)."""
        with self._changed:
            if lane not in self._screens:
                return
            self._seq += 1
            self._screens[lane] = (replace(screen, seq=self._seq), self._clock())
            self._changed.notify_all()

    def rehint(self, lane: int, hint: str) -> None:
        """Change the hint of `lane`'s "look" screen (another screen, or no screen: kept).

        The face step's hint never replaces an outcome that is already shown.
        """
        with self._changed:
            if lane not in self._screens:
                return
            screen = self._current(lane)
            if screen.state is not ScreenState.LOOK or screen.hint == hint:
                return
            self._seq += 1
            self._screens[lane] = (replace(screen, hint=hint, seq=self._seq), self._clock())
            self._changed.notify_all()

    def current(self, lane: int) -> Screen:
        """The screen `lane` shows now (idle once an outcome has been shown long enough).

        Raises:
            KeyError: `lane` has no screen.
        """
        with self._changed:
            return self._current(lane)

    def _current(self, lane: int) -> Screen:
        screen, since = self._screens[lane]
        if screen.state is not ScreenState.IDLE and self._clock() - since >= self._show_s:
            self._seq += 1
            screen = Screen(seq=self._seq)
            self._screens[lane] = (screen, self._clock())
        return screen

    def wait(self, lane: int, *, after: int, timeout: float) -> Screen:
        """The screen of `lane` once its seq is past `after`, or as it is after `timeout` s.

        Raises:
            KeyError: `lane` has no screen.
        """
        deadline = self._clock() + timeout
        with self._changed:
            while not self._closed:
                screen, since = self._screens[lane]
                screen = self._current(lane)
                left = deadline - self._clock()
                if screen.seq > after or left <= 0:
                    return screen
                if screen.state is not ScreenState.IDLE:
                    left = min(left, max(since + self._show_s - self._clock(), 0.01))
                self._changed.wait(left)
            return self._screens[lane][0]

    def close(self) -> None:
        """Wake every waiting reader (the server is stopping)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
