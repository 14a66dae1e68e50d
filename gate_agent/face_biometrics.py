"""The real face checks: `biometrics` behind the agent's FaceVerifier and LivenessChecker.

Frames from the camera are BGR (OpenCV); biometrics works on RGB, so each frame is converted
once here. dlib's models are loaded on first use and shared; the decision worker and the
tracker thread both use them, one at a time (`_DLIB`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from biometrics import (
    GATE_PIPELINE,
    FacePipeline,
    bgr_to_rgb,
    template_from_bytes,
    verify,
)
from biometrics import LivenessChecker as BiometricLivenessChecker

from gate_agent.face_step import FaceMatch, LivenessResult
from gate_agent.face_track import SeenFace

__all__ = ["BiometricFaceObserver", "BiometricFaceVerifier", "BiometricLiveness"]

Image = npt.NDArray[np.uint8]
# dlib's shared models are not known to be safe from two threads at once.
_DLIB = threading.Lock()


class BiometricFaceVerifier:
    """Encodes the subject's face in the first frames of a burst and keeps the best distance.

    Args:
        pipeline: Detection and encoding (default: the fast gate pipeline).
        max_frames: Frames of the burst that are encoded, at most (each costs an encoding).
    """

    def __init__(self, *, pipeline: FacePipeline = GATE_PIPELINE, max_frames: int = 2) -> None:
        self._pipeline = pipeline
        self._max_frames = max_frames

    def verify(self, images: Sequence[Image], templates: Sequence[bytes]) -> FaceMatch:
        """The best distance of the subject's face to the templates over the burst."""
        matrix = np.stack([template_from_bytes(t) for t in templates]) if templates else None
        seen = False
        best: float | None = None
        for image in images[: self._max_frames]:
            with _DLIB:
                encoding = self._pipeline.encode_image(bgr_to_rgb(image))
            if encoding is None:
                continue
            seen = True
            if matrix is None:
                continue
            distance = verify(encoding.encoding, matrix).distance
            best = distance if best is None else min(best, distance)
        return FaceMatch(seen=seen, distance=best)


class BiometricLiveness:
    """The biometrics liveness check (motion, blink and screen texture over the burst)."""

    def __init__(self) -> None:
        self._checker = BiometricLivenessChecker()

    def check(self, images: Sequence[Image]) -> LivenessResult:
        """The liveness verdict over the burst."""
        with _DLIB:
            verdict = self._checker.check([bgr_to_rgb(image) for image in images])
        return LivenessResult(passed=verdict.passed, score=float(verdict.score))


class BiometricFaceObserver:
    """Finds every face in a frame and encodes the largest few (for the face track).

    Args:
        pipeline: Detection and encoding (default: the fast gate pipeline).
        max_faces: Faces encoded per frame, at most (largest first; each costs an encoding).
    """

    def __init__(self, *, pipeline: FacePipeline = GATE_PIPELINE, max_faces: int = 3) -> None:
        self._pipeline = pipeline
        self._max_faces = max_faces

    def faces(self, image: Image) -> list[SeenFace]:
        """The encodings of the faces in the frame, largest first."""
        rgb = bgr_to_rgb(image)
        with _DLIB:
            boxes = self._pipeline.detector.detect(rgb)
            boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)
            return [
                SeenFace(encoding=self._pipeline.encoder.encode(rgb, box).encoding)
                for box in boxes[: self._max_faces]
            ]
