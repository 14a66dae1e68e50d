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

from testkit.liveness_sim import _noisy, _plane_path, _warp_plane, live_sequence

__all__ = ["SPECIES", "print_attack", "screen_replay", "video_replay"]

Image = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]
SPECIES = ("print", "screen", "video")


def _halftone(image: Floats, rng: np.random.Generator) -> Floats:
    """Each channel printed as dots of a rotated cosine screen, seen slightly out of focus."""
    height, width = image.shape[:2]
    yy, xx = np.indices((height, width), dtype=np.float64)
    period = rng.uniform(2.2, 3.5)
    out = np.empty_like(image)
    for channel, angle in enumerate(np.deg2rad([15.0, 75.0, 45.0]) + rng.uniform(0, 0.2)):
        u = xx * np.cos(angle) + yy * np.sin(angle)
        v = -xx * np.sin(angle) + yy * np.cos(angle)
        screen = (np.cos(2 * np.pi * u / period) * np.cos(2 * np.pi * v / period) + 1) / 2
        ink = (image[:, :, channel] / 255.0 > screen).astype(np.float64) * 255.0
        out[:, :, channel] = 0.45 * ink + 0.55 * image[:, :, channel]
    return np.asarray(cv2.GaussianBlur(out, (0, 0), 0.6), dtype=np.float64)


def _paper(shape: tuple[int, ...], rng: np.random.Generator) -> Floats:
    """Multiplicative paper texture: slow unevenness, fibres and fine grain."""
    height, width = shape[:2]
    slow = cv2.GaussianBlur(rng.normal(0, 1, (height, width)), (0, 0), 12.0)
    fibres = cv2.GaussianBlur(rng.normal(0, 1, (height, width)), (0, 0), sigmaX=4.0, sigmaY=0.7)
    grain = rng.normal(0, 1, (height, width))
    texture = (
        1 + 0.6 * slow / max(slow.std(), 1e-9) * 0.03 + 0.02 * fibres / max(fibres.std(), 1e-9)
    )
    return np.asarray((texture + 0.01 * grain)[:, :, None], dtype=np.float64)


def _bend(image: Image, curvature: float) -> Image:
    """The sheet bent about its vertical axis: its sides recede and shrink (perspective)."""
    height, width = image.shape[:2]
    cx, cy = width / 2, height / 2
    yy, xx = np.indices((height, width), dtype=np.float32)
    u = (xx - cx) / width
    depth = 1 + curvature * u * u
    map_x = (cx + (xx - cx) * depth).astype(np.float32)
    map_y = (cy + (yy - cy) * depth).astype(np.float32)
    bent = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.asarray(bent, dtype=np.uint8)


def _hand_path(rng: np.random.Generator, n: int, width: int, height: int) -> list[Floats]:
    """A slow drift with tremor: two plane paths composed."""
    drift = _plane_path(rng, n, 0.035, width, height)
    tremor = _plane_path(rng, n, 0.006, width, height)
    return [t @ d for d, t in zip(drift, tremor, strict=True)]


def print_attack(image: Image, *, rng: np.random.Generator, frames: int = 8) -> list[Image]:
    """A printed photo held in a hand (halftone, paper, gamut, bend, hand motion)."""
    printed = _halftone(image.astype(np.float64), rng) * 0.82 + 22
    printed *= _paper(image.shape, rng)
    sheet = np.clip(printed, 0, 255).astype(np.uint8)
    curvature = rng.uniform(0.1, 0.35)
    path = _hand_path(rng, frames, image.shape[1], image.shape[0])
    out = []
    for k, matrix in enumerate(path):
        flex = curvature * (1 + 0.25 * np.sin(k * 0.9 + rng.uniform(0, 0.3)))
        frame = _warp_plane(_bend(sheet, float(flex)), matrix)
        out.append(_noisy(frame.astype(np.float64), rng, 2.0))
    return out


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
