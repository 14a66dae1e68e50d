"""A live session synthesised from one still photo and its 5-point landmarks.

dlib's 5-point model (licence-clean, docs/models.md) gives two corners per eye and the base
of the nose. From them, in the face's own frame (the eye line and its normal, in eye
distances), come the control points a blink and a head turn move: the lids above and below
each eye's centre, the brows, the nose from its bridge to its base, the mouth, and the
temples, jaw and forehead, which stay put. Per frame, as the 68-point simulator of the tests
does: the upper lids close over the eyes (a blink), the nose moves sideways more than the
mouth and the eyes (the parallax of a slight head turn), the lower lip and chin drop now
and then, and the whole photo drifts a little as a head does; plus sensor noise.

The session loops: the turn is periodic over the frames, a blink comes every half loop, and
the drift returns to its start, so a camera replaying the frames round and round shows a
person standing in front of it, and any `WINDOW_FRAMES` consecutive frames hold a blink.

What the check measures on them (default thresholds, the three staff-gate photos, every
8-frame window of the loop): the parallax cue (texture off one plane) 1.13-2.22 against
0.8 needed, so every window passes on it; the blink cue is weak (eye-patch closure
0.00-0.13 against 0.3): the lids are pulled over the eyes by a smooth field, and the
patches' contrast hardly falls.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from portgate.demo.live.motion import Image, Points, warp_plane, warp_points

__all__ = ["live_session"]

# Where the control points sit in the face's frame (along the eye line, down its normal),
# in eye distances from the midpoint of the eyes; the nose's are scaled by its length.
_BROWS = ((-0.62, -0.28), (-0.38, -0.3), (0.38, -0.3), (0.62, -0.28))
_STILL = ((-1.0, -0.1), (1.0, -0.1), (-0.9, 0.8), (0.9, 0.8), (0.0, -0.75))
_NOSE = (0.3, 0.6, 0.85, 1.0)
_MOUTH = ((-0.4, 0.35), (0.4, 0.35), (0.0, 0.3), (-0.2, 0.5), (0.0, 0.52), (0.2, 0.5))
_LOWER_LIP = (3, 4, 5)
_CHIN = (0.0, 0.95)


class _Face:
    """The control points of one face and how each group moves."""

    def __init__(self, landmarks: Points) -> None:
        points = np.asarray(landmarks, dtype=np.float64)
        if points.shape != (5, 2):
            raise ValueError(f"expected dlib's 5 landmarks, got an array of {points.shape}")
        eyes = (points[0:2].mean(axis=0), points[2:4].mean(axis=0))
        self.eye = max(float(np.linalg.norm(eyes[1] - eyes[0])), 1.0)
        self.mid = (eyes[0] + eyes[1]) / 2
        self.along = (eyes[1] - eyes[0]) / self.eye
        normal = np.array([-self.along[1], self.along[0]])
        # The normal points from the eyes to the nose, whichever way the photo is turned.
        self.down = normal if float((points[4] - self.mid) @ normal) >= 0 else -normal
        nose = max(float((points[4] - self.mid) @ self.down) / self.eye, 0.3)
        lids, halves = [], []
        for corners in (points[0:2], points[2:4]):
            centre, half = corners.mean(axis=0), float(np.linalg.norm(corners[1] - corners[0])) / 2
            halves.append(half)
            for side in (-0.4, 0.4):
                for lift in (-0.3, 0.3):
                    lids.append(centre + side * half * self.along + lift * half * self.down)
        # The lids' opening: 0.6 half eye widths (a blink closes most of it).
        self.gap = 0.6 * float(np.mean(halves))
        groups: list[tuple[str, Points]] = [
            ("corners", points[0:4]),
            ("lids", np.asarray(lids)),
            ("brows", self._at(_BROWS)),
            ("nose", np.asarray([self.mid + f * nose * self.eye * self.down for f in _NOSE])),
            ("mouth", points[4] + self._offsets(_MOUTH)),
            ("chin", points[4] + self._offsets((_CHIN,))),
            ("still", self._at(_STILL)),
        ]
        self.names = [name for name, group in groups for _ in group]
        self.points = np.concatenate([group for _, group in groups])

    def _offsets(self, spots: tuple[tuple[float, float], ...]) -> Points:
        rows = [(a * self.along + b * self.down) * self.eye for a, b in spots]
        return np.asarray(rows, dtype=np.float64)

    def _at(self, spots: tuple[tuple[float, float], ...]) -> Points:
        return np.asarray(self.mid + self._offsets(spots), dtype=np.float64)

    def moved(self, *, blink: float, mouth: float, turn: float) -> Points:
        """Where the control points go for a blink (0-1), an open mouth (0-1) and a turn (-1-1)."""
        moved = self.points.copy()
        names = np.asarray(self.names)
        side = self.along * self.eye
        lids = np.flatnonzero(names == "lids")
        for upper, lower in zip(lids[0::2], lids[1::2], strict=True):
            moved[upper] += 0.8 * blink * self.gap * self.down
            moved[lower] -= 0.1 * blink * self.gap * self.down
        moved[names == "brows"] += 0.03 * blink * self.eye * self.down
        mouth_rows = np.flatnonzero(names == "mouth")
        moved[mouth_rows[list(_LOWER_LIP)]] += 0.12 * mouth * self.eye * self.down
        moved[names == "chin"] += 0.1 * mouth * self.eye * self.down
        # A head turn moves the nose more than the mouth, the mouth more than the eyes.
        moved[names == "nose"] += 0.2 * turn * side
        moved[np.isin(names, ["mouth", "chin"])] += 0.1 * turn * side
        moved[np.isin(names, ["corners", "lids", "brows"])] += 0.03 * turn * side
        return moved


def _loop_path(
    rng: np.random.Generator, n: int, strength: float, width: int, height: int
) -> list[npt.NDArray[np.float64]]:
    """A head's small drift and shake as perspective matrices, back at its start after n."""
    import cv2  # noqa: PLC0415

    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    drift = rng.normal(0.0, strength * width, (4, 2))
    shake = rng.normal(0.0, strength * width / 4, (n, 4, 2))
    out = []
    for k in range(n):
        away = (1 - np.cos(2 * np.pi * k / n)) / 2
        target = (corners + drift * away + shake[k]).astype(np.float32)
        out.append(np.asarray(cv2.getPerspectiveTransform(corners, target), dtype=np.float64))
    return out


