"""Decompression bombs: images small on disk that claim (and decode to) huge pixel counts.

Built chunk by chunk, so making a 30000 x 30000 PNG costs the test a few megabytes of
memory, whatever decoding it would cost the code under test.
"""

from __future__ import annotations

import contextlib
import functools
import struct
import zlib
from collections.abc import Iterator

__all__ = ["PixelsDecodedError", "no_pixels_decoded", "png_bomb"]


class PixelsDecodedError(AssertionError):
    """The code under test decoded pixels where only the header should have been read."""


@contextlib.contextmanager
def no_pixels_decoded() -> Iterator[None]:
    """Fail any Pillow pixel decode inside the block: proof a bomb is refused by its header.

    Pillow reads only the header on ``Image.open``; pixels are decoded by ``ImageFile.load``
    (called by ``convert``, ``tobytes``, numpy conversion). A refusal that happens after
    decoding raises :class:`PixelsDecodedError` instead of the expected error.
    """
    from PIL import ImageFile  # noqa: PLC0415 - test support, Pillow only when used

    original = ImageFile.ImageFile.load

    def refuse(self: ImageFile.ImageFile) -> object:
        raise PixelsDecodedError(f"pixels decoded: {self.size[0]} x {self.size[1]}")

    ImageFile.ImageFile.load = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        ImageFile.ImageFile.load = original  # type: ignore[method-assign]


@functools.cache
def png_bomb(width: int, height: int) -> bytes:
    """A valid one-colour 8-bit grey PNG of `width` x `height` pixels.

    Each row is a filter byte and `width` zero bytes; the rows compress about a
    thousand to one, so 30000 x 30000 (900 megapixels) is under a megabyte. Cached: tests share one.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = bytes(width + 1)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
