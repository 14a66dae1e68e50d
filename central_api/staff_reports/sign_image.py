"""The gate sign: a printable A5 page with the QR code of the report page and a few words.

The QR code (segno, error level M) holds the page's URL, which names the site and the
sign's random token; the words say what the page is for and that it is anonymous.
PNG or PDF (Pillow writes both), 150 dpi.
"""

from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

__all__ = ["SIGN_SIZE", "render_sign", "save_sign"]

SIGN_SIZE = (874, 1240)  # A5 portrait at 150 dpi
_QR_PX = 620
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
_LINES = (
    "No account, no name needed.",
    "Your address and phone are not stored.",
    "Keep the code you get to read replies.",
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _qr(url: str) -> Image.Image:
    qr = segno.make(url, error="m", micro=False)
    modules = int(qr.symbol_size(scale=1, border=2)[0])
    scale = max(1, _QR_PX // modules)
    image = Image.new("1", (modules, modules), 1)
    for y, row in enumerate(qr.matrix_iter(scale=1, border=2)):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x, y), 0)
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def render_sign(*, url: str, gate_name: str) -> Image.Image:
    """The sign for the page at `url`, titled with the gate's name."""
    sign = Image.new("RGB", SIGN_SIZE, "white")
    draw = ImageDraw.Draw(sign)
    width = SIGN_SIZE[0]
    draw.rectangle((0, 0, width, 150), fill=(21, 101, 192))
    draw.text(
        (width // 2, 52), "Seen something suspicious?", fill="white", font=_font(44), anchor="mm"
    )
    draw.text(
        (width // 2, 112), "Report it here, anonymously", fill="white", font=_font(34), anchor="mm"
    )
    qr = _qr(url)
    sign.paste(qr.convert("RGB"), ((width - qr.width) // 2, 180))
    y = 180 + qr.height + 30
    draw.text((width // 2, y), gate_name, fill="black", font=_font(36), anchor="mm")
    for number, line in enumerate(_LINES):
        draw.text(
            (width // 2, y + 70 + number * 44), line, fill=(40, 40, 40), font=_font(28), anchor="mm"
        )
    return sign


def save_sign(image: Image.Image, path: Path) -> None:
    """Write the sign as PNG or PDF, by `path`'s suffix."""
    kind = {".png": "PNG", ".pdf": "PDF"}.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path.name}: a sign is written as .png or .pdf")
    image.save(path, format=kind, resolution=150.0)
