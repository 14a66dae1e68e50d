"""Face landmarks, alignment and 128-d encodings with dlib's ResNet model.

A face is aligned from its landmarks onto a 150x150 chip (``dlib.get_face_chip``), and
the chip is encoded. Encodings are ``float32`` arrays of 128 values; two encodings of
the same person are usually less than 0.6 apart (Euclidean distance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from biometrics.detection import FaceBox
from biometrics.models import alignment_points, face_recognizer, load_dlib, shape_predictor

__all__ = ["ENCODING_SIZE", "FaceEncoder", "FaceEncoding", "encode_face"]

ENCODING_SIZE = 128
CHIP_SIZE = 150
CHIP_PADDING = 0.25

Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class FaceEncoding:
    """One encoded face.

    Attributes:
        box: Where the face is in the image.
        landmarks: The landmark points as a (5 or 68, 2) array of (x, y) pixels.
        encoding: The 128-d ``float32`` encoding.
    """

    box: FaceBox
    landmarks: npt.NDArray[np.float64]
    encoding: Vector


@dataclass(frozen=True)
class FaceEncoder:
    """Aligns and encodes faces.

    Attributes:
        landmark_points: 5 (dlib's licence-clean 5-point model), 68 (the iBUG 300-W model,
            not for commercial use: docs/models.md) or None: the configured alignment
            (:func:`biometrics.models.alignment_points`, 5 unless an operator opted in to 68),
            as enrollment and ``portgate faces compare`` use.
        num_jitters: Randomly shifted, rotated and scaled copies of the chip that are
            encoded and averaged (1: the chip only; each one costs a full encoding).
        flip: Also encode the mirrored chip and average (costs one more encoding).
    """

    landmark_points: Literal[5, 68] | None = 5
    num_jitters: int = 1
    flip: bool = False

    def __post_init__(self) -> None:
        """Check the settings."""
        if self.landmark_points not in (5, 68, None):
            raise ValueError(f"landmark_points must be 5 or 68, not {self.landmark_points}")
        if self.num_jitters < 1:
            raise ValueError(f"num_jitters must be at least 1, not {self.num_jitters}")

    def points(self) -> Literal[5, 68]:
        """The landmark model this encoder aligns with (5 or 68 points)."""
        return alignment_points() if self.landmark_points is None else self.landmark_points

    def _shape(self, image: Image, box: FaceBox) -> Any:
        dlib = load_dlib()
        rect = dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
        return shape_predictor(self.points())(image, rect)

    def landmarks(self, image: Image, box: FaceBox) -> npt.NDArray[np.float64]:
        """Return the landmark points of one face as a (N, 2) array of (x, y)."""
        shape = self._shape(image, box)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def encode(self, image: Image, box: FaceBox) -> FaceEncoding:
        """Align and encode one face.

        Args:
            image: RGB ``uint8`` pixels (height, width, 3).
            box: The face, from a detector.

        Returns:
            The encoding with its landmarks.
        """
        image = np.ascontiguousarray(image, dtype=np.uint8)
        shape = self._shape(image, box)
        chip = load_dlib().get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        model = face_recognizer()
        vector = np.asarray(model.compute_face_descriptor(chip, self.num_jitters), np.float64)
        if self.flip:
            mirrored = np.ascontiguousarray(chip[:, ::-1])
            vector = vector + np.asarray(
                model.compute_face_descriptor(mirrored, self.num_jitters), np.float64
            )
            vector /= 2
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        return FaceEncoding(box=box, landmarks=points, encoding=vector.astype(np.float32))


def encode_face(image: Image, box: FaceBox, *, encoder: FaceEncoder | None = None) -> Vector:
    """Return the 128-d ``float32`` encoding of one face.

    Args:
        image: RGB ``uint8`` pixels.
        box: The face, from :func:`biometrics.detect_faces`.
        encoder: The encoder; default 5 landmarks, one jitter (gate speed).

    Returns:
        The encoding.
    """
    return (encoder or FaceEncoder()).encode(image, box).encoding
