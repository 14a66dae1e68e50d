"""Bulk import's photo preparation: big photos shrink, bombs are never decoded."""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from enrollment.bulk_import import prepare_photo
from testkit.image_bombs import no_pixels_decoded, png_bomb


def test_a_big_photo_is_sent_as_a_2000_px_jpeg(tmp_path: Path) -> None:
    noise = np.random.default_rng(7).integers(0, 255, (2500, 3000, 3), dtype=np.uint8)
    path = tmp_path / "big.png"
    Image.fromarray(noise).save(path)
    sent = prepare_photo(path, limit=100_000)
    with Image.open(io.BytesIO(sent)) as image:
        assert image.format == "JPEG"
        assert image.size == (2000, 1667)


def test_a_png_bomb_is_sent_undecoded_for_the_api_to_refuse(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(30000, 30000))
    with no_pixels_decoded():
        sent = prepare_photo(path, limit=100_000)
    assert sent == path.read_bytes()
