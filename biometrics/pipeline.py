"""From an image to the encoding of its subject: detection, face choice, alignment, encoding.

Two presets:

* :data:`GATE_PIPELINE` — fast, for camera frames: HOG without upsampling on a frame
  downscaled to 640 pixels wide, 5 landmarks, one encoding (about 18 ms + 77 ms on one
  core with the dlib-bin wheel).
* :data:`ENROLLMENT_PIPELINE` — careful, for enrollment photos and ``portgate faces
  compare``: HOG, then HOG with one upsample for small faces, then dlib's CNN detector as
  a last resort; the configured alignment (dlib's licence-clean 5-point model unless an
  operator opted in to the 68-point one, docs/models.md); the chip, its mirror image and
  four slightly re-aligned chips (``align_jitter``) encoded and averaged (docs/biometrics.md
  has the figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from biometrics.detection import (
    CascadeDetector,
    CnnDetector,
    FaceDetector,
    HogDetector,
    select_primary_face,
)
from biometrics.encoding import FaceEncoder, FaceEncoding
from biometrics.images import load_image

__all__ = ["ENROLLMENT_PIPELINE", "GATE_PIPELINE", "FacePipeline"]


@dataclass(frozen=True)
class FacePipeline:
    """Detects the subject's face in an image and encodes it.

    Attributes:
        detector: Finds the faces.
        encoder: Aligns and encodes the chosen face.
    """

    detector: FaceDetector
    encoder: FaceEncoder

    def encode_image(self, image: npt.NDArray[np.uint8]) -> FaceEncoding | None:
        """Encode the subject's face (the most central of the large faces).

        Args:
            image: RGB ``uint8`` pixels.

        Returns:
            The encoding, or ``None`` when no face was found.
        """
        boxes = self.detector.detect(image)
        face = select_primary_face(boxes, height=image.shape[0], width=image.shape[1])
        return None if face is None else self.encoder.encode(image, face)

    def encode_file(self, path: Path) -> FaceEncoding | None:
        """Read an image file and encode its subject's face.

        Args:
            path: The image file.

        Returns:
            The encoding, or ``None`` when no face was found.

        Raises:
            ImageError: If the file is missing or not an image.
        """
        return self.encode_image(load_image(path))


GATE_PIPELINE = FacePipeline(
    detector=HogDetector(upsample=0, max_width=640),
    encoder=FaceEncoder(landmark_points=5, num_jitters=1),
)

ENROLLMENT_PIPELINE = FacePipeline(
    detector=CascadeDetector(
        detectors=(
            HogDetector(upsample=0, max_width=1024),
            HogDetector(upsample=1, max_width=640),
            CnnDetector(upsample=1, max_width=400),
        )
    ),
    encoder=FaceEncoder(landmark_points=None, num_jitters=1, flip=True, align_jitter=True),
)
