"""Frame and box helpers of :class:`biometrics.FaceStream`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from biometrics.detection import FaceBox

__all__ = ["as_bgr", "iou", "scaled_box"]

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
