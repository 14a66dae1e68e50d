"""The real face checks: `biometrics` behind the agent's FaceVerifier and LivenessChecker.

Frames are BGR (OpenCV). dlib's models are loaded once and used one thread at a time (`_DLIB`).

A burst (the frames after a credential, or a track's frames) goes through one
`biometrics.FaceStream` (`BURST_STREAM`): the subject's face aligned with 5 landmarks in
every frame, encoded twice (a chip, then the next frame's mirrored chip, averaged: the
enrollment alignment); the verifier and the liveness check share that work (`_BurstFaces`).
A track's liveness judges the track's own face (`BiometricLiveness.check_track`).

After a credential the agent feeds frames one at a time (`gate_agent.face.window`) to a
`BiometricFaceWindow`: a `FaceStream(WINDOW_STREAM)` (each frame searched whole, as the
liveness thresholds were calibrated, unless its boxes were searched ahead by
`gate_agent.face.presearch`; landmarks in every frame, the encoding in the first two only,
or none where the presearch encoded the face ahead, `gate_agent.face.ahead`),
one liveness assessment over the first `WINDOW_FRAMES` frames with the face, and a stop as
soon as the outcome is certain.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from biometrics import (
    WINDOW_FRAMES,
    WINDOW_STREAM,
    FaceBox,
    FacePipeline,
    FaceStream,
    StreamFace,
    bgr_to_rgb,
    template_matrix,
    verify,
)
from biometrics.liveness import FaceTrack, LivenessSequence

from gate_agent.face.hint import SeenFace as HintFace
from gate_agent.face.liveness_check import BiometricLiveness
from gate_agent.face.observer import FollowingObserver, FollowSettings
from gate_agent.face.presearch import FramePresearch
from gate_agent.face.shared_models import BURSTS as _BURSTS
from gate_agent.face.shared_models import DLIB_LOCK as _DLIB
from gate_agent.face.step import FaceMatch, LivenessChecker, LivenessResult
from gate_agent.face.track import SeenFace

__all__ = [
    "BiometricFaceObserver",
    "BiometricFaceVerifier",
    "BiometricFaceWindow",
    "BiometricLiveness",
]

Image = npt.NDArray[np.uint8]
# A window waits this long for a search of its frame under way on another thread (a search
# costs about 40 ms, and a window asks for up to 6 at once) before it searches it itself.
_SEARCH_WAIT_S = 0.25


class BiometricFaceVerifier:
    """Encodes the subject's face in the first frames of a burst and keeps the best distance.

    Args:
        pipeline: A `FacePipeline` to run on each frame on its own; None (the default): the
            burst's `FaceStream` (see the module docstring).
        max_frames: Frames of the burst that are encoded, at most (each costs an encoding;
            with the stream at least two: the second frame's mirrored chip completes the
            first's, and only such averaged encodings are compared when there are any).
    """

    def __init__(
        self,
        *,
        pipeline: FacePipeline | None = None,
        max_frames: int = 2,
        window_frames: int = WINDOW_FRAMES,
        presearch: bool = False,
    ) -> None:
        self._pipeline = pipeline
        self._max_frames = max_frames
        self._window_frames = window_frames
        self.presearch = FramePresearch(models_lock=_DLIB) if presearch else None
        self.track: FollowingObserver | None = None  # see share_track
        # Without a presearch, windows still have their next frames searched on other
        # cores (by detectors of its own).
        self._lookahead = self.presearch or FramePresearch()

    def open_window(
        self, *, templates: Sequence[bytes], liveness: LivenessChecker | None
    ) -> BiometricFaceWindow:
        """Start one presentation's frame-by-frame face work (`gate_agent.face.window`)."""
        return BiometricFaceWindow(
            templates=templates,
            liveness=liveness,
            frames=self._window_frames,
            searcher=self._lookahead,
            track=self.track,
        )

    def share_track(self, observer: BiometricFaceObserver) -> BiometricFaceObserver:
        """Let windows take the track's encoding of the face they see; returns the observer.

        Where the face still looks like the one followed at its box (`encoding_near`), a
        window finds landmarks only (no two chips, 180 ms each); nothing is encoded ahead.
        """
        if observer.uses_following():
            self.track = observer.following
            if self.presearch is not None:
                self.presearch.track_encodes = observer.following.is_following
        return observer

    def searches_ahead(self) -> bool:
        """Whether frames are searched ahead of a window (`presearch=True`)."""
        return self.presearch is not None

    def file_frame(self, image: Image, at: float) -> None:
        """A frame the presearch worker is about to search (its face may be encoded ahead)."""
        if self.presearch is not None:
            self.presearch.file(image, at)

    def presearch_frame(self, image: Image) -> bool:
        """Search a frame ahead of any window (`gate_agent.face.presearch`): a face in it?"""
        return self.presearch is not None and bool(self.presearch.search(image))

    def _encodings(self, images: Sequence[Image]) -> list[npt.NDArray[np.float32]]:
        if self._pipeline is None:
            # The burst's stream: a plain encoding in its first frame, then encodings averaged
            # with the mirrored chip (the enrollment alignment, which 0.54 was chosen for).
            faces = _BURSTS.faces(images)[: max(self._max_frames, 2)]
            averaged = [face.encoding for face in faces if face.averaged]
            return averaged or [face.encoding for face in faces]
        found = []
        for image in images[: self._max_frames]:
            with _DLIB:
                encoding = self._pipeline.encode_image(bgr_to_rgb(image))
            if encoding is not None:
                found.append(encoding.encoding)
        return found

    def verify(self, images: Sequence[Image], templates: Sequence[bytes]) -> FaceMatch:
        """The best distance of the subject's face to the templates over the burst."""
        usable, _broken = template_matrix(templates)
        matrix = usable if len(usable) else None
        encodings = self._encodings(images)
        if not encodings or matrix is None:
            return FaceMatch(seen=bool(encodings), distance=None, encodings=tuple(encodings))
        return FaceMatch(
            seen=True,
            distance=min(verify(e, matrix).distance for e in encodings),
            encodings=tuple(encodings),
        )


class BiometricFaceWindow:
    """One presentation's face work, frame by frame (see the module docstring).

    Args:
        templates: The holder's templates (512-byte float32); none: a face cannot match.
        liveness: The liveness check; None: not checked. `BiometricLiveness` judges the
            landmarks this window's stream found; any other check gets the window's frames.
        frames: Frames with the face that one liveness assessment judges.
    """

    def __init__(
        self,
        *,
        templates: Sequence[bytes],
        liveness: LivenessChecker | None,
        frames: int = WINDOW_FRAMES,
        searcher: FramePresearch | None = None,
        track: FollowingObserver | None = None,
    ) -> None:
        usable, _broken = template_matrix(templates)
        self._matrix = usable if len(usable) else None
        self._liveness = liveness
        self._checker = liveness.checker if isinstance(liveness, BiometricLiveness) else None
        # Each frame's liveness cues are measured as it is fed, not all after the last one.
        self._sequence = None if self._checker is None else LivenessSequence(self._checker.settings)
        self._images: list[Image] = []
        self._frames = frames
        self._stream = FaceStream(WINDOW_STREAM)
        self._tracks: list[FaceTrack] = []
        self._encoding: npt.NDArray[np.float32] | None = None
        self._averaged = False
        self._verdict: LivenessResult | None = None
        self._searcher = searcher
        self._last: list[StreamFace] = []
        self._track = track
        self.from_track = 0

    def last_faces(self) -> list[HintFace]:
        """The faces found in the frame fed last (for the lane's hint, `gate_agent.face.hint`)."""
        return [HintFace(face.box, face.landmarks) for face in self._last]

    def prefetch(self, images: Sequence[Image]) -> None:
        """Have these coming frames searched beside this window's work (other cores)."""
        if self._searcher is not None:
            for image in images:
                self._searcher.search_soon(image)

    def feed(self, image: Image) -> bool:
        """Work on the next BGR frame; True once the outcome is certain."""
        found = known = None
        if self._searcher is not None:
            found = self._searcher.found(image, wait_s=_SEARCH_WAIT_S)
            # The face followed before the tap was encoded then: landmarks only here.
            known = None if self._averaged else self._searcher.encoding_for(image)
        if known is None and not self._averaged and self._track is not None:
            found, known = self._tracked(image, found)
        with _DLIB:
            faces = self._stream.faces(image, found=found, known=known)
        self._last = faces
        if faces:
            face = faces[0]
            # Frames after the window's first `frames` add nothing: one assessment only, so
            # an attack does not get several tries within one presentation.
            if len(self._tracks) < self._frames:
                self._tracks.append(face.liveness_track())
                self._images.append(image)
                if self._sequence is not None:
                    self._sequence.add(self._tracks[-1])
            if not self._averaged:
                self._encoding, self._averaged = face.encoding, face.averaged
        if self._liveness is not None and self._verdict is None:
            if len(self._tracks) >= self._frames:
                self._verdict = self._judge(self._liveness)
        return self._settled()

    def _tracked(
        self, image: Image, found: list[FaceBox] | None
    ) -> tuple[list[FaceBox], npt.NDArray[np.float32] | None]:
        """This frame's boxes and the track's encoding of its largest face, if it has one."""
        if found is None:
            with _DLIB:  # the stream's search, its box wanted here (the same boxes)
                found = self._stream.search(image)
        largest = max(found, key=lambda b: b.width * b.height, default=None)
        if largest is None or self._track is None:
            return found, None
        known = self._track.encoding_near(image, largest)
        self.from_track += known is not None
        return found, known

    def _judge(self, liveness: LivenessChecker) -> LivenessResult:
        if self._sequence is None:
            return liveness.check(self._images)
        verdict = self._sequence.verdict()
        reason = None if verdict.reason is None else str(verdict.reason)
        return LivenessResult(verdict.passed, float(verdict.score), reason)

    def _settled(self) -> bool:
        # A mismatch is certain after two frames, but liveness is still judged: the policy
        # reads a failed (or missing) liveness first, and a stranger's live face must be
        # denied as a mismatch, not raise a liveness alarm.
        return self._averaged and (self._liveness is None or self._verdict is not None)

    def _distance(self) -> float | None:
        if self._matrix is None or self._encoding is None:
            return None
        return float(verify(self._encoding, self._matrix).distance)

    def result(self) -> tuple[FaceMatch, LivenessResult | None]:
        """The match and the liveness verdict (inconclusive: failed, too few frames)."""
        if not self._tracks:
            return FaceMatch(seen=False), None
        encodings = () if self._encoding is None else (self._encoding,)
        match = FaceMatch(seen=True, distance=self._distance(), encodings=encodings)
        if self._liveness is None:
            return match, None
        if self._verdict is None:
            return match, LivenessResult(passed=False, score=0.0, reason="too_few_frames")
        return match, self._verdict


class BiometricFaceObserver:
    """Finds every face in a frame and encodes the largest few (for the face track).

    Args:
        pipeline: A `FacePipeline` to run on each frame on its own; None (the default): a
            `FollowingObserver` (`gate_agent.face.observer`), which follows faces from frame
            to frame and encodes a face only when it is new, grew, looks different or its
            encoding is old (the enrollment alignment: a chip averaged with the mirrored
            chip of a later frame).
        max_faces: Faces encoded per frame, at most (largest first; each costs an encoding).
    """

    def __init__(self, *, pipeline: FacePipeline | None = None, max_faces: int = 3) -> None:
        self._pipeline = pipeline
        self._max_faces = max_faces
        self.following = FollowingObserver(lock=_DLIB, settings=FollowSettings(max_faces=max_faces))

    def uses_following(self) -> bool:
        """Whether faces are followed by `following` (no pipeline of its own)."""
        return self._pipeline is None

    def faces(self, image: Image) -> list[SeenFace]:
        """The encodings of the faces in the frame, largest first."""
        if self._pipeline is None:
            return self.following.faces(image)
        rgb = bgr_to_rgb(image)
        with _DLIB:
            boxes = self._pipeline.detector.detect(rgb)
            boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)
            return [
                SeenFace(encoding=self._pipeline.encoder.encode(rgb, box).encoding, box=box)
                for box in boxes[: self._max_faces]
            ]
