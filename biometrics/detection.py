"""Face detectors behind one small interface, and the choice of the subject's face.

Images are RGB ``uint8`` arrays of shape (height, width, 3), as face_recognition uses.
Boxes are :class:`FaceBox` in (top, right, bottom, left) pixel order, also as
face_recognition uses.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from biometrics.errors import ModelFileError
from biometrics.models import cnn_detector, hog_detector

# dlib's HOG detector is one shared object and aborts the process when two threads run it
# at once (the demo made its scenes on several threads while a gate scanned): one at a time.
_HOG_LOCK = threading.Lock()

__all__ = [
    "CascadeDetector",
    "CnnDetector",
    "FaceBox",
    "FaceDetector",
    "HogDetector",
    "YuNetDetector",
    "detect_faces",
    "select_primary_face",
]

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class FaceBox:
    """A detected face in image pixels, (top, right, bottom, left) like face_recognition.

    Attributes:
        top: First row of the face.
        right: Last column of the face (exclusive).
        bottom: Last row of the face (exclusive).
        left: First column of the face.
        score: Detector confidence; the scale depends on the detector.
    """

    top: int
    right: int
    bottom: int
    left: int
    score: float = 0.0

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        """Centre as (x, y)."""
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    def as_css(self) -> list[int]:
        """Return ``[top, right, bottom, left]`` (the JSON form of ``portgate scan``)."""
        return [self.top, self.right, self.bottom, self.left]

    def clipped(self, height: int, width: int) -> FaceBox:
        """Return this box clipped to an image of the given size."""
        return FaceBox(
            top=max(self.top, 0),
            right=min(self.right, width),
            bottom=min(self.bottom, height),
            left=max(self.left, 0),
            score=self.score,
        )


class FaceDetector(Protocol):
    """Anything that finds faces in an RGB image."""

    def detect(self, image: Image) -> list[FaceBox]:
        """Return the faces found in ``image``, in any order."""
        ...


def _scale_for(image: Image, max_width: int | None) -> float:
    width = image.shape[1]
    return 1.0 if max_width is None or width <= max_width else max_width / width


def _resized(image: Image, scale: float) -> Image:
    if scale == 1.0:
        return image
    import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def _box_from_rect(rect: object, scale: float, score: float) -> FaceBox:
    inv = 1.0 / scale
    return FaceBox(
        top=round(rect.top() * inv),  # type: ignore[attr-defined]
        right=round((rect.right() + 1) * inv),  # type: ignore[attr-defined]
        bottom=round((rect.bottom() + 1) * inv),  # type: ignore[attr-defined]
        left=round(rect.left() * inv),  # type: ignore[attr-defined]
        score=score,
    )


@dataclass(frozen=True)
class HogDetector:
    """dlib's HOG detector on a downscaled frame: about 18 ms at 640x360 on one core.

    Attributes:
        upsample: Times dlib doubles the image before searching (0 is fastest; each
            step finds faces half as large and costs about four times as much).
        max_width: Frames wider than this are downscaled first (``None``: never).
        grey: Search the grey image: one gradient channel instead of three, about a
            quarter faster; on the 444 LFW dev images it found 440 faces against 442.
    """

    upsample: int = 0
    max_width: int | None = 640
    grey: bool = False

    def detect(self, image: Image) -> list[FaceBox]:
        """Return the faces found in ``image`` (RGB, or grey (height, width))."""
        scale = _scale_for(image, self.max_width)
        small = _resized(image, scale)
        if self.grey and small.ndim == 3:
            import cv2  # noqa: PLC0415

            small = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        with _HOG_LOCK:
            rects, scores, _ = hog_detector().run(small, self.upsample, 0.0)
        height, width = image.shape[:2]
        return [
            _box_from_rect(r, scale, float(s)).clipped(height, width)
            for r, s in zip(rects, scores, strict=True)
        ]


@dataclass(frozen=True)
class CnnDetector:
    """dlib's CNN (MMOD) detector: finds turned and small faces, but slow on CPU.

    Attributes:
        upsample: Times the image is doubled before searching.
        max_width: Frames wider than this are downscaled first.
    """

    upsample: int = 0
    max_width: int | None = 640

    def detect(self, image: Image) -> list[FaceBox]:
        """Return the faces found in ``image``."""
        scale = _scale_for(image, self.max_width)
        detections = cnn_detector()(_resized(image, scale), self.upsample)
        height, width = image.shape[:2]
        return [
            _box_from_rect(d.rect, scale, float(d.confidence)).clipped(height, width)
            for d in detections
        ]


class YuNetDetector:
    """OpenCV's YuNet detector (``cv2.FaceDetectorYN``) with a model file the user supplies.

    Nothing is downloaded at run time: point ``model_file`` at an ONNX file such as
    ``face_detection_yunet_2023mar.onnx`` from the OpenCV model zoo.
    """

    def __init__(
        self, model_file: Path, *, score_threshold: float = 0.8, max_width: int | None = 640
    ) -> None:
        """Load the model.

        Args:
            model_file: The YuNet ONNX model.
            score_threshold: Minimum confidence of a face.
            max_width: Frames wider than this are downscaled first.

        Raises:
            ModelFileError: If the model file is missing or OpenCV cannot load it.
        """
        if not model_file.is_file():
            raise ModelFileError(
                f"YuNet model file not found: {model_file} (download "
                "face_detection_yunet_2023mar.onnx from the OpenCV model zoo "
                "and configure its path)"
            )
        import cv2  # noqa: PLC0415

        try:
            self._net = cv2.FaceDetectorYN.create(str(model_file), "", (320, 320), score_threshold)
        except cv2.error as exc:
            raise ModelFileError(f"OpenCV cannot load YuNet model {model_file}: {exc}") from exc
        self._max_width = max_width

    def detect(self, image: Image) -> list[FaceBox]:
        """Return the faces found in ``image``."""
        import cv2  # noqa: PLC0415

        scale = _scale_for(image, self._max_width)
        small = cv2.cvtColor(_resized(image, scale), cv2.COLOR_RGB2BGR)
        self._net.setInputSize((small.shape[1], small.shape[0]))
        _, faces = self._net.detect(small)
        height, width = image.shape[:2]
        boxes: list[FaceBox] = []
        for row in faces if faces is not None else []:
            x, y, w, h = (float(v) / scale for v in row[:4])
            box = FaceBox(
                top=round(y), right=round(x + w), bottom=round(y + h), left=round(x), score=row[-1]
            )
            boxes.append(box.clipped(height, width))
        return boxes


@dataclass(frozen=True)
class CascadeDetector:
    """Tries detectors in order until one finds a face (cheap first, slow last resort).

    Attributes:
        detectors: The detectors, cheapest first.
    """

    detectors: tuple[FaceDetector, ...]

    def detect(self, image: Image) -> list[FaceBox]:
        """Return the faces of the first detector that finds any."""
        for detector in self.detectors:
            boxes = detector.detect(image)
            if boxes:
                return boxes
        return []


def detect_faces(image: Image, *, detector: FaceDetector | None = None) -> list[FaceBox]:
    """Find faces in an RGB image.

    Args:
        image: RGB ``uint8`` array (height, width, 3).
        detector: The detector; default :class:`HogDetector` (gate speed: no upsampling,
            frames downscaled to 640 pixels wide).

    Returns:
        The faces found, largest first.
    """
    boxes = (detector or HogDetector()).detect(image)
    return sorted(boxes, key=lambda b: b.width * b.height, reverse=True)


def select_primary_face(boxes: list[FaceBox], *, height: int, width: int) -> FaceBox | None:
    """Choose the subject's face: the most central of the large faces.

    Bystanders in a portrait or a gate camera are usually smaller and off-centre. Faces
    at least half as wide as the largest one compete; among them the one nearest to the
    image centre (in units of its own width) wins.

    Args:
        boxes: Detected faces.
        height: Image height.
        width: Image width.

    Returns:
        The chosen face, or ``None`` when there is none.
    """
    if not boxes:
        return None
    largest = max(b.width for b in boxes)
    candidates = [b for b in boxes if b.width >= 0.5 * largest]

    def off_centre(box: FaceBox) -> float:
        cx, cy = box.center
        return float(np.hypot(cx - width / 2, cy - height / 2)) / max(box.width, 1)

    return min(candidates, key=off_centre)
