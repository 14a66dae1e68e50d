"""The printed pass: a CR80 card (85.6 x 54 mm at 300 dpi) as PNG or PDF.

Photo on the left, name, company, validity, gates and plate in the middle, the QR code
(segno, error level M, alphanumeric mode) on the right. The photo is whatever the desk
hands in for this print: PortGate keeps no raw photos unless the site turns that on.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import segno
from gate_protocol.i18n import format_datetime, translator
from PIL import Image, ImageDraw, ImageFont

__all__ = ["CARD_DPI", "CardText", "card_lines", "card_time", "render_card", "render_card_file"]

CARD_DPI = 300
CARD_SIZE = (1011, 638)
_QR_PX = 440
_MARGIN = 28
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
_BOLD_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


@dataclass(frozen=True)
class CardText:
    """What is written on the card."""

    name: str
    company: str | None
    person_id: str
    pass_id: str
    valid_from: datetime
    valid_until: datetime
    gates: tuple[str, ...]
    plate: str | None
    locale: str = "en"  # the desk user's language
    zone: str = "UTC"  # the site's time zone: the holder reads the gate's clock


@cache
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _BOLD_FILES if bold else _FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _qr_image(token: str) -> Image.Image:
    qr = segno.make(token, error="m", micro=False, boost_error=False)
    matrix = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    border = 4
    modules = matrix.shape[0] + 2 * border
    scale = max(1, _QR_PX // modules)
    pixels = np.full((modules, modules), 255, dtype=np.uint8)
    pixels[border:-border, border:-border] = np.where(matrix > 0, 0, 255)
    image = Image.fromarray(pixels, mode="L")
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def _photo_image(
    photo: npt.NDArray[np.uint8] | None, size: tuple[int, int], no_photo: str = "no photo"
) -> Image.Image:
    if photo is None:
        blank = Image.new("RGB", size, (225, 228, 232))
        draw = ImageDraw.Draw(blank)
        draw.text(
            (size[0] // 2, size[1] // 2), no_photo, fill=(90, 90, 90), font=_font(28), anchor="mm"
        )
        return blank
    image = Image.fromarray(photo, mode="RGB")
    # Crop to the frame's aspect ratio around the centre, then scale.
    target = size[0] / size[1]
    width, height = image.size
    if width / height > target:
        new_width = int(height * target)
        image = image.crop(((width - new_width) // 2, 0, (width + new_width) // 2, height))
    else:
        new_height = int(width / target)
        top = max(0, (height - new_height) // 3)
        image = image.crop((0, top, width, top + new_height))
    return image.resize(size, Image.Resampling.LANCZOS)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_card(*, token: str, text: CardText, photo: npt.NDArray[np.uint8] | None) -> Image.Image:
    """Draw the pass card.

    Args:
        token: The signed pass token (the QR code's text).
        text: Name, company, validity, gates, plate.
        photo: RGB pixels of the holder's face photo, or None.
    """
    _ = translator(text.locale)
    card = Image.new("RGB", CARD_SIZE, "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, CARD_SIZE[0], 70), fill=(12, 52, 97))
    draw.text(
        (_MARGIN, 35),
        _("PortGate · truck visit pass"),
        fill="white",
        font=_font(34, bold=True),
        anchor="lm",
    )
    photo_size = (220, 280)
    card.paste(_photo_image(photo, photo_size, _("no photo")), (_MARGIN, 100))
    qr = _qr_image(token)
    card.paste(qr, (CARD_SIZE[0] - qr.width - 10, CARD_SIZE[1] - qr.height - 10))
    x, y = _MARGIN + photo_size[0] + 24, 100
    draw.text((x, y), _fit(text.name, 22), fill="black", font=_font(34, bold=True))
    for number, line in enumerate(card_lines(text, _)):
        draw.text((x, y + 52 + number * 34), line, fill=(30, 30, 30), font=_font(24))
    draw.text(
        (_MARGIN, CARD_SIZE[1] - 40),
        _("Times in {zone}. Show the QR code and your face at the gate.", zone=text.zone),
        fill=(60, 60, 60),
        font=_font(18),
    )
    return card


def card_lines(text: CardText, _: Callable[..., str]) -> list[str]:
    """The lines beside the photo, in `text.locale`, times in `text.zone`."""

    def when(value: datetime) -> str:
        return card_time(value, zone=text.zone, locale=text.locale)

    lines = [
        _fit(text.company or "—", 26),
        _("Person {id}", id=text.person_id),
        _("Pass {id}", id=text.pass_id),
        _("From {time}", time=when(text.valid_from)),
        _("Until {time}", time=when(text.valid_until)),
        _fit(_("Gates {gates}", gates=", ".join(text.gates)), 26),
    ]
    if text.plate:
        lines.append(_("Plate {plate}", plate=text.plate))
    return lines


def card_time(value: datetime, *, zone: str, locale: str) -> str:
    """`value` as the pass shows it: short date and time in `zone`, then its abbreviation."""
    # The abbreviation tells the two passes of October's repeated hour apart (CEST, CET).
    abbreviation = value.astimezone(ZoneInfo(zone)).strftime("%Z")
    local = format_datetime(value, zone=zone, locale=locale, width="short")
    return f"{local} {abbreviation}"


def render_card_file(
    *, token: str, text: CardText, photo: npt.NDArray[np.uint8] | None, fmt: Literal["png", "pdf"]
) -> bytes:
    """The card as PNG or PDF bytes (300 dpi, so it prints at CR80 size)."""
    card = render_card(token=token, text=text, photo=photo)
    buffer = io.BytesIO()
    if fmt == "pdf":
        card.save(buffer, format="PDF", resolution=CARD_DPI)
    else:
        card.save(buffer, format="PNG", dpi=(CARD_DPI, CARD_DPI))
    return buffer.getvalue()
