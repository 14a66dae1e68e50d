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

__all__ = ["ALIGNMENT_JITTER", "ENCODING_SIZE", "FaceEncoder", "FaceEncoding", "encode_face"]

ENCODING_SIZE = 128
CHIP_SIZE = 150
CHIP_PADDING = 0.25
# dlib's mean 5-point face (get_face_chip_details, dlib/image_transforms/interpolation.h):
# where a chip puts the 5-point model's eye corners and nose base, as fractions of the face.
_FIVE_POINT_FACE = np.array(
    [
        (0.8595674595992, 0.2134981538014),
        (0.6460604764104, 0.2289674387677),
        (0.1205750620789, 0.2137274526848),
        (0.3340850613712, 0.2290642403242),
        (0.4901123135679, 0.6277975316475),
    ]
)
# (scale, degrees) of the re-aligned chips an enrollment template also averages: about the
# spread of the 5-point alignment against the 68-point one on LFW (scale 4%, angle 1.7
# degrees), so a template depends less on one landmark fit (docs/biometrics.md).
ALIGNMENT_JITTER: tuple[tuple[float, float], ...] = (
    (0.96, 0.0),
    (1.04, 0.0),
    (1.0, -2.5),
    (1.0, 2.5),
)

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
        align_jitter: Also encode the chips of :data:`ALIGNMENT_JITTER` (the face a little
            smaller, larger and turned each way) and average: for enrollment templates
            (four more encodings); 5-point alignment only, the 68-point opt-in ignores it.
    """

    landmark_points: Literal[5, 68] | None = 5
    num_jitters: int = 1
    flip: bool = False
    align_jitter: bool = False

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
        if self.align_jitter and len(points) == 5:
            encoded = 2 if self.flip else 1
            vector *= encoded
            for chip in _jittered_chips(image, points):
                vector += np.asarray(model.compute_face_descriptor(chip, self.num_jitters))
            vector /= encoded + len(ALIGNMENT_JITTER)
        return FaceEncoding(box=box, landmarks=points, encoding=vector.astype(np.float32))


def _jittered_chips(image: Image, points: npt.NDArray[np.float64]) -> list[Image]:
    """The chips of :data:`ALIGNMENT_JITTER`: dlib's 5-point chip scaled and turned."""
    dlib = load_dlib()
    face = (CHIP_PADDING + _FIVE_POINT_FACE) / (2 * CHIP_PADDING + 1) * CHIP_SIZE
    centre = CHIP_SIZE / 2
    to_points = dlib.dpoints([dlib.dpoint(float(x), float(y)) for x, y in points])
    chips = []
    for scale, degrees in ALIGNMENT_JITTER:
        angle = np.radians(degrees)
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        moved = centre + scale * (face - centre) @ turn.T
        details = dlib.chip_details(
            dlib.dpoints([dlib.dpoint(float(x), float(y)) for x, y in moved]),
            to_points,
            dlib.chip_dims(CHIP_SIZE, CHIP_SIZE),
        )
        chips.append(dlib.extract_image_chip(image, details))
    return chips


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
