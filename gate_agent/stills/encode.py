"""A camera frame as a small JPEG: at most `MAX_STILL_WIDTH` px wide, quality 80."""

import cv2
import numpy as np
import numpy.typing as npt
from gate_protocol.stills import MAX_STILL_BYTES, MAX_STILL_WIDTH

__all__ = ["JPEG_QUALITY", "StillTooLarge", "jpeg_of"]

JPEG_QUALITY = 80


class StillTooLarge(ValueError):
    """The encoded frame is over the wire's bound (never at 640 px and quality 80)."""


def jpeg_of(image: npt.NDArray[np.uint8]) -> bytes:
    """The BGR frame as a JPEG, downscaled (aspect kept) if wider than `MAX_STILL_WIDTH`.

    Raises:
        StillTooLarge: the JPEG is over `MAX_STILL_BYTES`.
        ValueError: OpenCV could not encode the frame.
    """
    height, width = image.shape[:2]
    if width > MAX_STILL_WIDTH:
        size = (MAX_STILL_WIDTH, max(1, round(height * MAX_STILL_WIDTH / width)))
        image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("OpenCV could not encode the frame")
    jpeg = encoded.tobytes()
    if len(jpeg) > MAX_STILL_BYTES:
        raise StillTooLarge(f"{len(jpeg)} bytes")
    return jpeg
