"""dlib's shared models, one thread at a time, and a burst's faces worked out once.

The landmark and encoding models are loaded once per process (`biometrics.models`) and are
not known to be safe from two threads at once: every user holds `DLIB_LOCK` around them.
A HOG search needs no lock when it runs on a detector of its own
(`biometrics.models.own_hog_detector`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from biometrics import BURST_STREAM, FaceStream, StreamFace

__all__ = ["BURSTS", "DLIB_LOCK", "LANDMARKS_ONLY", "BurstFaces"]

Image = npt.NDArray[np.uint8]
DLIB_LOCK = threading.Lock()
# The liveness check reads landmarks and face pixels only: handed to a stream as a face's
# known encoding, it spares the encoding.
LANDMARKS_ONLY = np.zeros(128, np.float32)


class BurstFaces:
    """The subject's face in each frame of the last burst, worked out once for both checks."""

    def __init__(self) -> None:
        self._frames: tuple[Image, ...] = ()
        self._faces: list[StreamFace] = []

    def faces(self, images: Sequence[Image]) -> list[StreamFace]:
        """The subject's face in each frame (`BURST_STREAM`); the same frames: the last answer."""
        frames = tuple(images)
        with DLIB_LOCK:
            same = len(frames) == len(self._frames) and all(
                a is b for a, b in zip(frames, self._frames, strict=True)
            )
            if not same:
                stream = FaceStream(BURST_STREAM)
                self._faces = [face for image in frames for face in stream.faces(image)]
                self._frames = frames
            return self._faces


BURSTS = BurstFaces()
