"""The face-position hint while the face step waits: too far, turned away, too dark, too bright.

Computed from what the window after a credential already found in each frame (the face's
box and 5-point landmarks; `gate_agent.face.window`), never by a search of its own:
`biometrics.quality.check_quality` on that box (mean grey level and sharpness of the face,
its width against the frame's, the head pose from the landmarks). A frame with no face is
judged by its own mean grey level on a sparse grid of pixels, so a lane too dark for the
detector still says "too dark", not only "look at the camera".

`FaceHints` pushes a hint to its callback only when it changes, and only once the same
answer held for `HintSettings.steady_frames` frames in a row or `steady_s` seconds, so the
screen does not flicker; a good face clears the hint (None). The callback is a plain
``on_hint(lane, reason)`` handed down from the agent's wiring: this room does not know
the display. A hint names nothing about the person.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from biometrics.detection import FaceBox
from biometrics.quality import QualityReason, QualitySettings, check_quality
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FaceHints",
    "HintCallback",
    "HintSettings",
    "SeenFace",
    "ShowsFaces",
    "faces_seen",
    "frame_hint",
]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]
# The reason a screen shows when a face fails several checks: what the person can fix first.
_FIRST = (
    QualityReason.NO_FACE,
    QualityReason.SEVERAL_FACES,
    QualityReason.TOO_DARK,
    QualityReason.TOO_BRIGHT,
    QualityReason.TOO_SMALL,
    QualityReason.TURNED_AWAY,
    QualityReason.BLURRED,
)
# Told `(lane, reason)` when a lane's hint changes; reason None: the face is good.
HintCallback = Callable[[int, QualityReason | None], None]
_GRID = 16  # a frame without a face: its brightness from every 16th pixel each way


class HintSettings(BaseModel):
    """Limits of the lane's face hint.

    The face's width is judged against the frame's, not in pixels: a gate camera's
    resolution is the site's choice, the person's distance is what the hint tells. Under
    0.15 of the frame (about 0.9 m from a camera with a 60-degree field of view) the face is
    under 96 px at the window's search width (640 px), where HOG starts to lose it; much
    smaller, it is not found at all and the screen asks to look at the camera. The face's
    brightness limits are the desk's; sharpness and head turn are looser than the desk's,
    tuned on every third LFW dev image (120, never the shipped photos the tests use): at
    the desk's 40 a fifth of those good faces would be told to hold still, at 15 none;
    the desk's 30 degrees of turn flag 5% of them, 35 degrees 1%.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_face_fraction: float = Field(
        default=0.15, gt=0.0, lt=1.0, description="Face narrower than this share of the frame."
    )
    min_frame_brightness: float = Field(
        default=40.0, description="No face and the frame's mean grey level below this: dark."
    )
    max_frame_brightness: float = Field(
        default=225.0, description="No face and the frame's mean grey level above this: glare."
    )
    steady_frames: int = Field(default=3, ge=1, description="The same answer this many frames.")
    steady_s: float = Field(default=0.3, ge=0.0, description="Or the same answer this long.")
    quality: QualitySettings = Field(
        default_factory=lambda: QualitySettings(min_sharpness=15.0, max_yaw_deg=35.0)
    )


@dataclass(frozen=True, slots=True)
class SeenFace:
    """The subject's face as the window found it in one frame (box, 5 or 68 landmarks)."""

    box: FaceBox
    landmarks: npt.NDArray[np.float64] | None = None


@runtime_checkable
class ShowsFaces(Protocol):
    """A face window that tells which faces it found in the frame it was fed last."""

    def last_faces(self) -> Sequence[SeenFace]:
        """The faces of the last frame fed, the subject's first (none: no face found)."""
        ...


def faces_seen(window: object) -> Sequence[SeenFace] | None:
    """The faces `window` found in its last frame; None: it cannot tell (no hint judged)."""
    return window.last_faces() if isinstance(window, ShowsFaces) else None


def frame_hint(
    image: Image, faces: Sequence[SeenFace], settings: HintSettings | None = None
) -> QualityReason | None:
    """What keeps the face in this BGR frame from being used (None: nothing, it is good).

    Args:
        image: The frame, BGR as the camera delivers it.
        faces: The faces the face step found in it, the subject's first.
        settings: The limits.
    """
    limits = settings or HintSettings()
    if not faces:
        level = float(image[::_GRID, ::_GRID].mean()) if image.size else 0.0
        if level < limits.min_frame_brightness:
            return QualityReason.TOO_DARK
        if level > limits.max_frame_brightness:
            return QualityReason.TOO_BRIGHT
        return QualityReason.NO_FACE
    width = image.shape[1]
    quality = limits.quality.model_copy(
        update={"min_face_px": max(1, round(limits.min_face_fraction * width))}
    )
    subject = faces[0]
    report = check_quality(
        image[..., ::-1] if image.ndim == 3 else image,  # BGR to RGB: a view, no copy
        [face.box for face in faces],
        landmarks=subject.landmarks,
        settings=quality,
        face=subject.box,
    )
    return min(report.reasons, key=_FIRST.index, default=None)


class FaceHints:
    """One lane's hint over the frames of one face step, pushed when it settles on a change.

    Args:
        lane: The lane the face step waits on.
        on_hint: Told `(lane, reason)` when the hint changes (None: the face is good).
        settings: Limits and the debounce.
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        lane: int,
        on_hint: HintCallback,
        settings: HintSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lane = lane
        self._on_hint = on_hint
        self._settings = settings or HintSettings()
        self._clock = clock
        self._shown: QualityReason | None = None  # the screen starts on "look at the camera"
        self._candidate: QualityReason | None = None
        self._count = 0
        self._since = 0.0

    def see(self, image: Image, faces: Sequence[SeenFace] | None) -> None:
        """Judge the next frame the face step looked at; push the hint once it is steady.

        `faces` None: the step cannot tell what it found; the frame is not judged.
        """
        if faces is None:
            return
        try:
            reason = frame_hint(image, faces, self._settings)
        except Exception:  # a hint must never stop the face step
            _log.exception("face hint: could not judge a frame")
            return
        now = self._clock()
        if reason != self._candidate or self._count == 0:
            self._candidate, self._count, self._since = reason, 0, now
        self._count += 1
        steady = (
            self._count >= self._settings.steady_frames
            or now - self._since >= self._settings.steady_s
        )
        if steady and reason != self._shown:
            self._shown = reason
            self._on_hint(self._lane, reason)
