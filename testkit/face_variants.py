"""Faces the quality checks must refuse, made from the shipped photos (`testkit.faces`).

A fresh clone has only the shipped frontal photos, yet the tests need a head turned away
from the camera. `turned_away` makes one with a geometric yaw warp: the head is taken to
be a shallow ellipsoid with a nose in front of it, placed on the face the product's own
detector and 5-point landmarks find, and turned about the vertical axis; every pixel moves
sideways by how far its point of the head moves (``x cos(yaw) + depth sin(yaw)``), the far
half of the face is compressed, the near half is stretched and the nose slides towards the
side the head turns to. Where the turned surface folds over itself, the nearer part hides
the farther one, as it would in a photo. Nothing is random: the same photo and angle give
the same bytes. `measure` reads a photo back the way the desk does (detector cascade, the
enrollment encoder's landmarks, `biometrics.pose.estimate_pose`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import (
    ENROLLMENT_PIPELINE,
    CascadeDetector,
    FaceBox,
    FaceEncoder,
    HeadPose,
    HogDetector,
    estimate_pose,
    select_primary_face,
)
from testkit.faces import face_photo

__all__ = ["TURNED_AWAY", "Measured", "measure", "turned_away", "turned_photo"]

# Shipped photos and angles whose turned faces the desk measures well past its 30-degree
# yaw limit (37, -40 and 42 degrees as measured with dlib 20) while still finding the
# face; the photos as shipped measure 5 and -3 degrees. tests/testkit/test_face_variants.py
# checks both, so a change of the warp or of the pose code shows there first.
TURNED_AWAY = (
    ("people/rose_leslie/img2.jpg", 45.0),
    ("people/rose_leslie/img2.jpg", -45.0),
    ("people/obama/obama.jpg", 55.0),
)

# The desk's detectors (central_api.enroll.faces.DESK_PIPELINE: HOG only, no CNN).
_DETECTOR = CascadeDetector(
    detectors=(HogDetector(upsample=0, max_width=1024), HogDetector(upsample=1, max_width=640))
)
# The warp places the head on the eyes and the nose base of dlib's 5-point model.
_FIVE_POINTS = FaceEncoder(landmark_points=5)
# Head proportions in eye distances (the eye centres' distance): half-width and half-height
# of the face's ellipse, how far its middle stands in front of its rim, the nose's height
# above the face (biometrics.pose takes 0.45) and its spread.
_HALF_WIDTH = 1.25
_HALF_HEIGHT = 1.8
_BULGE = 0.6
_NOSE_HEIGHT = 0.45
_NOSE_SPREAD = 0.3


@dataclass(frozen=True)
class Measured:
    """A photo as the desk reads it: the subject's face (if any) and its head pose."""

    face: FaceBox | None
    pose: HeadPose | None


def _decode(photo: bytes) -> npt.NDArray[np.uint8]:
    pixels = cv2.imdecode(np.frombuffer(photo, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert pixels is not None, "not an image"
    return np.asarray(pixels, dtype=np.uint8)


def _encode(pixels: npt.NDArray[np.uint8]) -> bytes:
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return bytes(data.tobytes())


def _landmarks(
    bgr: npt.NDArray[np.uint8], encoder: FaceEncoder
) -> tuple[FaceBox, npt.NDArray[np.float64]] | None:
    rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    face = select_primary_face(_DETECTOR.detect(rgb), height=rgb.shape[0], width=rgb.shape[1])
    if face is None:
        return None
    return face, encoder.landmarks(rgb, face)


def measure(photo: bytes) -> Measured:
    """Find the subject's face as the desk does and estimate its head pose."""
    found = _landmarks(_decode(photo), ENROLLMENT_PIPELINE.encoder)
    if found is None:
        return Measured(face=None, pose=None)
    return Measured(face=found[0], pose=estimate_pose(found[1]))


def _head_shift(
    points: npt.NDArray[np.float64], shape: tuple[int, int], yaw: float
) -> npt.NDArray[np.float64]:
    """How far each pixel of the head moves sideways when the head turns by `yaw`."""
    eyes = points[0:4].reshape(2, 2, 2).mean(axis=1)
    nose = points[4]
    unit = float(np.hypot(*(eyes[1] - eyes[0])))
    middle_x = float(eyes[:, 0].mean())
    # The ellipse's centre sits a little below the eyes, between them and the nose base.
    middle_y = float(eyes[:, 1].mean() * 0.4 + nose[1] * 0.6)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    across = (cols - middle_x) / (_HALF_WIDTH * unit)
    down = (rows - middle_y) / (_HALF_HEIGHT * unit)
    inside = np.clip(1.0 - across**2 - down**2, 0.0, None)
    depth = _BULGE * _HALF_WIDTH * unit * inside
    nose_distance = ((cols - nose[0]) ** 2 + ((rows - nose[1]) * 0.6) ** 2) / unit**2
    depth += _NOSE_HEIGHT * unit * np.exp(-nose_distance / (2 * _NOSE_SPREAD**2))
    turned = (cols - middle_x) * math.cos(yaw) + depth * math.sin(yaw)
    # Outside the head the picture stays: the move fades out over half a head width.
    fade = np.clip(1.0 - (np.sqrt(across**2 + down**2) - 1.0) / 0.5, 0.0, 1.0)
    return np.asarray((turned - (cols - middle_x)) * fade, dtype=np.float64)


def _warp_rows(
    pixels: npt.NDArray[np.uint8], shift: npt.NDArray[np.float64]
) -> npt.NDArray[np.uint8]:
    """Move each pixel sideways by `shift`: the inverse map is found row by row."""
    height, width = shift.shape
    columns = np.arange(width, dtype=np.float64)
    sources = np.empty(shift.shape, dtype=np.float32)
    for row in range(height):
        landed = columns + shift[row]
        # Where the surface folds, the part that lands further along hides what is behind.
        landed = np.maximum.accumulate(landed)
        sources[row] = np.interp(columns, landed, columns)
    rows = np.repeat(np.arange(height, dtype=np.float32)[:, None], width, axis=1)
    warped = cv2.remap(pixels, sources, rows, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(warped, dtype=np.uint8)


def turned_away(photo: bytes, *, degrees: float = 50.0) -> bytes:
    """The photo with the subject's head turned by `degrees` about the vertical axis.

    Args:
        photo: JPEG or PNG bytes of one frontal face (a shipped photo).
        degrees: How far the head turns; positive moves the nose towards the image's right.

    Returns:
        JPEG bytes of the same size.

    Raises:
        ValueError: No face is found in `photo`.
    """
    pixels = _decode(photo)
    # The row warp lets the part landing further right hide the rest, which holds for a
    # head turning right; a turn to the left is the mirror image of one to the right.
    if degrees < 0:
        pixels = np.ascontiguousarray(pixels[:, ::-1])
    found = _landmarks(pixels, _FIVE_POINTS)
    if found is None:
        raise ValueError("no face in the photo to turn")
    shift = _head_shift(found[1], (pixels.shape[0], pixels.shape[1]), math.radians(abs(degrees)))
    warped = _warp_rows(pixels, shift)
    return _encode(np.ascontiguousarray(warped[:, ::-1]) if degrees < 0 else warped)


@functools.cache
def turned_photo(name: str, degrees: float) -> bytes:
    """`turned_away` of the shipped photo `name` (made once per test run)."""
    return turned_away(face_photo(name).read_bytes(), degrees=degrees)
