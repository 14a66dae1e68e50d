"""Frame sources: where the agent's camera frames come from.

`FrameSource` is the one interface the frame pipeline reads. Replay sources (one image file,
or a folder of images, in a loop at a fixed rate) serve the demo, the tests and the
benchmarks; `OpenCVFrameSource` reads a real camera or stream through ``cv2.VideoCapture``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt
from biometrics import ImageError, load_image

from gate_agent.config import (
    CameraConfig,
    FileCameraConfig,
    FolderCameraConfig,
    OpenCVCameraConfig,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "Frame",
    "FrameSource",
    "FrameSourceError",
    "OpenCVFrameSource",
    "ReplayFrameSource",
    "open_frame_source",
    "read_bgr_image",
]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp"})
Image = npt.NDArray[np.uint8]


class FrameSourceError(RuntimeError):
    """A frame source cannot be opened (no images, unreadable file, no camera)."""


def read_bgr_image(path: Path) -> Image:
    """Decode an image file as BGR, as a camera delivers it, its header checked first.

    Raises:
        FrameSourceError: the file is missing, not an image, or has too many pixels.
    """
    try:
        rgb = load_image(path)
    except ImageError as exc:
        raise FrameSourceError(f"cannot read image {path}: {exc}") from exc
    return np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class Frame:
    """One camera frame: BGR pixels, a per-source number and the monotonic capture time."""

    image: Image
    number: int
    at: float


class FrameSource(Protocol):
    """A camera: `read` blocks until the next frame, None at the end of the stream."""

    def read(self) -> Frame | None:
        """The next frame, or None when the source has ended."""
        ...

    def close(self) -> None:
        """Release the device."""
        ...


class ReplayFrameSource:
    """Replays decoded images in a loop at `fps` (0: as fast as read)."""

    def __init__(self, images: Sequence[Image], *, fps: float, loop: bool = True) -> None:
        if not images:
            raise FrameSourceError("no images to replay")
        self._images = list(images)
        self._period = 1.0 / fps if fps > 0 else 0.0
        self._loop = loop
        self._number = 0
        self._next_at = time.monotonic()

    @classmethod
    def from_paths(cls, paths: Sequence[Path], *, fps: float) -> ReplayFrameSource:
        """Decode the image files once and replay them.

        Raises:
            FrameSourceError: a file is missing or is not an image.
        """
        return cls([read_bgr_image(path) for path in paths], fps=fps)

    def read(self) -> Frame | None:
        """Sleep until the next frame is due and return it."""
        if not self._loop and self._number >= len(self._images):
            return None
        if self._period:
            delay = self._next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_at = max(self._next_at + self._period, time.monotonic() - self._period)
        image = self._images[self._number % len(self._images)]
        frame = Frame(image=image, number=self._number, at=time.monotonic())
        self._number += 1
        return frame

    def close(self) -> None:
        """Nothing to release."""


class OpenCVFrameSource:
    """A camera device index or stream URL read through OpenCV."""

    def __init__(self, config: OpenCVCameraConfig) -> None:
        self._capture = cv2.VideoCapture(config.device)
        if not self._capture.isOpened():
            raise FrameSourceError(f"cannot open camera {config.device!r}")
        if config.width:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, config.width)
        if config.height:
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, config.height)
        self._number = 0

    def read(self) -> Frame | None:
        """The next frame, or None when the device or stream has ended."""
        ok, image = self._capture.read()
        if not ok or image is None:
            return None
        frame = Frame(
            image=np.asarray(image, dtype=np.uint8), number=self._number, at=time.monotonic()
        )
        self._number += 1
        return frame

    def close(self) -> None:
        """Release the device."""
        self._capture.release()


def open_frame_source(config: CameraConfig) -> FrameSource:
    """Open the frame source a camera config describes.

    Raises:
        FrameSourceError: the file, folder or device cannot be used.
    """
    if isinstance(config, FileCameraConfig):
        if not config.path.is_file():
            raise FrameSourceError(f"camera file {config.path} does not exist")
        return ReplayFrameSource.from_paths([config.path], fps=config.fps)
    if isinstance(config, FolderCameraConfig):
        if not config.path.is_dir():
            raise FrameSourceError(f"camera folder {config.path} does not exist")
        paths = sorted(p for p in config.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise FrameSourceError(f"camera folder {config.path} holds no images")
        return ReplayFrameSource.from_paths(paths, fps=config.fps)
    return OpenCVFrameSource(config)
