"""Whole-frame face searches of the newest frames, done before a credential needs them.

The face window after a credential (`gate_agent.face_window`) judges liveness over 8 frames
with the face, most of them taken just before the tap, and each needs a whole-frame HOG
search (about 48 ms for a 480x600 frame with the OpenBLAS dlib build; docs/biometrics.md),
the boxes the liveness thresholds were calibrated on. Searching those frames only after the
tap costs most of the window. The presearch worker searches the newest camera frame while
nobody waits (at most one every `interval_s`), exactly as the window's stream would
(`FaceStream.search` with `WINDOW_STREAM`), and keeps the boxes of the last few frames; the
window then takes those frames as its pre-roll and gets their boxes without searching again.

It costs CPU only while the scene changes: after a search that found no face, a frame whose
grey thumbnail differs from that one's by less than `still_level` (mean grey levels) is not
searched. It pauses while a window runs, so that it never competes with a waiting person.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt
from biometrics import WINDOW_STREAM, FaceBox, FaceStream

from gate_agent.frames import Frame
from gate_agent.loop_thread import LoopThread

__all__ = ["FramePresearch", "PresearchWorker"]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]
_THUMB = (80, 45)


class FramePresearch:
    """The boxes of recent frames, searched ahead (see the module docstring).

    Args:
        lock: Held around the search (dlib's shared models, one thread at a time).
        keep: Frames whose boxes are kept.
        still_level: Mean grey change of an 80x45 thumbnail below which a scene that
            showed no face is not searched again.
    """

    def __init__(self, *, lock: threading.Lock, keep: int = 12, still_level: float = 3.0) -> None:
        self._lock = lock
        self._stream = FaceStream(WINDOW_STREAM)
        self._found: deque[tuple[Image, list[FaceBox]]] = deque(maxlen=keep)
        self._guard = threading.Lock()
        self._still_level = still_level
        self._empty_thumb: npt.NDArray[np.float32] | None = None
        self._paused_until = 0.0
        self.searched = 0
        self.used = 0

    def search(self, image: Image) -> bool:
        """Search one frame now (BGR); False when paused or the empty scene is still."""
        import cv2  # noqa: PLC0415

        if time.monotonic() < self._paused_until:
            return False
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        if self._empty_thumb is not None:
            if float(np.abs(thumb - self._empty_thumb).mean()) < self._still_level:
                return False
        with self._lock:
            boxes = self._stream.search(image)
        self._empty_thumb = None if boxes else thumb
        with self._guard:
            self._found.append((image, boxes))
            self.searched += 1
        return True

    def found(self, image: Image) -> list[FaceBox] | None:
        """The boxes of this very frame (the same array), if it was searched ahead."""
        with self._guard:
            for searched, boxes in reversed(self._found):
                if searched is image:
                    self.used += 1
                    return boxes
        return None

    def has(self, image: Image) -> bool:
        """Whether this very frame was searched ahead."""
        with self._guard:
            return any(searched is image for searched, _ in self._found)

    def pause(self, *, for_s: float) -> None:
        """Search nothing for `for_s` seconds (a window runs; renewed with each frame)."""
        self._paused_until = time.monotonic() + for_s

    def resume(self) -> None:
        """Search again (the window is over)."""
        self._paused_until = 0.0


class NewestFrames(Protocol):
    """The camera's newest frame (`gate_agent.frame_pump.FramePump`)."""

    def newest(self, *, after: float, timeout_s: float) -> Frame | None:
        """The newest frame captured after `after`, waiting at most `timeout_s`."""
        ...


class PresearchWorker(LoopThread):
    """The thread that feeds the newest frames to a presearch.

    Args:
        frames: The camera's frames.
        search: Searches one frame ahead (`FramePresearch.search`, or a verifier's
            `presearch_frame`); returns whether it searched.
        interval_s: At most one frame is searched per interval (CPU budget; the default
            gives the window's 6 pre-roll frames in its 0.5 s).
    """

    def __init__(
        self,
        *,
        frames: NewestFrames,
        search: Callable[[Image], bool],
        interval_s: float = 0.08,
    ) -> None:
        super().__init__(name="agent-presearch")
        self._frames = frames
        self._search = search
        self._interval_s = interval_s

    def _loop(self) -> None:
        last_at = 0.0
        while not self._stop.is_set():
            started = time.monotonic()
            frame = self._frames.newest(after=last_at, timeout_s=0.5)
            if frame is None:
                continue
            last_at = frame.at
            try:
                self._search(frame.image)
            except Exception:
                _log.exception("face presearch failed on a frame; going on")
            self._stop.wait(max(self._interval_s - (time.monotonic() - started), 0.0))
