"""The base of the agent's background loops (face track, pre-search): one daemon thread.

A subclass implements `_loop`, which runs until `_stop` is set; `stop` waits for the
iteration in progress to finish. While someone holds the loop (`hold`: the face window
after a credential, whose latency the person at the gate waits on) the loop does no new
work; it checks `_held` before each piece.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

__all__ = ["Holds", "LoopThread", "lower_this_thread"]

_LOWEST = 19


def lower_this_thread(by: int) -> None:
    """Lower the calling thread's CPU priority by `by` nice levels (at most to 19).

    For work done ahead on speculation (the presearch): on a box that serves several lanes
    it takes only the CPU that tracking and decisions leave, instead of an equal share.
    Linux sets the nice value per thread; elsewhere it would set the whole process's, so
    nothing is done there.
    """
    if by <= 0 or sys.platform != "linux":
        return
    thread = threading.get_native_id()
    now = os.getpriority(os.PRIO_PROCESS, thread)
    os.setpriority(os.PRIO_PROCESS, thread, min(now + by, _LOWEST))


class Holds:
    """How many callers hold some background work idle (nests; thread-safe)."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the work idle until the block ends."""
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1

    def held(self) -> bool:
        """Whether anyone holds it now."""
        with self._lock:
            return self._count > 0


class LoopThread:
    """A daemon thread running `_loop` from `start` until `stop`."""

    def __init__(self, *, name: str) -> None:
        """Prepare the thread (named `name` in stack dumps); nothing runs before `start`."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._holds = Holds()

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Keep the loop idle while the caller runs its own face work (nests)."""
        return self._holds.hold()

    def _held(self) -> bool:
        return self._holds.held()

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (the iteration in progress finishes first, at most 5 s waited)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    def _loop(self) -> None:
        raise NotImplementedError
