"""The base of the agent's background loops (face track, pre-search): one daemon thread.

A subclass implements `_loop`, which runs until `_stop` is set; `stop` waits for the
iteration in progress to finish.
"""

from __future__ import annotations

import threading

__all__ = ["LoopThread"]


class LoopThread:
    """A daemon thread running `_loop` from `start` until `stop`."""

    def __init__(self, *, name: str) -> None:
        """Prepare the thread (named `name` in stack dumps); nothing runs before `start`."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

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
