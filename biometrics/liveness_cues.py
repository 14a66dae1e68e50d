"""Measurements behind the liveness check, as pure functions of landmarks and pixels.

* Depth parallax: a photo or a screen is a plane, and every motion of a plane maps its
  landmarks by one homography. We fit that homography to the brows, eyes and mouth of
  two frames and measure how far the nose strays from it (in eye distances). The nose of
  a live face stands out of that plane, so the slightest turn of the head moves it
  against the rest; on a photo it stays put, up to landmark noise.
* Blinks: the eye aspect ratio (Soukupova and Cech, 2016) drops when the lids close.
* Screen texture: a screen filmed by a camera shows moire, periodic patterns that appear
  as isolated peaks in the spectrum of the face, well above its smooth radial profile.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "blink_strength",
    "eye_aspect_ratio",
    "eye_distance",
    "moire_score",
    "nonrigid_residual",
    "nonrigid_residuals",
    "ring_peak",
]

Points = npt.NDArray[np.float64]


def eye_distance(landmarks: Points) -> float:
    """Return the distance between the eye centres of 68 landmarks."""
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
