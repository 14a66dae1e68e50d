"""A demo camera: replays whatever the script puts in front of it (a face, a QR pass, nothing).

A scene is one still (a QR pass) or a loop of frames (a synthesised live session or a
print held up, `portgate.demo.live`), played round and round at the camera's rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gate_agent.camera.frames import Frame, read_bgr_image

__all__ = ["ScriptedCamera", "read_image"]

Image = npt.NDArray[np.uint8]


def read_image(path: Path) -> Image:
    """Decode an image file as BGR, as a camera delivers it (the agent's file loader).

    Raises:
        FrameSourceError: the file is missing or not an image.
    """
    return read_bgr_image(path)


class ScriptedCamera:
    """A FrameSource at `fps` whose scene the demo script changes with `show`.

    Args:
        fps: Frames per second.
        size: (height, width) of the empty scene.
    """

    def __init__(self, *, fps: float = 8.0, size: tuple[int, int] = (480, 640)) -> None:
        self._empty: Image = np.full((*size, 3), 96, dtype=np.uint8)
        self._scene: tuple[Image, ...] = (self._empty,)
        self._lock = threading.Lock()
        self._period = 1.0 / fps
        self._next_at = time.monotonic()
        self._number = 0
        self._closed = threading.Event()

    def show(self, image: Image | Sequence[Image] | None) -> None:
        """Put `image` in front of the camera: a still, a loop of frames, or None (empty lane)."""
        if image is None:
            scene: tuple[Image, ...] = (self._empty,)
        elif isinstance(image, np.ndarray):
            scene = (image,)
        else:
            scene = tuple(image) or (self._empty,)
        with self._lock:
            self._scene = scene

    def read(self) -> Frame | None:
        """The current scene, paced at the camera's rate; None once closed."""
        delay = self._next_at - time.monotonic()
        if delay > 0 and self._closed.wait(delay):
            return None
        if self._closed.is_set():
            return None
        self._next_at = max(self._next_at + self._period, time.monotonic() - self._period)
        with self._lock:
            image = self._scene[self._number % len(self._scene)]
        frame = Frame(image=image, number=self._number, at=time.monotonic())
        self._number += 1
        return frame

    def close(self) -> None:
        """End the stream."""
        self._closed.set()
