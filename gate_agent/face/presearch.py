"""Whole-frame face searches of the newest frames, done before a credential needs them.

The face window after a credential (`gate_agent.face.window`) judges liveness over 8 frames
with the face, most of them taken just before the tap, and each needs a whole-frame HOG
search (about 48 ms for a 480x600 frame with the OpenBLAS dlib build; docs/biometrics.md),
the boxes the liveness thresholds were calibrated on. Searching those frames only after the
tap costs most of the window. The presearch worker searches the newest camera frame while
nobody waits (at most one every `interval_s`), exactly as the window's stream would
(`FaceStream.search` with `WINDOW_STREAM`), and keeps the boxes of the last few frames; the
window then takes those frames as its pre-roll and gets their boxes without searching again.

Once a frame shows a face, the worker searches the frames after it in the order the camera
took them (not the newest, not once per interval), as long as faces stay in view: the
liveness thresholds were calibrated on consecutive frames, and a pre-roll of frames 80 ms
apart refused live users. When it falls behind the camera by more than `max_lag_s`, it
jumps to the newest frame.

The worker stops while a presentation is decided (`LoopThread.hold`): the window then
asks `FramePresearch.search_soon` for exactly the frames it takes next, searched with
detectors of their own on the other core (dlib releases the GIL while it searches), and
waits for a search under way rather than searching the same frame beside it. With a
models lock (the agent's presearch) the worker also encodes the best frames of the face it
follows (`gate_agent.face.ahead`: the face's first frame and one a fifth wider, each with
the next frame's mirrored chip), so a window takes that encoding instead of encoding after
the tap (about 180 ms a chip with dlib-bin). It costs CPU only while the scene changes:
after a search that found no face, a frame whose grey thumbnail differs from that one's by
less than `still_level` (mean grey levels) is not searched.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

import numpy as np
import numpy.typing as npt
from biometrics import WINDOW_STREAM, FaceBox, FaceStream
from biometrics.models import own_hog_detector

from gate_agent.camera.frames import Frame
from gate_agent.face.ahead import AheadEncodings, Encode
from gate_agent.face.loop_thread import LoopThread, lower_this_thread

__all__ = ["FramePresearch", "PresearchWorker"]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]
_THUMB = (80, 45)


class FramePresearch:
    """The boxes of recent frames, searched ahead (see the module docstring).

    It searches with dlib detectors of its own, one per concurrent search, so that it runs
    beside the window's work on other cores (dlib releases the GIL while it searches).

    Args:
        keep: Frames whose boxes are kept.
        searchers: Searches that may run at once (each has a detector).
        still_level: Mean grey change of an 80x45 thumbnail below which a scene that
            showed no face is not searched again.
        models_lock: Given, the frames filed by the worker (`file`) have their best faces
            encoded ahead under this lock (dlib's shared landmark and encoding models),
            for the window to take (`encoding_for`, `gate_agent.face.ahead`).
    """

    def __init__(
        self,
        *,
        keep: int = 12,
        still_level: float = 3.0,
        searchers: int = 2,
        models_lock: threading.Lock | None = None,
    ) -> None:
        self._models_lock = models_lock
        self.ahead = AheadEncodings() if models_lock is not None else None
        # A detector is used by one search at a time: a search takes a free stream.
        self._streams: queue.SimpleQueue[FaceStream] = queue.SimpleQueue()
        for _ in range(searchers):
            self._streams.put(FaceStream(WINDOW_STREAM, detector=own_hog_detector()))
        self._found: deque[tuple[Image, list[FaceBox]]] = deque(maxlen=keep)
        self._searching: dict[int, tuple[Image, threading.Event]] = {}
        self._searchers = searchers
        self._pool: ThreadPoolExecutor | None = None
        self._guard = threading.Lock()
        self._still_level = still_level
        self._empty_thumb: npt.NDArray[np.float32] | None = None
        self.searched = 0
        self.used = 0
        # True while a face track on the same camera encodes the faces in view (the window
        # takes its encodings): encodings ahead would only duplicate them.
        self.track_encodes: Callable[[], bool] | None = None

    def search(self, image: Image) -> int | None:
        """Search one frame now (BGR): how many faces it shows.

        Returns:
            None when not searched: the scene that showed no face is still.
        """
        import cv2  # noqa: PLC0415

        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        if self._empty_thumb is not None:
            if float(np.abs(thumb - self._empty_thumb).mean()) < self._still_level:
                if self.ahead is not None:
                    self.ahead.searched(image, None)
                self._end(image)
                return None
        self._begin(image)
        stream = self._streams.get()
        try:
            boxes = stream.search(image)
            self._empty_thumb = None if boxes else thumb
            with self._guard:
                self._found.append((image, boxes))
                self.searched += 1
            self._end(image)  # the window may take the boxes while the face is encoded
            self._encode_ahead(stream, image, boxes)
        finally:
            self._streams.put(stream)
            self._end(image)
        return len(boxes)

    def file(self, image: Image, at: float) -> None:
        """File a frame the worker is about to search (taken at `at`): its face may be encoded."""
        if self.ahead is not None:
            self.ahead.begin(image, at=at)

    def encoding_for(self, image: Image) -> npt.NDArray[np.float32] | None:
        """The encoding made ahead of the face this frame continues, if any."""
        return None if self.ahead is None else self.ahead.encoding_for(image)

    def _encode_ahead(self, stream: FaceStream, image: Image, boxes: list[FaceBox]) -> None:
        if self.ahead is None or self._models_lock is None:
            return
        if self.track_encodes is not None and self.track_encodes():
            return
        largest = max(boxes, key=lambda b: b.width * b.height, default=None)
        plan = self.ahead.searched(image, largest)
        if plan is None or largest is None:
            return
        try:
            with self._models_lock:
                raw = stream.encode_at(image, largest, mirrored=plan is Encode.MIRRORED)
        except Exception:
            # The window then encodes its own frames, as without encodings ahead.
            _log.exception("encoding a face ahead failed; going on")
            self.ahead.failed(image)
            return
        self.ahead.encoded_as(image, raw)

    def search_soon(self, image: Image) -> None:
        """Search this frame on a searcher thread, unless it was or is being searched.

        A window that knows its next frames has them searched beside its own work (on the
        other core) and then waits for each with `found(wait_s=…)`.
        """
        with self._guard:
            if self._boxes_of(image, count=False) is not None or id(image) in self._searching:
                return
        self._begin(image)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self._searchers, thread_name_prefix="agent-face-search"
            )
        self._pool.submit(self._search_logged, image)

    def _search_logged(self, image: Image) -> None:
        try:
            self.search(image)
        except Exception:
            _log.exception("face search ahead of a window failed; the window searches itself")
            self._end(image)

    def _begin(self, image: Image) -> None:
        """Mark this frame's search as under way (kept if it already is)."""
        with self._guard:
            under_way = self._searching.get(id(image))
            if under_way is None or under_way[0] is not image:
                self._searching[id(image)] = (image, threading.Event())

    def _end(self, image: Image) -> None:
        """The frame's search is over (done, skipped or failed): wake whoever waits."""
        with self._guard:
            under_way = self._searching.pop(id(image), None)
        if under_way is not None:
            under_way[1].set()

    def found(self, image: Image, *, wait_s: float = 0.0) -> list[FaceBox] | None:
        """The boxes of this very frame (the same array), if it was searched ahead.

        Args:
            image: The frame.
            wait_s: If its search is under way, how long to wait for it (cheaper than a
                second search of the same frame beside it).
        """
        with self._guard:
            boxes = self._boxes_of(image)
            under_way = self._searching.get(id(image))
        if boxes is None and under_way is not None and under_way[0] is image and wait_s > 0:
            under_way[1].wait(wait_s)
            with self._guard:
                boxes = self._boxes_of(image)
        return boxes

    def _boxes_of(self, image: Image, *, count: bool = True) -> list[FaceBox] | None:
        # Called with the guard held.
        for searched, boxes in reversed(self._found):
            if searched is image:
                self.used += count
                return boxes
        return None

    def has(self, image: Image) -> bool:
        """Whether this very frame was searched ahead (without counting it as used)."""
        with self._guard:
            return self._boxes_of(image, count=False) is not None


class CameraFrames(Protocol):
    """The camera's frames (`gate_agent.camera.frame_pump.FramePump`)."""

    def newest(self, *, after: float, timeout_s: float) -> Frame | None:
        """The newest frame captured after `after`, waiting at most `timeout_s`."""
        ...

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        """The first frame captured after `after`, waiting at most `timeout_s`."""
        ...


class PresearchWorker(LoopThread):
    """The thread that feeds camera frames to a presearch.

    Args:
        frames: The camera's frames.
        search: Searches one frame ahead (`FramePresearch.search`, or a verifier's
            `presearch_frame`); returns whether the frame showed a face (then the frames
            after it are searched in camera order). Called from `parallel` threads.
        interval_s: While no face is in view, at most one frame is searched per interval
            (CPU budget).
        max_lag_s: While faces are followed, a worker this far behind the camera jumps to
            the newest frame.
        parallel: While faces are followed, frames searched at once (a search of a
            480x600 frame costs about 40 ms here, more than a 30 fps camera's 33 ms).
        wanted: Asked before each frame: False leaves the camera unsearched (a face track
            that has already judged every face in view); None: always wanted.
        file: Called with each frame and its time before its search is started, in camera
            order (`FramePresearch.file`: the frames whose faces may be encoded ahead).
        nice: The searches' threads run this many nice levels below the agent's others
            (`lower_this_thread`): a search ahead is a bet on a tap before the face track
            has judged the face, and must not take a busy box's CPU from the tracking and
            decisions of other lanes.
    """

    def __init__(
        self,
        *,
        frames: CameraFrames,
        search: Callable[[Image], bool],
        interval_s: float = 0.08,
        max_lag_s: float = 0.15,
        parallel: int = 2,
        wanted: Callable[[], bool] | None = None,
        file: Callable[[Image, float], None] | None = None,
        nice: int = 0,
    ) -> None:
        super().__init__(name="agent-presearch")
        self._file = file
        self._wanted = wanted
        self._frames = frames
        self._search = search
        self._interval_s = interval_s
        self._max_lag_s = max_lag_s
        self._parallel = parallel
        self._pool = ThreadPoolExecutor(
            max_workers=parallel,
            thread_name_prefix="agent-presearch",
            initializer=lower_this_thread,
            initargs=(nice,),
        )

    def stop(self) -> None:
        """Stop the loop, then its searches."""
        super().stop()
        self._pool.shutdown(wait=True)

    def _next(self, *, after: float, following: bool) -> Frame | None:
        if not following:
            return self._frames.newest(after=after, timeout_s=0.5)
        frame = self._frames.following(after=after, timeout_s=0.5)
        if frame is None:
            return None
        newest = self._frames.newest(after=frame.at, timeout_s=0)
        return newest if newest is not None and newest.at - frame.at > self._max_lag_s else frame

    def _search_safely(self, image: Image) -> bool:
        try:
            return self._search(image)
        except Exception:
            _log.exception("face presearch failed on a frame; going on")
            return False

    def _loop(self) -> None:
        last_at = 0.0
        following = False
        pending: deque[Future[bool]] = deque()
        while not self._stop.is_set():
            started = time.monotonic()
            if self._held():
                # A face window asks for the frames it needs itself: these would only
                # take CPU from it.
                following = False
                self._stop.wait(0.01)
                continue
            if self._wanted is not None and not self._wanted():
                following = False
                self._stop.wait(self._interval_s)
                continue
            frame = self._next(after=last_at, following=following)
            if frame is None:
                following = False
                continue
            last_at = frame.at
            if self._file is not None:
                self._file(frame.image, frame.at)
            pending.append(self._pool.submit(self._search_safely, frame.image))
            if following and len(pending) < self._parallel:
                continue  # another frame's search starts beside this one
            # The oldest search in flight says whether faces are still in view.
            following = pending.popleft().result()
            if not following:
                while pending:
                    pending.popleft().result()
                self._stop.wait(max(self._interval_s - (time.monotonic() - started), 0.0))
