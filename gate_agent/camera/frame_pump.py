"""The frame pipeline: a camera thread, a code-scan worker and a short ring of recent frames.

The camera thread never blocks on the rest of the agent: each frame goes into a ring of
recent frames (for the face burst) and into a scan slot of bounded size where the oldest
frame is dropped when the scan worker lags. The worker decodes QR codes and barcodes and
hands each new code text to `on_code`, which only enqueues (the agent loop owns state).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gate_agent.camera.frames import Frame, FrameSource

__all__ = ["CodeScanner", "CodeSeen", "FramePump", "PumpCounters", "load_code_scanner"]

_log = logging.getLogger(__name__)

CodeScanner = Callable[[npt.NDArray[np.uint8]], Sequence[str]]
CodeHandler = Callable[[str, float], None]


def load_code_scanner() -> CodeScanner:
    """The real scanner, `gate_agent.camera.code_scanner.scan_codes`, reduced to the code texts.

    Imported lazily: the scanner module is owned by the biometrics engineer and pulls in
    zxing-cpp/pyzbar; the agent needs it only when a camera is configured.
    """
    module = importlib.import_module("gate_agent.camera.code_scanner")
    scan = module.scan_codes

    def scan_texts(image: npt.NDArray[np.uint8]) -> list[str]:
        # No rotated/rescaled retries in a live loop: the next frame is the retry.
        return [str(code.text) for code in scan(image, retry=False)]

    return scan_texts


@dataclass
class PumpCounters:
    """What the pump did since start (read by metrics and the benchmark)."""

    frames_read: int = 0
    frames_dropped: int = 0
    frames_scanned: int = 0
    codes_seen: int = 0
    scan_errors: int = 0


class FramePump:
    """Owns the camera thread and the scan worker.

    Args:
        source: The camera.
        scanner: Decodes the code texts in one image.
        on_code: Called from the worker with (text, monotonic time) for each new code.
        dedup_s: The same text seen again within this time is not reported again.
        ring_size: How many recent frames are kept for the face burst.
        scan_slots: Frames waiting for the scanner; the oldest is dropped beyond it.
    """

    def __init__(
        self,
        *,
        source: FrameSource,
        scanner: CodeScanner,
        on_code: CodeHandler,
        dedup_s: float = 4.0,
        ring_size: int = 30,
        scan_slots: int = 2,
    ) -> None:
        self._source = source
        self._scanner = scanner
        self._on_code = on_code
        self._dedup_s = dedup_s
        self._ring: deque[Frame] = deque(maxlen=ring_size)
        self._slots: deque[Frame] = deque(maxlen=scan_slots)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._last_seen: dict[str, float] = {}
        self.counters = PumpCounters()
        self._threads = [
            threading.Thread(target=self._camera_loop, name="agent-camera", daemon=True),
            threading.Thread(target=self._scan_loop, name="agent-scan", daemon=True),
        ]

    def start(self) -> None:
        """Start the camera thread and the scan worker."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop both threads and release the camera."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=2.0)
        self._source.close()

    def burst(self, *, count: int, since: float, timeout_s: float) -> list[Frame]:
        """Up to `count` frames captured at or after `since`, waiting at most `timeout_s`.

        Frames from just before `since` are used if the camera is slower than the wait.
        """
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                fresh = [frame for frame in self._ring if frame.at >= since]
                remaining = deadline - time.monotonic()
                if len(fresh) >= count or remaining <= 0 or self._stop.is_set():
                    break
                self._cond.wait(remaining)
            if len(fresh) < count:
                fresh = list(self._ring)[-count:]
            return fresh[-count:]

    def newest(self, *, after: float, timeout_s: float) -> Frame | None:
        """The newest frame captured after `after` (monotonic), waiting at most `timeout_s`."""

        def pick() -> Frame | None:
            return self._ring[-1] if self._ring and self._ring[-1].at > after else None

        return self._wait_for(pick, timeout_s)

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        """The first frame captured after `after` still kept, waiting at most `timeout_s`.

        Not the newest: a liveness window judges consecutive frames, as its thresholds were
        calibrated; frames that came while it worked are still in the ring (about a second).
        """

        def pick() -> Frame | None:
            return next((frame for frame in self._ring if frame.at > after), None)

        return self._wait_for(pick, timeout_s)

    def _wait_for(self, pick: Callable[[], Frame | None], timeout_s: float) -> Frame | None:
        """What `pick` finds in the ring (under the lock), waiting for frames until the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._stop.is_set():
                frame = pick()
                if frame is not None:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        return None

    def _camera_loop(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._source.read()
            except Exception:
                _log.exception("camera read failed")
                time.sleep(0.5)
                continue
            if frame is None:
                _log.warning("camera stream ended")
                return
            with self._cond:
                self.counters.frames_read += 1
                if len(self._slots) == self._slots.maxlen:
                    self.counters.frames_dropped += 1
                self._ring.append(frame)
                self._slots.append(frame)
                self._cond.notify_all()

    def _scan_loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._slots and not self._stop.is_set():
                    self._cond.wait(0.5)
                if self._stop.is_set():
                    return
                frame = self._slots.popleft()
            try:
                texts = self._scanner(frame.image)
            except Exception:
                self.counters.scan_errors += 1
                _log.exception("code scan failed on frame %d", frame.number)
                continue
            self.counters.frames_scanned += 1
            for text in texts:
                self._report(text, frame.at)

    def _report(self, text: str, at: float) -> None:
        last = self._last_seen.get(text)
        self._last_seen[text] = at
        if last is not None and at - last < self._dedup_s:
            return
        if len(self._last_seen) > 1000:
            cutoff = at - self._dedup_s
            self._last_seen = {k: v for k, v in self._last_seen.items() if v >= cutoff}
        self.counters.codes_seen += 1
        self._on_code(text, at)


@dataclass(frozen=True, slots=True)
class CodeSeen:
    """The camera's scan worker decoded a code; `at` is the frame's monotonic time."""

    text: str
    at: float
