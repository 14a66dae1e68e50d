"""The real face checks: `biometrics` behind the agent's FaceVerifier and LivenessChecker.

Frames from the camera are BGR (OpenCV); biometrics works on RGB, so each frame is converted
once here. dlib's models are loaded on first use and shared, and only the decision worker
thread calls them.
"""

from __future__ import annotations

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

__all__ = ["BiometricFaceVerifier", "BiometricLiveness"]

Image = npt.NDArray[np.uint8]


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
        verdict = self._checker.check([bgr_to_rgb(image) for image in images])
        return LivenessResult(passed=verdict.passed, score=float(verdict.score))
