"""A printed photo held up to the camera: the presentation attack the demo shows refused.

The photo printed as a colour halftone (one rotated screen per channel, seen slightly out
of focus) on paper (unevenness, fibres, grain, a smaller gamut), the sheet bent about its
vertical axis with its curvature flexing, held in a hand that drifts and trembles. The
tests' and benchmarks' ``print`` species (``testkit/pad_species.py``) is this function.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from portgate.demo.live.motion import Image, noisy, plane_path, warp_plane

__all__ = ["hand_path", "print_attack"]

Floats = npt.NDArray[np.float64]


def _halftone(image: Floats, rng: np.random.Generator) -> Floats:
    """Each channel printed as dots of a rotated cosine screen, seen slightly out of focus."""
    import cv2  # noqa: PLC0415

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
    import cv2  # noqa: PLC0415

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
    import cv2  # noqa: PLC0415

    height, width = image.shape[:2]
    cx, cy = width / 2, height / 2
    yy, xx = np.indices((height, width), dtype=np.float32)
    u = (xx - cx) / width
    depth = 1 + curvature * u * u
    map_x = (cx + (xx - cx) * depth).astype(np.float32)
    map_y = (cy + (yy - cy) * depth).astype(np.float32)
    bent = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.asarray(bent, dtype=np.uint8)


def hand_path(rng: np.random.Generator, n: int, width: int, height: int) -> list[Floats]:
    """A hand's slow drift with tremor: two plane paths composed (perspective matrices)."""
    drift = plane_path(rng, n, 0.035, width, height)
    tremor = plane_path(rng, n, 0.006, width, height)
    return [t @ d for d, t in zip(drift, tremor, strict=True)]


def print_attack(image: Image, *, rng: np.random.Generator, frames: int = 8) -> list[Image]:
    """A printed photo held in a hand (halftone, paper, gamut, bend, hand motion).

    Args:
        image: The photo (three channels).
        rng: Random source (the same seed gives the same frames).
        frames: Frames to make.
    """
    printed = _halftone(image.astype(np.float64), rng) * 0.82 + 22
    printed *= _paper(image.shape, rng)
    sheet = np.clip(printed, 0, 255).astype(np.uint8)
    curvature = rng.uniform(0.1, 0.35)
    path = hand_path(rng, frames, image.shape[1], image.shape[0])
    out = []
    for k, matrix in enumerate(path):
        flex = curvature * (1 + 0.25 * np.sin(k * 0.9 + rng.uniform(0, 0.3)))
        frame = warp_plane(_bend(sheet, float(flex)), matrix)
        out.append(noisy(frame.astype(np.float64), rng, 2.0))
    return out
