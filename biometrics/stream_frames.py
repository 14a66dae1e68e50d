"""Frame and box helpers of :class:`biometrics.FaceStream`."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.detection import FaceBox

__all__ = ["as_bgr", "iou", "scaled_box", "search_near"]

Image = npt.NDArray[np.uint8]


def iou(a: FaceBox, b: FaceBox) -> float:
    """Intersection over union of two boxes (0 when they do not overlap)."""
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (a.width * a.height + b.width * b.height - inter)


def as_bgr(frame: Image) -> Image:
    """The frame as BGR (grey and BGRA converted); ValueError for anything else."""
    import cv2  # noqa: PLC0415

    if frame.dtype != np.uint8:
        raise ValueError(f"expected a BGR uint8 frame (height, width, 3), got {frame.dtype}")
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] in (1, 4)):
        code = cv2.COLOR_BGRA2BGR if frame.ndim == 3 and frame.shape[2] == 4 else None
        frame = np.asarray(
            cv2.cvtColor(frame, code)
            if code is not None
            else cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2BGR),
            np.uint8,
        )
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(
            f"expected a BGR uint8 frame (height, width, 3), got {frame.dtype} {frame.shape}"
        )
    return frame


def scaled_box(rect: object, inv: float, top: int, left: int, score: float) -> FaceBox:
    """A dlib rectangle found on an image scaled by 1/inv, placed at (top, left) of the frame."""
    return FaceBox(
        top=top + round(rect.top() * inv),  # type: ignore[attr-defined]
        right=left + round((rect.right() + 1) * inv),  # type: ignore[attr-defined]
        bottom=top + round((rect.bottom() + 1) * inv),  # type: ignore[attr-defined]
        left=left + round(rect.left() * inv),  # type: ignore[attr-defined]
        score=score,
    )


def search_near(
    grey: Image, box: FaceBox, detector: Any, *, face_px: int, margin: float
) -> FaceBox | None:
    """The face found around `box` (a followed face's last place) in a grey frame, or None.

    The crop reaches `margin` face widths beyond the box on each side and is scaled so the
    face is about `face_px` wide (HOG without upsampling, as the full scan); of the faces
    found there, the one overlapping the old box most.
    """
    import cv2  # noqa: PLC0415

    height, width = grey.shape[:2]
    pad = round(margin * box.width)
    top, left = max(box.top - pad, 0), max(box.left - pad, 0)
    bottom, right = min(box.bottom + pad, height), min(box.right + pad, width)
    scale = min(1.0, face_px / max(box.width, 1))
    crop: Image = grey[top:bottom, left:right]
    if scale < 1.0:
        size = (max(round(crop.shape[1] * scale), 1), max(round(crop.shape[0] * scale), 1))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), np.uint8)
    rects, scores, _ = detector.run(np.ascontiguousarray(crop), 0, 0.0)
    found = [
        scaled_box(r, 1 / scale, top, left, float(s)).clipped(height, width)
        for r, s in zip(rects, scores, strict=True)
    ]
    return max(found, key=lambda b: iou(b, box), default=None)
