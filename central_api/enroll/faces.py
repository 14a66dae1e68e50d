"""One enrollment photo: decode it, check its quality with reasons, encode the face.

Detection is the enrollment pipeline's HOG cascade without its last resort, dlib's CNN
detector: on two cores the CNN takes about 8 s on a photo without a face, which is no
"immediate" feedback, and a desk photo that HOG cannot find (turned away, tiny, dark) is
not a good enrollment photo anyway. Encoding is the enrollment pipeline's (5 landmarks by default,
mirrored chip averaged).

dlib's models are shared and safe for one thread at a time, and FastAPI runs sync routes
in a thread pool, so every analysis holds one lock.
"""

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from biometrics import (
    ENROLLMENT_MAX_PIXELS,
    ENROLLMENT_PIPELINE,
    CascadeDetector,
    FacePipeline,
    HogDetector,
    ImageError,
    QualityReason,
    QualityReport,
    QualitySettings,
    check_quality,
    decode_image,
    select_primary_face,
)

from central_api.errors import InvalidError

__all__ = ["DESK_PIPELINE", "MAX_PHOTO_BYTES", "PhotoAnalysis", "analyse_photo", "decode_photo"]

MAX_PHOTO_BYTES = 4 * 1024 * 1024
_LOCK = threading.Lock()
_QUALITY = QualitySettings()
DESK_PIPELINE = FacePipeline(
    detector=CascadeDetector(
        detectors=(HogDetector(upsample=0, max_width=1024), HogDetector(upsample=1, max_width=640))
    ),
    encoder=ENROLLMENT_PIPELINE.encoder,
)


@dataclass(frozen=True)
class PhotoAnalysis:
    """What the desk learns about a photo.

    Attributes:
        reasons: Failed quality checks (empty: the photo is usable).
        encoding: The face encoding when the photo is usable.
        quality: A 0-1 score (face size, sharpness, exposure) for ranking templates.
        face_box: The measured face as [top, right, bottom, left], if any.
    """

    reasons: list[QualityReason] = field(default_factory=list)
    encoding: npt.NDArray[np.float32] | None = None
    quality: float = 0.0
    face_box: list[int] | None = None

    @property
    def ok(self) -> bool:
        """Whether a template can be made from the photo."""
        return not self.reasons and self.encoding is not None

    @property
    def messages(self) -> list[str]:
        """The reasons as sentences for the desk officer."""
        return [reason.message for reason in self.reasons]


def decode_photo(data: bytes) -> npt.NDArray[np.uint8]:
    """Decode JPEG/PNG/WebP bytes into RGB pixels, the header checked before any pixel.

    Raises:
        InvalidError: Empty, too large (bytes or pixels), truncated or not an image.
    """
    if not data:
        raise InvalidError("the photo is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidError(f"the photo is over {MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    try:
        return decode_image(data, max_pixels=ENROLLMENT_MAX_PIXELS)
    except ImageError as exc:
        raise InvalidError(f"the photo is refused: {exc}") from exc


def _score(report: QualityReport) -> float:
    size = min(1.0, report.face_px / 240)
    sharp = min(1.0, report.sharpness / (4 * _QUALITY.min_sharpness))
    exposure = max(0.0, 1.0 - abs(report.brightness - 128.0) / 128.0)
    return round((size + sharp + exposure) / 3, 3)


def analyse_photo(image: npt.NDArray[np.uint8]) -> PhotoAnalysis:
    """Detect, check and (when the photo is good) encode the subject's face.

    The cheap checks run first, so a bad photo costs no encoding; the head pose needs the
    landmarks the encoder computes, so it is judged last.
    """
    pipeline = DESK_PIPELINE
    with _LOCK:
        boxes = pipeline.detector.detect(image)
        first = check_quality(image, boxes, settings=_QUALITY)
        if not first.ok or first.face is None:
            box = first.face.as_css() if first.face else None
            return PhotoAnalysis(reasons=list(first.reasons), face_box=box)
        face = select_primary_face(boxes, height=image.shape[0], width=image.shape[1])
        assert face is not None  # noqa: S101 (check_quality found it)
        encoded = pipeline.encoder.encode(image, face)
    report = check_quality(image, boxes, landmarks=encoded.landmarks, settings=_QUALITY)
    if not report.ok:
        return PhotoAnalysis(reasons=list(report.reasons), face_box=face.as_css())
    return PhotoAnalysis(encoding=encoded.encoding, quality=_score(report), face_box=face.as_css())
