"""The tracker thread: faces in front of the camera, encoded before anybody presents anything.

It takes the newest camera frame (at most one every `interval_s`), finds and encodes the
faces in it (`FaceObserver`), files them in `FaceTracks`, and runs the liveness check over a
track's frames once it has enough of them: on the track's own face (its box in each frame,
`TrackLivenessChecker`) when the observer says where the face is and the check can take it.
A badge tap then finds the holder's face already verified. While the decision worker runs
its own face burst the tracker holds off (`hold`), so the two never compete for the CPU at
the moment a person waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from gate_agent.camera.frame_pump import FramePump
from gate_agent.face.loop_thread import LoopThread
from gate_agent.face.step import LivenessChecker, LivenessResult, TrackLivenessChecker
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
        self.frames_tracked = 0

    def _loop(self) -> None:
        last_at = 0.0
        while not self._stop.is_set():
            started = time.monotonic()
            if self._held():
                self._stop.wait(0.02)
                continue
            frame = self._pump.newest(after=last_at, timeout_s=0.5)
            if frame is None:
                continue
            last_at = frame.at
            try:
                self._track(frame.image, frame.at)
            except Exception:
                _log.exception("face tracking failed on a frame; going on")
            self._stop.wait(max(self._interval_s - (time.monotonic() - started), 0.0))

    def _track(self, image: Image, at: float) -> None:
        faces = self._observer.faces(image)
        self.tracks.observe(faces, image=image, at=at)
        self.frames_tracked += 1
        if self._liveness is not None:
            for track in self.tracks.due_for_liveness():
                if self._held():
                    # A credential came meanwhile: a liveness check (about 40 ms, most of
                    # it holding the GIL) would delay its decision. The track stays due.
                    break
                self.tracks.set_liveness(track.track_id, self._judge(self._liveness, track))
        if self._after_frame is not None:
            self._after_frame(at)

    @staticmethod
    def _judge(liveness: LivenessChecker, track: TrackSnapshot) -> LivenessResult:
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
