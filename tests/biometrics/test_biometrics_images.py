"""One image loader for everything from outside: header first, pixels only when allowed."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from biometrics import (
    ENROLLMENT_MAX_PIXELS,
    ImageError,
    ImageTooLargeError,
    decode_image,
    load_image,
)
from testkit.faces import FACES
from testkit.image_bombs import no_pixels_decoded, png_bomb


def _encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_30000_square_png_bomb_is_refused_by_its_header_at_once(tmp_path: Path) -> None:
    bomb = png_bomb(30000, 30000)
    assert len(bomb) < 1_000_000  # small on disk, 900 megapixels decoded
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    with no_pixels_decoded():
        with pytest.raises(ImageTooLargeError, match="too many pixels"):
            decode_image(bomb)
        with pytest.raises(ImageTooLargeError, match=r"bomb\.png: the image has too many pixels"):
            load_image(path)


def test_the_enrollment_limit_is_24_megapixels() -> None:
    over = png_bomb(6000, 4001)  # 24.006 megapixels
    with pytest.raises(ImageTooLargeError, match="at most 24 megapixels"):
        decode_image(over, max_pixels=ENROLLMENT_MAX_PIXELS)
    assert decode_image(png_bomb(4000, 3000), max_pixels=ENROLLMENT_MAX_PIXELS).shape == (
        3000,
        4000,
        3,
    )


def test_unknown_formats_and_truncated_data_are_refused() -> None:
    picture = Image.new("RGB", (64, 48), (10, 20, 30))
    with pytest.raises(ImageError, match="known format"):
        decode_image(_encoded(picture, "TGA"))
    with pytest.raises(ImageError, match="known format"):
        decode_image(b"hello, not an image")
    jpeg = _encoded(picture, "JPEG")
    with pytest.raises(ImageError, match="truncated"):
        decode_image(jpeg[: len(jpeg) // 2])
    with pytest.raises(ImageError, match="empty"):
        decode_image(b"")


def test_grey_alpha_and_gif_images_become_rgb() -> None:
    grey = decode_image(_encoded(Image.new("L", (8, 6), 200), "PNG"))
    assert grey.shape == (6, 8, 3) and grey.dtype == np.uint8 and int(grey[0, 0, 0]) == 200
    rgba = decode_image(_encoded(Image.new("RGBA", (8, 6), (1, 2, 3, 4)), "PNG"))
    assert rgba.shape == (6, 8, 3) and rgba[0, 0].tolist() == [1, 2, 3]
    assert decode_image(_encoded(Image.new("RGB", (8, 6)), "GIF")).shape == (6, 8, 3)


def test_a_photo_decodes_to_the_pixels_opencv_gives() -> None:
    import cv2

    path = FACES / "obama.jpg"
    expected = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert np.array_equal(load_image(path), expected)
