"""A lane camera the test turns the light of: one photo, lit or nearly black.

What `gate_agent.app.AgentApp` reads as its `frame_source`. Lit, it delivers the photo at
`fps`; dark, the photo at 3% of its brightness (too dark for the face detector to find
the face) at `dark_fps`, as a real camera that lengthens its exposure in the dark does,
so a face step keeps waiting on it for as long as the test looks at the lane screen.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import numpy.typing as npt

from gate_agent.camera.frames import Frame

__all__ = ["LaneCamera"]

Image = npt.NDArray[np.uint8]


class LaneCamera:
    """A `FrameSource` of one BGR photo whose light the test switches (`dark`, `lit`)."""

    def __init__(self, image: Image, *, fps: float = 10.0, dark_fps: float = 1.0) -> None:
        self._lit_image = image
        self._dark_image = np.asarray(image * 0.03, dtype=np.uint8)
        self._periods = (1.0 / fps, 1.0 / dark_fps)
        self._is_dark = False
        self._number = 0
        self._closed = threading.Event()
        self.dark_frames = 0  # dark frames delivered since the light went off

    def dark(self) -> None:
        """Turn the light off: the next frames are nearly black, and slower."""
        self.dark_frames = 0
        self._is_dark = True

    def lit(self) -> None:
        """Turn the light on again."""
        self._is_dark = False

    def read(self) -> Frame | None:
        """The next frame, once its period is over (None once closed)."""
        dark = self._is_dark
        if self._closed.wait(self._periods[dark]):
            return None
        self._number += 1
        if dark:
            self.dark_frames += 1
        image = self._dark_image if dark else self._lit_image
        return Frame(image=image, number=self._number, at=time.monotonic())

    def close(self) -> None:
        """Stop delivering frames."""
        self._closed.set()
