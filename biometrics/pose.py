"""A rough head pose (yaw, pitch, roll) from 5 or 68 face landmarks.

Only three points are used: the two eye centres and the base of the nose, which both
dlib landmark models give. With the nose base a depth ``d`` in front of the eye plane and
eye centres ``E`` apart, turning the head by ``yaw`` moves the nose sideways by
``d sin(yaw)`` while the eyes shrink to ``E cos(yaw)``, so ``yaw = atan(offset / d)``
with everything measured in units of the eye distance. Good to about ten degrees, which
is what a "look at the camera" check needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["HeadPose", "estimate_pose"]

# Typical adult proportions, in units of the distance between the eye centres.
_NOSE_DEPTH = 0.45
_NOSE_DROP = 0.75


@dataclass(frozen=True)
class HeadPose:
    """Head angles in degrees (0, 0, 0 faces the camera).

    Attributes:
        yaw: Turn left/right (sign: towards the image's right is positive).
        pitch: Nod up/down (looking up is positive).
        roll: Tilt of the eye line.
    """

    yaw: float
    pitch: float
    roll: float


def _key_points(
    landmarks: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if landmarks.shape == (5, 2):
        # dlib 5-point model: two corners per eye, then the base of the nose.
        return landmarks[0:2].mean(axis=0), landmarks[2:4].mean(axis=0), landmarks[4]
    if landmarks.shape == (68, 2):
        return landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0), landmarks[33]
    raise ValueError(f"expected (5, 2) or (68, 2) landmarks, got {landmarks.shape}")


def estimate_pose(landmarks: npt.NDArray[np.float64]) -> HeadPose:
    """Estimate the head pose from dlib landmarks.

    Args:
        landmarks: (5, 2) or (68, 2) array of (x, y) pixels from dlib's predictors.

    Returns:
        The estimated pose.

    Raises:
        ValueError: If the landmarks have another shape.
    """
    eye_a, eye_b, nose = _key_points(np.asarray(landmarks, dtype=np.float64))
    left, right = (eye_a, eye_b) if eye_a[0] <= eye_b[0] else (eye_b, eye_a)
    axis = right - left
    eye_distance = float(np.hypot(*axis))
    if eye_distance < 1e-6:
        return HeadPose(yaw=90.0, pitch=0.0, roll=0.0)
    roll = math.degrees(math.atan2(axis[1], axis[0]))
    unit = axis / eye_distance
    normal = np.array([-unit[1], unit[0]])
    offset = nose - (left + right) / 2
    sideways = float(offset @ unit) / eye_distance
    drop = float(offset @ normal) / eye_distance
    # The eye line shrinks by cos(yaw) as the head turns: undo that first.
    yaw = math.degrees(math.atan2(sideways, _NOSE_DEPTH))
    shrink = max(math.cos(math.radians(yaw)), 0.2)
    pitch = math.degrees(math.atan2((_NOSE_DROP - drop * shrink), _NOSE_DEPTH))
    return HeadPose(yaw=yaw, pitch=pitch, roll=roll)
