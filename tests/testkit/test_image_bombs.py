"""The bomb maker and the guard that proves a refusal came from the header alone."""

import io

import pytest
from PIL import Image

from testkit.image_bombs import PixelsDecodedError, no_pixels_decoded, png_bomb


def test_a_bomb_declares_its_size_in_a_small_file() -> None:
    bomb = png_bomb(30000, 30000)
    assert len(bomb) < 1_000_000
    with pytest.raises(Image.DecompressionBombError, match="900000000 pixels"):
        Image.open(io.BytesIO(bomb))


def test_decoding_inside_the_guard_fails_and_works_again_after_it() -> None:
    small = png_bomb(40, 30)
    with no_pixels_decoded(), Image.open(io.BytesIO(small)) as opened:
        with pytest.raises(PixelsDecodedError, match="40 x 30"):
            opened.convert("RGB")
    with Image.open(io.BytesIO(small)) as opened:
        assert opened.convert("RGB").getpixel((0, 0)) == (0, 0, 0)
