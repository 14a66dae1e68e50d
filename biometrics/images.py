"""Reading image files into the RGB arrays the rest of ``biometrics`` works on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from biometrics.errors import ImageError

__all__ = ["bgr_to_rgb", "load_image"]


def load_image(path: Path) -> npt.NDArray[np.uint8]:
    """Read an image file as an RGB ``uint8`` array (height, width, 3).

    Grey images are expanded to three channels and alpha is dropped.

    Args:
        path: The image file.

    Returns:
        The pixels.

    Raises:
        ImageError: If the file is missing, unreadable or not an image.
    """
    import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

    if not path.is_file():
        raise ImageError(f"no such image file: {path}")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc}") from exc
    pixels = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if pixels is None:
        pixels = _load_with_pillow(path)
    else:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def _load_with_pillow(path: Path) -> npt.NDArray[np.uint8]:
    # OpenCV reads neither GIF nor some odd PNGs; Pillow does.
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageError(f"not an image: {path}") from exc


def bgr_to_rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Return an OpenCV BGR frame as RGB (a grey frame becomes three equal channels).

    Args:
        image: BGR (height, width, 3) or grey (height, width) ``uint8`` pixels.

    Returns:
        RGB pixels.
    """
    import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

    # cvtColor, not a reversed-channel copy: 0.4 against 3 ms for a 720p frame, same pixels.
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2RGB), np.uint8)
    code = cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(image), code), np.uint8)
