"""The tracker thread: faces in front of the camera, encoded before anybody presents anything.

It takes the newest camera frame (one every `interval_s`, on a fixed schedule), finds and
encodes the faces in it (`FaceObserver`), and files them in `FaceTracks`. A second thread,
the judge, runs the liveness check over a track's frames once it has enough of them: on
the track's own face (its box in each frame, `TrackLivenessChecker`) when the observer says
where the face is and the check can take it. A badge tap then finds the holder's face
already verified. The check searches each of its frames whole (about 25 ms a frame): run
in the tracker thread it stopped tracking for a fifth of a second per person, so a lane
fell below its frame rate; beside it, the tracker keeps its schedule. While the decision
worker runs its own face burst both hold off (`hold`), so they never compete for the CPU
at the moment a person waits.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from gate_agent.camera.frame_pump import FramePump
from gate_agent.face.loop_thread import Holds, LoopThread
from gate_agent.face.step import (
    LivenessChecker,
    LivenessResult,
    PreparingTrackLiveness,
    TrackLivenessChecker,
)
from gate_agent.face.track import FaceTracks, SeenFace, TrackSnapshot

__all__ = ["FaceObserver", "FaceTracker"]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]


class FaceObserver(Protocol):
    """Finds and encodes every face in one frame (BGR)."""

    def faces(self, image: Image) -> list[SeenFace]:
        """The encodings of the faces in the frame (largest first)."""
        ...


class FaceTracker(LoopThread):
    """Owns the tracker thread.

    Args:
        pump: The camera's frames.
        observer: Detection and encoding.
        liveness: The liveness check run over a track's frames; None: not run.
        tracks: Where the faces are filed.
        interval_s: At most one frame is looked at per interval (CPU budget).
        after_frame: Called from the thread after each frame was filed (1:N identification).
    """

    def __init__(
        self,
        *,
        pump: FramePump,
        observer: FaceObserver,
        liveness: LivenessChecker | None,
        tracks: FaceTracks,
        interval_s: float,
        after_frame: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(name="agent-track")
        self._pump = pump
        self._observer = observer
        self._liveness = liveness
        self.tracks = tracks
        self._interval_s = interval_s
        self._after_frame = after_frame
        # 1:N identification runs after each frame and after each verdict: one at a time.
        self._after_lock = threading.Lock()
        self._frames_filed = threading.Event()
        self._judge = threading.Thread(target=self._judge_loop, name="agent-judge", daemon=True)
        self._judge_holds = Holds()
        self.frames_tracked = 0
        self.verdicts = 0

    def hold_judge(self) -> contextlib.AbstractContextManager[None]:
        """Keep the judge idle (not the tracker) while the caller decides a presentation.

        The tracker goes on filing the faces in view: on a busy box a window after a tap
        can take a second or two, and a tracker held that long missed the next person
        walking up, whose tap then went to a window too (lane after lane, as long as people
        kept coming). Its work a frame is small; the judge's searches are not.
        """
        return self._judge_holds.hold()

    def _judge_held(self) -> bool:
        return self._judge_holds.held() or self._held()

    def start(self) -> None:
        """Start the tracker and, with a liveness check, the judge."""
        super().start()
        if self._liveness is not None:
            self._judge.start()

    def stop(self) -> None:
        """Stop both threads (each finishes what it is doing first)."""
        super().stop()
        self._frames_filed.set()
        if self._judge.is_alive():
            self._judge.join(timeout=5.0)

    def _loop(self) -> None:
        last_at = 0.0
        due = time.monotonic()
        while not self._stop.is_set():
            if self._held():
                self._stop.wait(0.02)
                due = time.monotonic()
                continue
            frame = self._pump.newest(after=last_at, timeout_s=0.5)
            if frame is None:
                continue
            last_at = frame.at
            try:
                self._track(frame.image, frame.at)
            except Exception:
                _log.exception("face tracking failed on a frame; going on")
            due = _next_due(due, self._interval_s, time.monotonic())
            self._stop.wait(max(due - time.monotonic(), 0.0))

    def _track(self, image: Image, at: float) -> None:
        faces = self._observer.faces(image)
        self.tracks.observe(faces, image=image, at=at)
        self.frames_tracked += 1
        self._frames_filed.set()
        self._identify(at)

    def _identify(self, at: float) -> None:
        if self._after_frame is not None:
            with self._after_lock:
                self._after_frame(at)

    def _judge_loop(self) -> None:
        liveness = self._liveness
        assert liveness is not None  # noqa: S101 - started only with a liveness check
        while not self._stop.is_set():
            self._frames_filed.wait(0.5)
            self._frames_filed.clear()
            try:
                self.judge_due(liveness)
            except Exception:
                _log.exception("a face track's liveness check failed; going on")

    def judge_due(self, liveness: LivenessChecker) -> None:
        """Judge every track due for a liveness check, unless held (the judge thread's pass).

        A check that can prepare (`PreparingTrackLiveness`) first has the frames of the
        tracks still awaiting a verdict worked on as they come, so the verdict is ready a
        frame after the track's window fills.
        """
        if isinstance(liveness, PreparingTrackLiveness):
            for image, box in self.tracks.frames_awaiting_liveness():
                if self._judge_held() or self._stop.is_set():
                    return
                liveness.prepare_track_frame(image, box)
        for track in self.tracks.due_for_liveness():
            if self._judge_held() or self._stop.is_set():
                # A credential came meanwhile: a liveness check (about 25 ms a frame, part
                # of it holding the GIL) would delay its decision. The track stays due.
                return
            verdict = self._judged(liveness, track)
            self.tracks.set_liveness(track.track_id, verdict, judged=track)
            self.verdicts += 1
            self._identify(track.last_at)

    @staticmethod
    def _judged(liveness: LivenessChecker, track: TrackSnapshot) -> LivenessResult:
        # With several people in view, the track's own face is judged (where the observer
        # found it in each frame), not whichever face a fresh search would pick.
        boxes = track.boxes
        if (
            isinstance(liveness, TrackLivenessChecker)
            and len(boxes) == len(track.frames)
            and all(box is not None for box in boxes)
        ):
            return liveness.check_track(track.frames, boxes)
        return liveness.check(track.frames)


def _next_due(due: float, interval_s: float, now: float) -> float:
    """When the next frame is due: one interval after the last was due, on a fixed rate.

    A frame that took longer than the interval makes the next one due at once, so the track
    keeps its rate; one more than an interval behind starts the schedule afresh rather than
    looking at frames back to back to catch up.
    """
    due += interval_s
    return now if due < now - interval_s else due
