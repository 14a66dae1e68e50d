"""Plane motion and landmark-driven warps of a photo (pure functions of pixels and points).

A printed photo or a screen moves as a plane: `plane_path` draws a smooth perspective
path with some shake and `warp_plane` applies one step of it. A live face moves parts of
itself against the rest: `warp_points` bends the photo so that control points move from
where they are to where a blink or a head turn puts them (a Gaussian radial-basis field).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["Image", "Points", "noisy", "plane_path", "warp_plane", "warp_points"]

Image = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float64]


def noisy(image: npt.NDArray[np.float64], rng: np.random.Generator, sigma: float) -> Image:
    """`image` with Gaussian sensor noise of `sigma` grey levels, as ``uint8``."""
    with_noise = image + rng.normal(0.0, sigma, image.shape)
    return np.clip(with_noise, 0, 255).astype(np.uint8)


def plane_path(
    rng: np.random.Generator, n: int, strength: float, width: int, height: int
) -> list[npt.NDArray[np.float64]]:
    """Perspective matrices of a plane drifting smoothly, with some shake.

    Args:
        rng: Random source.
        n: Steps of the path.
        strength: The drift's size, in image widths (the shake is a quarter of it).
        width: Image width in pixels.
        height: Image height in pixels.
    """
    import cv2  # noqa: PLC0415 - keep the demo's import cheap

    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    drift = rng.normal(0.0, strength * width, (4, 2))
    shake = rng.normal(0.0, strength * width / 4, (n, 4, 2))
    return [
        np.asarray(
            cv2.getPerspectiveTransform(
                corners, (corners + drift * (k / max(n - 1, 1)) + shake[k]).astype(np.float32)
            ),
            dtype=np.float64,
        )
        for k in range(n)
    ]


def warp_plane(image: Image, matrix: npt.NDArray[np.float64]) -> Image:
    """`image` seen through the perspective `matrix` (borders reflected)."""
    import cv2  # noqa: PLC0415

    height, width = image.shape[:2]
    warped = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    return np.asarray(warped, dtype=np.uint8)


def warp_points(image: Image, src: Points, dst: Points, *, eye: float, step: int = 1) -> Image:
    """Warp `image` so that the control points move from `src` to `dst` (Gaussian RBF field).

    Args:
        image: The photo.
        src: (n, 2) control points in the photo, (x, y) pixels.
        dst: (n, 2) where they go; a point that stays put holds the pixels around it.
        eye: The face's eye distance in pixels (the field's reach is 0.12 of it).
        step: The field is evaluated every `step` pixels and interpolated between (it is
            smooth over 0.12 eye distances; the demo's start uses 4, about ten times
            faster); 1: at every pixel, as the tests' simulator has always done.
    """
    import cv2  # noqa: PLC0415

    sigma = 0.12 * eye
    gram = np.exp(-((dst[:, None, :] - dst[None, :, :]) ** 2).sum(-1) / (2 * sigma**2))
    weights = np.linalg.solve(gram + 1e-3 * np.eye(len(dst)), dst - src)
    height, width = image.shape[:2]
    pad = 0.6 * eye
    x0, y0 = (np.maximum(dst.min(0) - pad, 0)).astype(int)
    x1, y1 = np.minimum(dst.max(0) + pad, [width, height]).astype(int)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    shift = _field(xx[::step, ::step], yy[::step, ::step], dst, weights, sigma)
    if step > 1:
        size = (xx.shape[1], xx.shape[0])
        shift = np.dstack(
            [cv2.resize(shift[..., i], size, interpolation=cv2.INTER_LINEAR) for i in (0, 1)]
        )
    map_x = np.tile(np.arange(width, dtype=np.float32), (height, 1))
    map_y = np.tile(np.arange(height, dtype=np.float32)[:, None], (1, width))
    map_x[y0:y1, x0:x1] = (xx - shift[..., 0]).astype(np.float32)
    map_y[y0:y1, x0:x1] = (yy - shift[..., 1]).astype(np.float32)
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.asarray(warped, dtype=np.uint8)


def _field(
    xx: npt.NDArray[np.float64],
    yy: npt.NDArray[np.float64],
    dst: Points,
    weights: npt.NDArray[np.float64],
    sigma: float,
) -> npt.NDArray[np.float64]:
    """The RBF field's shift at the grid points (xx, yy): (rows, columns, 2)."""
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
    squared = (grid**2).sum(1)[:, None] + (dst**2).sum(1)[None, :] - 2 * grid @ dst.T
    kernel = np.exp(-np.maximum(squared, 0.0) / (2 * sigma**2))
    return np.asarray((kernel @ weights).reshape(xx.shape + (2,)), dtype=np.float64)
