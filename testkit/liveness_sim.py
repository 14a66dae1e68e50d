"""Simulated frame sequences for testing and benchmarking the liveness check.

These are synthetic: a single photo of a person is turned into

* ``static_attack`` — the same frame repeated (a still image fed to the camera);
* ``photo_attack`` — a printed photo (softer, lower contrast) moved as a rigid plane in
  front of the camera (random, smooth perspective motion);
* ``screen_attack`` — a phone or monitor replay: gamma and colour shift, a pixel-grid
  moire pattern, moved as a plane;
* ``live_sequence`` — a "real user": the face is warped non-rigidly from its 68
  landmarks (a blink, the mouth moving, the parallax of a slight head turn) on top of a
  small head motion.

A real camera, a real print and a real person differ from all of these; figures measured
on them are a sanity check of the method, not a PAD certification.
"""

from __future__ import annotations

import numpy as np

from portgate.demo.live.motion import Image, Points, noisy, plane_path, warp_plane, warp_points

__all__ = ["live_sequence", "photo_attack", "screen_attack", "static_attack"]

# The plane motion and the warp live in the demo's room, which synthesises live sessions
# for its staff-gate camera from them: one copy (the names below are the old private ones).
_noisy = noisy
_plane_path = plane_path
_warp_plane = warp_plane


def _plane_motion(image: Image, rng: np.random.Generator, n: int, strength: float) -> list[Image]:
    """Smoothly moving perspective views of a planar image."""
    path = _plane_path(rng, n, strength, image.shape[1], image.shape[0])
    return [_warp_plane(image, matrix) for matrix in path]


def static_attack(image: Image, *, frames: int = 8) -> list[Image]:
    """The same frame, repeated."""
    return [image.copy() for _ in range(frames)]


def photo_attack(image: Image, *, rng: np.random.Generator, frames: int = 8) -> list[Image]:
    """A printed photo moved as a rigid plane."""
    import cv2  # noqa: PLC0415

    printed = cv2.GaussianBlur(image, (0, 0), 0.8).astype(np.float64) * 0.85 + 20
    moved = _plane_motion(printed.astype(np.uint8), rng, frames, strength=0.04)
    return [_noisy(f.astype(np.float64), rng, 2.0) for f in moved]


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
    return [_noisy(f.astype(np.float64), rng, 2.0) for f in moved]


def _warp_face(image: Image, src: Points, dst: Points) -> Image:
    """Warp so that the 68 landmarks move from ``src`` to ``dst`` (Gaussian RBF field)."""
    eye = float(np.linalg.norm(src[36:42].mean(0) - src[42:48].mean(0)))
    return warp_points(image, src, dst, eye=eye)


def _deformed(points: Points, *, blink: float, mouth: float, turn: float) -> Points:
    eye = float(np.linalg.norm(points[36:42].mean(0) - points[42:48].mean(0)))
    moved = points.copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        gap = points[lower] - points[upper]
        moved[upper] += 0.8 * blink * gap
        moved[lower] -= 0.1 * blink * gap
    moved[17:27, 1] += 0.03 * blink * eye
    moved[[56, 57, 58, 65, 66, 67], 1] += 0.12 * mouth * eye
    moved[6:11, 1] += 0.1 * mouth * eye
    # A head turn moves the nose more than the eyes and the contour (parallax).
    moved[27:36, 0] += 0.10 * turn * eye
    moved[48:68, 0] += 0.05 * turn * eye
    moved[36:48, 0] += 0.03 * turn * eye
    return moved


def live_sequence(
    image: Image, landmarks: Points, *, rng: np.random.Generator, frames: int = 8
) -> list[Image]:
    """A simulated live user: blink, mouth and head-turn deformations, small head motion.

    Args:
        image: RGB photo of one face.
        landmarks: Its (68, 2) landmarks.
        rng: Random source.
        frames: Sequence length.

    Returns:
        The frames.
    """
    blink_at = int(rng.integers(1, frames - 1))
    turn_phase = rng.uniform(0, 2 * np.pi)
    talking = rng.uniform(0.0, 1.0)
    path = _plane_path(rng, frames, 0.015, image.shape[1], image.shape[0])
    out = []
    for k in range(frames):
        blink = {blink_at - 1: 0.4, blink_at: 1.0, blink_at + 1: 0.4}.get(k, 0.0)
        blink *= float(rng.uniform(0.6, 1.0))
        turn = float(np.sin(turn_phase + k * 0.8))
        mouth = talking * float(max(0.0, np.sin(k * 1.3)))
        target = _deformed(landmarks, blink=blink, mouth=mouth, turn=turn)
        frame = _warp_plane(_warp_face(image, landmarks, target), path[k])
        out.append(_noisy(frame.astype(np.float64), rng, 2.0))
    return out
