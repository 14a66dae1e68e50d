"""The code scanner's retry stages: copies of a frame in which a hard code reads.

Each stage undoes one way a photographed code goes wrong, with parameters that follow from
the frame's size and not from any photo set (docs/scanning.md):

- **moire** (a code on a phone screen): a Gaussian low-pass and a downscale to half
  (``pyrDown``), where the screen's pixel grid falls below the camera's pixel and the code's
  modules stay; on stills the low-pass at full size as well, for small modules;
- **scale**: up to the size where a small code's modules are several pixels wide (x2, and
  x3 for a frame under 480 px), down to 640 and 320 px on the long side (area averaging);
- **contrast**: CLAHE, for a dim or washed-out code;
- **flat field**: the frame divided by its own large-scale blur, so a glare patch or a
  shadow no longer decides the threshold;
- **median**: a 3 and 5 px median, for JPEG blocks, noise and textured modules;
- **turns**: 15-75 degree turns for the second decoder, which reads only upright codes.

Both polarities are the decoder's job (zxing-cpp's ``try_invert``), as is a perspective tilt
(its detector samples along the code's own grid). Every stage returns the copy and the
affine map from the copy's pixels back to the frame's.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["Affine", "Stage", "hinted_stages", "live_stages", "scale_factors", "still_stages"]

Grey = npt.NDArray[np.uint8]
Affine = npt.NDArray[np.float64]
Stage = tuple[str, Grey, Affine]

_IDENTITY = np.array([[1.0, 0, 0], [0, 1.0, 0]])
_MIN_SIDE = 40  # a copy smaller than this holds no readable code
_MAX_SIDE = 4000  # nor does upscaling past this add anything but time


def _resized(grey: Grey, factor: float) -> tuple[Grey, Affine] | None:
    height, width = grey.shape
    if min(height, width) * factor < _MIN_SIDE or max(height, width) * factor > _MAX_SIDE:
        return None
    size = (round(width * factor), round(height * factor))
    interpolation = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    back = np.array([[1 / factor, 0, 0], [0, 1 / factor, 0]])
    return np.asarray(cv2.resize(grey, size, interpolation=interpolation), np.uint8), back


def scale_factors(shape: tuple[int, ...]) -> tuple[float, ...]:
    """The rescale stage's factors for a frame of `shape`, from its long side alone."""
    long_side = max(shape[:2])
    factors: list[float] = []
    if long_side <= 1280:
        factors.append(2.0)
    if long_side < 480:
        factors.append(3.0)
    factors += [target / long_side for target in (640, 320) if target < long_side * 0.8]
    return tuple(factors)


def moire(grey: Grey) -> Stage | None:
    """The half-size low-pass copy (a screen's pixel grid averaged away), or None if tiny."""
    if min(grey.shape) < 2 * _MIN_SIDE:
        return None
    # pyrDown: a 5x5 Gaussian low-pass and every second pixel, in one cheap pass.
    half = np.asarray(cv2.pyrDown(grey), np.uint8)
    back = np.array([[grey.shape[1] / half.shape[1], 0, 0], [0, grey.shape[0] / half.shape[0], 0]])
    return "moire", half, back


def flat_field(grey: Grey) -> Grey:
    """The frame over its large-scale brightness: glare and shadows evened out."""
    sigma = max(grey.shape) / 16
    background = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), sigma) + 1.0
    flat = grey.astype(np.float32) / background
    low, high = float(flat.min()), float(flat.max())
    return np.asarray((flat - low) * (255 / max(high - low, 1e-6)), np.uint8)


def _turns(grey: Grey) -> Iterator[Stage]:
    height, width = grey.shape
    for angle in (45, 30, 60, 15, 75):
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
        new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
        matrix[0, 2] += new_w / 2 - width / 2
        matrix[1, 2] += new_h / 2 - height / 2
        turned = cv2.warpAffine(grey, matrix, (new_w, new_h), borderValue=255)
        back = np.asarray(cv2.invertAffineTransform(matrix), float)
        yield f"turn{angle}", np.asarray(turned, np.uint8), back


def live_stages(grey: Grey) -> Iterator[Stage]:
    """The live pass's one cheap retry (about 1 ms at 720p): the moire copy."""
    stage = moire(grey)
    if stage is not None:
        yield stage


def hinted_stages(grey: Grey) -> Iterator[Stage]:
    """The live pass's stages where the decoder saw a symbol it could not read."""
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    yield "contrast", np.asarray(clahe.apply(grey), np.uint8), _IDENTITY
    yield "flat_field", flat_field(grey), _IDENTITY


def still_stages(grey: Grey) -> Iterator[Stage]:
    """Every stage, cheapest first, for a still where the plain decode found nothing."""
    yield from live_stages(grey)
    # The moire low-pass at full size too, for small modules that the half size would lose.
    yield "low_pass", np.asarray(cv2.GaussianBlur(grey, (0, 0), 1.0), np.uint8), _IDENTITY
    for factor in scale_factors(grey.shape):
        resized = _resized(grey, factor)
        if resized is not None:
            yield f"scale{factor:.2f}", *resized
    yield from hinted_stages(grey)
    for size in (3, 5):
        yield f"median{size}", np.asarray(cv2.medianBlur(grey, size), np.uint8), _IDENTITY
    yield from _turns(grey)
