"""The agent's liveness check: `biometrics.LivenessChecker` over a burst or a track's frames.

A burst (the frames after a credential) is judged on the subject's face in each frame, the
faces the verifier found (`shared_models.BURSTS`). A face track's frames are judged on the
track's own face: each frame searched whole in RGB (`BURST_STREAM`, the boxes the
thresholds were calibrated on) and the face overlapping the track's box taken. The judge
thread (`gate_agent.face.tracker`) has each frame of a track that awaits a verdict found as
the tracker files it (`prepare_track_frame`), so the check itself, once the track has its
eight frames, only reads landmarks it already has: the verdict comes a frame after the
window fills instead of eight searches (about 200 ms of a core) later.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from biometrics import BURST_STREAM, WINDOW_FRAMES, FaceBox, FaceStream
from biometrics import LivenessChecker as BiometricLivenessChecker
from biometrics.liveness import FaceTrack, LivenessSettings
from biometrics.models import own_hog_detector

from gate_agent.face.shared_models import BURSTS, DLIB_LOCK, LANDMARKS_ONLY
from gate_agent.face.step import LivenessResult

__all__ = ["BiometricLiveness"]

Image = npt.NDArray[np.uint8]
_Key = tuple[int, FaceBox | None]
# Track frames whose faces are kept, in windows: a few tracks awaiting verdicts at once.
_KEPT_WINDOWS = 3


class BiometricLiveness:
    """The biometrics liveness check (motion, blink and screen texture over the burst).

    Args:
        frames: Frames judged, the burst's last ones; fewer: failed (too few frames). The
            thresholds hold for `WINDOW_FRAMES` frames (fewer refuse live users far more).

    Attributes:
        checker: The biometrics check (a `BiometricFaceWindow` judges its own landmarks).
    """

    def __init__(
        self, *, frames: int = WINDOW_FRAMES, settings: LivenessSettings | None = None
    ) -> None:
        self.checker = BiometricLivenessChecker(settings=settings)
        self._frames = frames
        # Track frames already found: (id, box) -> (the frame, weakly: a camera frame may be
        # megabytes and is the track's to keep, not this cache's; its face). The last few
        # windows' worth.
        self._found: OrderedDict[_Key, tuple[weakref.ref[Image], list[FaceTrack]]] = OrderedDict()
        self._found_lock = threading.Lock()
        # A detector of its own, one search at a time (a dlib detector is not shared).
        self._detector: object | None = None
        self._search_lock = threading.Lock()
        self.searched = 0

    def check(self, images: Sequence[Image]) -> LivenessResult:
        """The liveness verdict over the burst (the faces the verifier found, if it ran)."""
        if len(images) < self._frames:
            return LivenessResult(passed=False, score=0.0, reason="too_few_frames")
        tracks = [face.liveness_track() for face in BURSTS.faces(images[-self._frames :])]
        return self._verdict(tracks)

    def check_track(
        self, images: Sequence[Image], boxes: Sequence[FaceBox | None]
    ) -> LivenessResult:
        """The verdict over one track's face: in each frame the face found at its box.

        Each frame is searched whole, as the thresholds were calibrated (`BURST_STREAM`);
        the face overlapping the track's box is judged, never another person nearer the
        camera. A frame with no face there adds nothing (too few: failed). Landmarks only
        (the track has its own encoding); a frame found before (`prepare_track_frame`, or
        an earlier check) is not searched again.
        """
        if len(images) < self._frames or len(boxes) != len(images):
            return LivenessResult(passed=False, score=0.0, reason="too_few_frames")
        pairs = zip(images[-self._frames :], boxes[-self._frames :], strict=True)
        tracks = [face for image, box in pairs for face in self._face_at(image, box)]
        return self._verdict(tracks)

    def prepare_track_frame(self, image: Image, box: FaceBox | None) -> None:
        """Find the track's face in one of its frames now, for a check to come."""
        self._face_at(image, box)

    def _face_at(self, image: Image, box: FaceBox | None) -> list[FaceTrack]:
        key = (id(image), box)
        with self._found_lock:
            kept = self._found.get(key)
        if kept is not None and kept[0]() is image:
            return kept[1]
        faces = self._landmarked(image, box)
        with self._found_lock:
            self._found[key] = (weakref.ref(image), faces)
            while len(self._found) > _KEPT_WINDOWS * self._frames:
                self._found.popitem(last=False)
        return faces

    def _landmarked(self, image: Image, box: FaceBox | None) -> list[FaceTrack]:
        # The whole-frame search on a detector of its own, outside the models' lock: a
        # window after a tap waits for the landmarks of one frame at most, not a search.
        with self._search_lock:
            if self._detector is None:
                self._detector = own_hog_detector()
            stream = FaceStream(BURST_STREAM, detector=self._detector)
            found = stream.search(image)
            self.searched += 1
        with DLIB_LOCK:
            faces = stream.faces(image, near=box, known=LANDMARKS_ONLY, found=found)
        return [face.liveness_track() for face in faces]

    def _verdict(self, tracks: list[FaceTrack]) -> LivenessResult:
        verdict = self.checker.assess(tracks)
        reason = None if verdict.reason is None else str(verdict.reason)
        return LivenessResult(passed=verdict.passed, score=float(verdict.score), reason=reason)
