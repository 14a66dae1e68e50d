"""Simulated frame sequences for testing and benchmarking the liveness check.

These are synthetic: a single photo of a person is turned into

* ``static_attack`` — the same frame repeated (a still image fed to the camera);
* ``photo_attack`` — a printed photo (softer, lower contrast) moved as a rigid plane in
  front of the camera (random, smooth perspective motion);
* ``screen_attack`` — a phone or monitor replay: gamma and colour shift, a pixel-grid
  moire pattern, moved as a plane;
* ``live_sequence`` (from ``portgate/demo/live_face.py``, which the demo's camera shows too) —
  a "real user": the face is warped non-rigidly from its 68
  landmarks (a blink, the mouth moving, the parallax of a slight head turn) on top of a
  small head motion.

A real camera, a real print and a real person differ from all of these; figures measured
on them are a sanity check of the method, not a PAD certification.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from portgate.demo.live_face import live_sequence, noisy, plane_path, warp_plane

__all__ = ["live_sequence", "photo_attack", "screen_attack", "static_attack"]

Image = npt.NDArray[np.uint8]


def _plane_motion(image: Image, rng: np.random.Generator, n: int, strength: float) -> list[Image]:
    """Smoothly moving perspective views of a planar image."""
    path = plane_path(rng, n, strength, image.shape[1], image.shape[0])
    return [warp_plane(image, matrix) for matrix in path]


def static_attack(image: Image, *, frames: int = 8) -> list[Image]:
    """The same frame, repeated."""
    return [image.copy() for _ in range(frames)]


def photo_attack(image: Image, *, rng: np.random.Generator, frames: int = 8) -> list[Image]:
    """A printed photo moved as a rigid plane."""
    import cv2  # noqa: PLC0415

    printed = cv2.GaussianBlur(image, (0, 0), 0.8).astype(np.float64) * 0.85 + 20
    moved = _plane_motion(printed.astype(np.uint8), rng, frames, strength=0.04)
    return [noisy(f.astype(np.float64), rng, 2.0) for f in moved]


def screen_attack(image: Image, *, rng: np.random.Generator, frames: int = 8) -> list[Image]:
    """A screen replay: gamma, colour cast, moire, moved as a plane."""
    height, width = image.shape[:2]
    shown = 255.0 * (image.astype(np.float64) / 255.0) ** rng.uniform(1.2, 1.6)
    shown *= np.array([0.9, 1.0, rng.uniform(1.05, 1.2)])
    yy, xx = np.indices((height, width), dtype=np.float64)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(3.0, 6.0)
    phase = (xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period
    shown *= (1.0 + rng.uniform(0.12, 0.25) * np.sin(phase))[:, :, None]
    moved = _plane_motion(np.clip(shown, 0, 255).astype(np.uint8), rng, frames, strength=0.03)
    return [noisy(f.astype(np.float64), rng, 2.0) for f in moved]
