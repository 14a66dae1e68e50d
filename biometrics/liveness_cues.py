"""Measurements behind the liveness check, as pure functions of landmarks and pixels.

* Depth parallax: a photo or a screen is a plane, and every motion of a plane maps its
  landmarks by one homography. We fit that homography to the brows, eyes and mouth of
  two frames and measure how far the nose strays from it (in eye distances). The nose of
  a live face stands out of that plane, so the slightest turn of the head moves it
  against the rest; on a photo it stays put, up to landmark noise.
* Blinks: the eye aspect ratio (Soukupova and Cech, 2016) drops when the lids close.

With dlib's 5-point model (the licence-clean default: two corners per eye and the nose
base, no lids, brows or mouth) the same two cues are measured another way:

* Texture off the plane: corners of the face's texture tracked from frame to frame
  (Lucas-Kanade optical flow, OpenCV) must all follow one homography on a photo or a
  screen; on a live face they do not (``flow_residuals``). Five points cannot tell a nose
  turning from a plane's shear: three of them (the eye line and the nose) fix an affine
  frame, so nothing is left to measure.
* Eye closure: the contrast of a small patch aligned on each eye's corners (iris, sclera
  and lid edges) falls when the lid covers the eye (``eye_patches``, ``closure_strength``).
* Screen texture: a screen filmed by a camera shows moire, periodic patterns that appear
  as isolated peaks in the spectrum of the face, well above its smooth radial profile.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "blink_strength",
    "closure_strength",
    "eye_patches",
    "flow_residuals",
    "eye_aspect_ratio",
    "eye_distance",
    "moire_score",
    "nonrigid_residual",
    "nonrigid_residuals",
    "ring_peak",
]

Points = npt.NDArray[np.float64]


def eye_distance(landmarks: Points) -> float:
    """Return the distance between the eye centres of 5 or 68 dlib landmarks."""
    if len(landmarks) == 5:
        # dlib's 5-point model: two corners of one eye, two of the other, the nose base.
        return float(np.linalg.norm(landmarks[0:2].mean(axis=0) - landmarks[2:4].mean(axis=0)))
    return float(np.linalg.norm(landmarks[36:42].mean(axis=0) - landmarks[42:48].mean(axis=0)))


def _normalisers(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Hartley normalisation of each (n, 2) point set of a (k, n, 2) stack: (k, 3, 3)."""
    centres = points.mean(axis=1)
    spread = np.linalg.norm(points - centres[:, None, :], axis=2).mean(axis=1)
    scales = np.sqrt(2) / np.maximum(spread, 1e-9)
    t = np.zeros((len(points), 3, 3))
    t[:, 0, 0] = t[:, 1, 1] = scales
    t[:, 0, 2] = -scales * centres[:, 0]
    t[:, 1, 2] = -scales * centres[:, 1]
    t[:, 2, 2] = 1.0
    return t