def _sensor_noise(frame: Image, rng: np.random.Generator) -> Image:
    """The camera's noise, 2 grey levels (in float32: a third of the time of float64)."""
    noise = rng.standard_normal(frame.shape, dtype=np.float32) * 2.0
    return np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def live_session(
    image: Image, landmarks: Points, *, rng: np.random.Generator, frames: int = 16
) -> list[Image]:
    """A person in front of the camera, synthesised from one photo (see the module docstring).

    Args:
        image: The photo (any channel order: the warp moves pixels, it does not read colour).
        landmarks: Its (5, 2) dlib 5-point landmarks, (x, y) pixels.
        rng: Random source (the same seed gives the same session).
        frames: Frames of one loop (a blink every half loop).

    Raises:
        ValueError: `landmarks` are not five points.
    """
    face = _Face(landmarks)
    half = max(frames // 2, 1)
    blinks = {int(rng.integers(1, max(half - 1, 2))) + start for start in (0, half)}
    turn_phase = rng.uniform(0, 2 * np.pi)
    talking = rng.uniform(0.3, 1.0)
    path = _loop_path(rng, frames, 0.015, image.shape[1], image.shape[0])
    out = []
    for k in range(frames):
        blink = max(
            ({b - 1: 0.4, b: 1.0, b + 1: 0.4}.get(k, 0.0) for b in blinks), default=0.0
        ) * float(rng.uniform(0.6, 1.0))
        turn = float(np.sin(turn_phase + 2 * np.pi * 2 * k / frames))
        mouth = talking * float(max(0.0, np.sin(2 * np.pi * 3 * k / frames)))
        target = face.moved(blink=blink, mouth=mouth, turn=turn)
        warped = warp_points(image, face.points, target, eye=face.eye, step=4)
        out.append(_sensor_noise(warp_plane(warped, path[k]), rng))
    return out
