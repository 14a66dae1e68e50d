"""Simulated presentation-attack species, closer to real ones than a moved still photo.

Made from one face photo (and, for the video replay, its 68 landmarks), for the tests
and ``bench/bench_liveness.py``; docs/liveness.md says what they are and are not:

* ``print_attack``: a printed photo held in a hand: halftone dots (one rotated screen per
  colour channel), paper grain and fibres, the paper's smaller gamut, a bend of the sheet
  (a cylinder whose curvature flexes from frame to frame) and hand motion (a slow drift
  plus tremor);
* ``screen_replay``: a still photo shown on a phone or tablet: the display's sub-pixel grid
  resampled by the camera at a slight angle (moire appears by aliasing, not painted on),
  gamma and colour cast, a glare spot, refresh banding rolling down the frame, the
  device's dark bezel with the room behind it, hand-held motion;
* ``video_replay``: a video of a moving face (the simulated live user of
  ``testkit/liveness_sim.py``: blink, mouth, head-turn parallax) played on such a screen.

Every parameter is drawn from ``rng``; a real printer, screen and camera differ from all
of this, so figures measured on these are a check of the method, not a PAD measurement.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

# The print is the demo's (its staff-gate attack scenario): one copy.
from portgate.demo.live.printed import hand_path as _hand_path
from portgate.demo.live.printed import print_attack
from testkit.liveness_sim import _noisy, _warp_plane, live_sequence

__all__ = ["SPECIES", "print_attack", "screen_replay", "video_replay"]

Image = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]
SPECIES = ("print", "screen", "video")


class _Display:
    """One phone or tablet: its sub-pixel grid, tilt, gamma, cast, glare and refresh."""

    _K = 2  # the display rendered at twice the camera's resolution, then resampled

    def __init__(self, rng: np.random.Generator, image: Image) -> None:
        self.height, self.width = image.shape[:2]
        self.gamma = rng.uniform(1.15, 1.5)
        self.cast = np.array([0.92, 1.0, rng.uniform(1.04, 1.18)], dtype=np.float32)
        self.band_period = rng.uniform(0.25, 0.6) * self.height
        self.band_depth = rng.uniform(0.04, 0.1)
        self.bezel = int(rng.integers(8, 16))
        self.scale = rng.uniform(0.86, 0.95)
        self.mask = self._mask(rng.uniform(2.6, 3.6), rng.uniform(-4.0, 4.0))
        yy, xx = np.indices((self.height, self.width), dtype=np.float32)
        at = rng.uniform([0.2, 0.1], [0.8, 0.6]) * [self.width, self.height]
        spread = 2 * (0.12 * self.width) ** 2
        spot = np.exp(-((xx - at[0]) ** 2 + (yy - at[1]) ** 2) / spread)
        self.glare = (rng.uniform(25.0, 70.0) * spot)[:, :, None].astype(np.float32)
        self.rows = yy[:, :1] / self.band_period
        self.room = np.asarray(cv2.GaussianBlur(image, (0, 0), 25.0) * 0.6, dtype=np.uint8)

    def _mask(self, pitch: float, tilt: float) -> npt.NDArray[np.float32]:
        """Sub-pixel stripes (R, G, B columns, dark rows between), tilted against the camera."""
        k = self._K
        yy, xx = np.indices((self.height * k, self.width * k), dtype=np.float32)
        column = np.floor(xx / (pitch * k / 3)) % 3
        mask = np.stack([(column == c) for c in range(3)], axis=2).astype(np.float32) * 0.75
        mask = (mask + 0.25) * (((yy / (pitch * k)) % 1.0 > 0.2) * 0.3 + 0.7)[:, :, None]
        turn = cv2.getRotationMatrix2D((xx.shape[1] / 2, xx.shape[0] / 2), tilt, 1.0)
        size = (xx.shape[1], xx.shape[0])
        return np.asarray(cv2.warpAffine(mask, turn, size, borderMode=cv2.BORDER_REFLECT))

    def show(self, image: Image, k: int) -> Image:
        """Frame `k` of `image` on this display, filmed (before hand motion)."""
        shown = 255.0 * (image.astype(np.float32) / 255.0) ** self.gamma * self.cast
        size = (self.width * self._K, self.height * self._K)
        big = cv2.resize(shown, size, interpolation=cv2.INTER_NEAREST) * self.mask * 1.6
        # Resampled without averaging, as a camera's sensor samples the grid: moire.
        filmed = cv2.resize(big, (self.width, self.height), interpolation=cv2.INTER_NEAREST)
        filmed = cv2.GaussianBlur(filmed, (0, 0), 0.7) + self.glare
        phase = k * 0.37 + self.rows
        filmed *= (1 - self.band_depth * (0.5 + 0.5 * np.sin(2 * np.pi * phase)))[:, :, None]
        return self._in_room(np.clip(filmed, 0, 255).astype(np.uint8))

    def _in_room(self, screen: Image) -> Image:
        """The screen, smaller, inside its dark bezel, in front of a blurred room."""
        room = self.room.copy()
        w, h = round(self.width * self.scale), round(self.height * self.scale)
        inner = cv2.resize(screen, (w, h), interpolation=cv2.INTER_AREA)
        b = self.bezel
        top, left = (self.height - h) // 2, (self.width - w) // 2
        room[max(top - b, 0) : top + h + b, max(left - b, 0) : left + w + b] = 18
        room[top : top + h, left : left + w] = inner
        return room


def screen_replay(image: Image, *, rng: np.random.Generator, frames: int = 8) -> list[Image]:
    """A still photo shown on a hand-held phone or tablet."""
    display = _Display(rng, image)
    path = _hand_path(rng, frames, image.shape[1], image.shape[0])
    return [
        _noisy(_warp_plane(display.show(image, k), m).astype(np.float64), rng, 2.0)
        for k, m in enumerate(path)
    ]


def video_replay(
    image: Image, landmarks: Floats, *, rng: np.random.Generator, frames: int = 8
) -> list[Image]:
    """A video of a moving, blinking face played on a hand-held screen."""
    video = live_sequence(image, landmarks, rng=rng, frames=frames)
    display = _Display(rng, image)
    path = _hand_path(rng, frames, image.shape[1], image.shape[0])
    return [
        _noisy(_warp_plane(display.show(f, k), m).astype(np.float64), rng, 2.0)
        for k, (f, m) in enumerate(zip(video, path, strict=True))
    ]