def _fit_homographies(
    src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Least-squares homographies (direct linear transform on normalised points), batched.

    Args:
        src: (k, n, 2) points of k fits.
        dst: (k, n, 2) where each fit must map them.

    Returns:
        (k, 3, 3) homographies.
    """
    t_src, t_dst = _normalisers(src), _normalisers(dst)
    a = src @ t_src[:, :2, :2].transpose(0, 2, 1) + t_src[:, None, :2, 2]
    b = dst @ t_dst[:, :2, :2].transpose(0, 2, 1) + t_dst[:, None, :2, 2]
    x, y, u, v = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    zero, one = np.zeros_like(x), np.ones_like(x)
    # Two rows per point: [-x, -y, -1, 0, 0, 0, ux, uy, u] and [0, 0, 0, -x, -y, -1, vx, vy, v].
    first = np.stack([-x, -y, -one, zero, zero, zero, u * x, u * y, u], axis=2)
    second = np.stack([zero, zero, zero, -x, -y, -one, v * x, v * y, v], axis=2)
    design = np.concatenate([first, second], axis=1)
    # The null vector of each design matrix: the eigenvector of its smallest eigenvalue.
    _, vectors = np.linalg.eigh(design.transpose(0, 2, 1) @ design)
    h = vectors[:, :, 0].reshape(-1, 3, 3)
    return np.asarray(np.linalg.inv(t_dst) @ h @ t_src, dtype=np.float64)


# Brows, eyes and mouth: nearly one plane. The jaw contour (0-16) is left out, being the
# least stable part of dlib's 68 landmarks; the nose (27-35) is what we measure.
_PLANE = np.r_[17:27, 36:68]
_NOSE = np.r_[27:36]


def nonrigid_residual(first: Points, second: Points) -> float:
    """Motion of the nose that the plane motion of the rest of the face does not explain.

    Args:
        first: (68, 2) landmarks in one frame.
        second: (68, 2) landmarks of the same face in another frame.

    Returns:
        Mean distance of the nose landmarks from where the homography fitted to the
        brows, eyes and mouth puts them, in eye distances (a moving photo: landmark
        noise, about 0.01; a live head turning by a few degrees: 0.03 and more).
    """
    return _residuals(np.asarray([first]), np.asarray([second]))[0]


def nonrigid_residuals(sequence: list[Points]) -> list[float]:
    """`nonrigid_residual` of every pair of frames (i before j, in that order), fitted at once.

    The liveness check compares every pair of its frames (28 for 8): one batched fit
    instead of 28 small ones (about 8 ms in numpy's per-call overhead).
    """
    pairs = [(i, j) for i in range(len(sequence)) for j in range(i + 1, len(sequence))]
    if not pairs:
        return []
    stack = np.asarray(sequence, dtype=np.float64)
    firsts, seconds = zip(*pairs, strict=True)
    return _residuals(stack[list(firsts)], stack[list(seconds)])


def _residuals(first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]) -> list[float]:
    """`nonrigid_residual` of each (68, 2) pair in the (k, 68, 2) stacks `first`, `second`."""
    h = _fit_homographies(first[:, _PLANE], second[:, _PLANE])
    nose = first[:, _NOSE]
    mapped = nose @ h[:, :2, :2].transpose(0, 2, 1) + h[:, None, :2, 2]
    w = nose @ h[:, 2, :2][:, :, None] + h[:, None, 2, 2:3]
    errors = np.linalg.norm(mapped / w - second[:, _NOSE], axis=2)
    eyes = np.linalg.norm(second[:, 36:42].mean(axis=1) - second[:, 42:48].mean(axis=1), axis=1)
    return [float(e) for e in errors.mean(axis=1) / np.maximum(eyes, 1e-9)]


def eye_aspect_ratio(landmarks: Points) -> float:
    """Mean eye aspect ratio of both eyes of 68 landmarks (open ~0.3, closed <0.15)."""

    def one(eye: Points) -> float:
        vertical = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
        horizontal = 2 * float(np.linalg.norm(eye[0] - eye[3]))
        return vertical / max(horizontal, 1e-9)

    return (one(landmarks[36:42]) + one(landmarks[42:48])) / 2


def blink_strength(sequence: list[Points]) -> float:
    """How far the eyes closed in a sequence: 1 - (lowest EAR / typical EAR).

    Args:
        sequence: 68-point landmarks of one face across frames.

    Returns:
        0 for eyes that stay as they are; about 0.5 and more for a blink.
    """
    ratios = np.array([eye_aspect_ratio(points) for points in sequence])
    typical = float(np.median(ratios))
    if typical <= 1e-9:
        return 0.0
    return float(max(0.0, 1.0 - ratios.min() / typical))


# Flow cue: the face crops scaled to this width; at most this many tracked corners.
_FLOW_WIDTH = 128
_FLOW_CORNERS = 120
_FLOW_SLIP = 0.5
_LK: dict[str, Any] = {"winSize": (15, 15)}


def _flow_crop(grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    import cv2  # noqa: PLC0415

    # One size for every crop (the tracker needs it): the boxes' small differences in
    # width and height are a scale, which the homography takes.
    resized = cv2.resize(grey, (_FLOW_WIDTH, _FLOW_WIDTH), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(resized, dtype=np.uint8)


def flow_residuals(faces: list[npt.NDArray[np.uint8]]) -> list[float]:
    """How far the face's texture moves off one plane, from the first frame to each other.

    A printed photo or a screen is a plane: every point of its face moves by one
    homography, whatever the motion. Corners of the first frame's face (Shi-Tomasi) are
    tracked into each later frame (pyramidal Lucas-Kanade, OpenCV), a homography is
    fitted to all of them by least squares, and the mean distance of the points from it
    is the residual. The face of a live head is not a plane: a turn, a blink or the mouth
    moves parts of it against the rest. Needs no landmark model (the 5-point model has no
    points on the brows, lids or mouth); the crops are scaled to 128x128 px, so the crop
    offsets and sizes of the detector's boxes are a shift and a scale the homography takes.

    Args:
        faces: The grey face crops (the detector's box) of one face across frames.

    Returns:
        One residual per later frame, in 1/128 of the face width (pixels of the scaled
        crop); 0 where fewer than 12 corners could be tracked.
    """
    if len(faces) < 2:
        return []
    start = flow_start(faces[0])
    return [flow_residual(start, face) for face in faces[1:]]


FlowStart = tuple[npt.NDArray[np.uint8], "npt.NDArray[np.float32] | None"]


def flow_start(first: npt.NDArray[np.uint8]) -> FlowStart:
    """The first face's scaled crop and its corners to track (None: fewer than 12 found)."""
    import cv2  # noqa: PLC0415

    crop = _flow_crop(first)
    corners = cv2.goodFeaturesToTrack(crop, _FLOW_CORNERS, 0.01, 5)
    if corners is None or len(corners) < 12:
        return crop, None
    return crop, np.asarray(corners, dtype=np.float32).reshape(-1, 1, 2)


def flow_residual(start: FlowStart, face: npt.NDArray[np.uint8]) -> float:
    """One later frame's residual of :func:`flow_residuals` (the pairs are independent)."""
    import cv2  # noqa: PLC0415

    first, corners = start
    if corners is None:
        return 0.0
    crop = _flow_crop(face)
    moved, status, _ = cv2.calcOpticalFlowPyrLK(first, crop, corners, corners.copy(), **_LK)
    # Forward-backward check: a point tracked back must land where it started, or the
    # track slipped (blur, an edge) and would read as motion off the plane.
    back, back_status, _ = cv2.calcOpticalFlowPyrLK(crop, first, moved, corners.copy(), **_LK)
    slip = np.linalg.norm(np.asarray(back) - corners, axis=2).ravel()
    kept = (status.ravel() == 1) & (back_status.ravel() == 1) & (slip < _FLOW_SLIP)
    if int(kept.sum()) < 12:
        return 0.0
    src, dst = corners[kept].reshape(-1, 2), np.asarray(moved)[kept].reshape(-1, 2)
    matrix, _ = cv2.findHomography(src, dst, 0)
    if matrix is None:
        return 0.0
    mapped = cv2.perspectiveTransform(src.reshape(-1, 1, 2), matrix).reshape(-1, 2)
    return float(np.linalg.norm(mapped - dst, axis=1).mean())


# Eye patch: along the corners, 1.4 corner distances long and 0.7 high, 28x14 pixels.
_PATCH = (28, 14)
_PATCH_LONG, _PATCH_HIGH = 1.4, 0.7


def eye_patches(grey: npt.NDArray[np.uint8], landmarks: Points) -> npt.NDArray[np.float32]:
    """The two eyes of a grey frame, each cut along its corners, from 5-point landmarks.

    Args:
        grey: The grey frame (or a crop) the landmarks are in.
        landmarks: (5, 2) dlib 5-point landmarks, in ``grey``'s pixels.

    Returns:
        (2, 14, 28) ``float32`` patches, upright whatever the roll of the head.
    """
    import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

    width, height = _PATCH
    patches = []
    for corners in (landmarks[0:2], landmarks[2:4]):
        centre = corners.mean(axis=0)
        axis = corners[1] - corners[0]
        if axis[0] < 0:
            axis = -axis
        span = max(float(np.hypot(*axis)), 1e-6)
        unit = axis / span
        normal = np.array([-unit[1], unit[0]])
        along, across = unit * span * _PATCH_LONG / width, normal * span * _PATCH_HIGH / height
        # Patch pixel (u, v) -> frame pixel: centre + (u - w/2) * along + (v - h/2) * across.
        offset = centre - along * width / 2 - across * height / 2
        matrix = np.array([[along[0], across[0], offset[0]], [along[1], across[1], offset[1]]])
        patch = cv2.warpAffine(
            grey,
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        patches.append(np.asarray(patch, dtype=np.float32))
    return np.stack(patches)


def _openness(patches: npt.NDArray[np.float32]) -> float:
    """Contrast of both eye patches: the standard deviation of their grey levels, averaged."""
    return float(np.mean([patch.std() for patch in patches]))


def closure_strength(sequence: list[npt.NDArray[np.float32]]) -> float:
    """How far the eyes closed in a sequence: 1 - (lowest eye contrast / typical contrast).

    Args:
        sequence: :func:`eye_patches` of one face across frames.

    Returns:
        0 for eyes that stay as they are; larger when the lids cover the eyes in a frame.
    """
    values = np.array([_openness(patches) for patches in sequence])
    typical = float(np.median(values))
    if typical <= 1e-9:
        return 0.0
    return float(max(0.0, 1.0 - values.min() / typical))


def moire_score(grey: npt.NDArray[np.uint8]) -> float:
    """Strength of periodic patterns (moire, pixel grids) in a grey face crop.

    Args:
        grey: The face region as grey ``uint8`` pixels.

    Returns:
        Height of the strongest spectral peak above the radial median of the log
        spectrum, in the mid and high frequencies (natural faces: about 2-3).
    """
    import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

    if grey.size == 0:
        return 0.0
    patch = cv2.resize(grey, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float64)
    patch -= patch.mean()
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(patch * _WINDOW)))).ravel()
    return ring_peak(spectrum)


def ring_peak(spectrum: npt.NDArray[np.float64]) -> float:
    """The highest excess of a ring's values over that ring's median, over rings 12-60.

    All rings at once: the values sorted within each ring (a sort by value, then a stable
    radix sort by ring) give every ring's
    median (the middle value, or the mean of the two middle ones, as ``np.median``) and its
    maximum (the last value), so the result equals a ring-by-ring ``np.median`` loop.

    Args:
        spectrum: The flattened, centred 128x128 log spectrum.

    Returns:
        max over rings of (ring maximum - ring median).
    """
    values = spectrum[_RING_INDEX]
    by_value = np.argsort(values)
    ordered = values[by_value[np.argsort(_RING_ID[by_value], kind="stable")]]
    medians = (ordered[_RING_LOW] + ordered[_RING_HIGH]) / 2
    return float((ordered[_RING_LAST] - medians).max())


def _rings() -> list[npt.NDArray[np.intp]]:
    """The flat indices of each one-pixel ring 12-60 of a centred 128x128 spectrum."""
    yy, xx = np.indices((128, 128))
    radius = np.hypot(yy - 64, xx - 64).astype(int).ravel()
    return [np.flatnonzero(radius == r) for r in range(12, 61)]


# Computed once: searching a 128x128 mask for each ring cost most of the cue's time.
_WINDOW = np.outer(np.hanning(128), np.hanning(128))
_RINGS = _rings()
_RING_INDEX = np.concatenate(_RINGS)
_RING_ID = np.repeat(np.arange(len(_RINGS), dtype=np.int16), [len(r) for r in _RINGS])
_RING_START = np.cumsum([0] + [len(r) for r in _RINGS[:-1]])
_RING_SIZE = np.array([len(r) for r in _RINGS])
_RING_LOW = _RING_START + (_RING_SIZE - 1) // 2
_RING_HIGH = _RING_START + _RING_SIZE // 2
_RING_LAST = _RING_START + _RING_SIZE - 1
