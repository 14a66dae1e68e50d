"""A software watchdog: if the bridge's worker loop stops beating, drive the fail positions.

The worker calls ``beat()`` every loop. A thread calls ``check()``; when the last beat is
older than the timeout the watchdog trips once (``on_trip``) and stays tripped until the
worker beats again (``on_recover``, called from the worker's ``beat``).
"""

import threading
import time
from collections.abc import Callable

__all__ = ["Watchdog"]


class Watchdog:
    """Trips once per stall of the watched loop."""

    def __init__(
        self,
        *,
        timeout_s: float,
        on_trip: Callable[[], None],
        on_recover: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timeout_s = timeout_s
        self._on_trip = on_trip
        self._on_recover = on_recover
        self._clock = clock
        self._last = clock()
        self._tripped = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def tripped(self) -> bool:
        """Whether the watchdog has tripped and the loop has not beaten since."""
        return self._tripped

    def beat(self) -> None:
        """The watched loop is alive (call from the watched loop only)."""
        with self._lock:
            self._last = self._clock()
            recovered = self._tripped
            self._tripped = False
        if recovered:
            self._on_recover()

    def check(self) -> bool:
        """Trip if the loop stalled; return whether it tripped now."""
        with self._lock:
            if self._tripped or self._clock() - self._last <= self._timeout_s:
                return False
            self._tripped = True
        self._on_trip()
        return True

    def start(self) -> None:
        """Check four times per timeout on a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="bridge-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checking."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._timeout_s / 4):
            self.check()
