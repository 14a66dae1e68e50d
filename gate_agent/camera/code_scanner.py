"""QR and barcode decoding for camera frames and image files.

zxing-cpp reads first (it decoded 92.7% of the zxing QR photos against pyzbar's 82.4%),
pyzbar complements it, and results are merged by text. Only when neither finds anything
is the frame tried again in the retry stages of :mod:`gate_agent.camera.scan_stages`
(a low-pass half-size copy against a phone screen's moire, rescales chosen from the frame's
size, CLAHE, a flat field against glare, medians, turns), so a frame with a readable code
costs one pass of each library. Texts are zxing-cpp's plain text (the code's own
characters). :func:`scan_codes` is pure apart from the decoders: no I/O, no state, safe to
call from the gate agent's frame worker.

The live pass (``retry=False``, the agent's frame loop) must stay cheap on the many frames
with no code in them (goal: 5 ms at 720p): zxing-cpp looks only for the gate's formats
(:data:`LIVE_FORMATS`: QR and the badge barcode), in the frame's own orientation and
resolution, then QR alone, in both polarities, in the moire copy (a few percent more). Only
where zxing-cpp saw a symbol it could not read do pyzbar and the contrast and flat-field
copies run. All formats in every orientation at 720p cost zxing-cpp about 50 ms and pyzbar
about 40 ms more (bench/bench_scan.py; docs/scanning.md has the figures).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gate_agent.camera.scan_stages import Affine, hinted_stages, live_stages, still_stages

__all__ = ["LIVE_FORMATS", "DecodedCode", "scan_codes"]

logger = logging.getLogger(__name__)

Corners = list[list[int]]

# The live pass's formats (zxing-cpp names): QR codes (passes) and the badge barcode.
LIVE_FORMATS: tuple[str, ...] = ("QRCode", "Code128")

_PYZBAR_FORMATS = {
    "QRCODE": "QRCode",
    "EAN13": "EAN13",
    "EAN8": "EAN8",
    "UPCA": "UPCA",
    "UPCE": "UPCE",
    "CODE128": "Code128",
    "CODE39": "Code39",
    "CODE93": "Code93",
    "I25": "ITF",
    "CODABAR": "Codabar",
    "DATABAR": "DataBar",
    "DATABAR_EXP": "DataBarExpanded",
    "PDF417": "PDF417",
    "ISBN10": "ISBN10",
    "ISBN13": "ISBN13",
}


@dataclass(frozen=True)
class DecodedCode:
    """One decoded QR code or barcode.

    Attributes:
        format: The symbology in zxing-cpp's naming, e.g. ``"QRCode"``, ``"EAN13"``.
        text: The decoded text.
        corners: Four ``[x, y]`` pixel corners in the input image (top-left, top-right,
            bottom-right, bottom-left as the decoder saw them).
        decoder: ``"zxing-cpp"`` or ``"pyzbar"``.
    """

    format: str
    text: str
    corners: Corners
    decoder: str

    def as_json(self) -> dict[str, object]:
        """Return the JSON form of ``portgate scan``: format, text and corners."""
        return {"format": self.format, "text": self.text, "corners": self.corners}


def _grey(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    import cv2  # noqa: PLC0415 - only the scanner needs OpenCV

    if image.ndim == 2:
        return np.ascontiguousarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY))
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    raise ValueError(f"expected a grey or BGR image, got shape {image.shape}")


def _zxing(grey: npt.NDArray[np.uint8]) -> list[DecodedCode]:
    import zxingcpp  # noqa: PLC0415

    # Plain: the code's own characters; the default (HRI) spells control characters as
    # "<SOH>" and so changes the text.
    found = zxingcpp.read_barcodes(grey, text_mode=zxingcpp.TextMode.Plain)
    return [_from_zxing(code) for code in found]


def _from_zxing(code: object) -> DecodedCode:
    p = code.position  # type: ignore[attr-defined]
    points = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    corners = [[int(q.x), int(q.y)] for q in points]
    fmt = getattr(code.format, "name", str(code.format))  # type: ignore[attr-defined]
    return DecodedCode(str(fmt), code.text, corners, "zxing-cpp")  # type: ignore[attr-defined]


def _live(formats: Sequence[str]) -> Callable[[npt.NDArray[np.uint8]], list[DecodedCode]]:
    """The live pass over the given formats (see the module docstring)."""
    import zxingcpp  # noqa: PLC0415

    unknown = [f for f in formats if not hasattr(zxingcpp.BarcodeFormat, f)]
    if unknown or not formats:
        raise ValueError(f"unknown barcode formats {unknown or list(formats)} (zxing-cpp names)")
    wanted = zxingcpp.BarcodeFormats([getattr(zxingcpp.BarcodeFormat, f) for f in formats])
    # Phone screens show QR passes: the moire copy looks for QR codes alone, a fraction of
    # the cost of Code128's row scan (bench/bench_scan.py).
    screen = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode])

    def zxing(
        grey: npt.NDArray[np.uint8], fmts: zxingcpp.BarcodeFormats = wanted, invert: bool = False
    ) -> tuple[list[DecodedCode], bool]:
        results = zxingcpp.read_barcodes(
            grey,
            formats=fmts,
            try_rotate=False,
            try_invert=invert,
            try_downscale=False,
            text_mode=zxingcpp.TextMode.Plain,
            return_errors=True,
        )
        return [_from_zxing(r) for r in results if r.valid], bool(results)

    def decode(grey: npt.NDArray[np.uint8]) -> list[DecodedCode]:
        codes, seen = zxing(grey)
        stages = live_stages(grey) if not codes and "QRCode" in formats else ()
        for _name, variant, back in stages:
            # Both polarities here: a phone in dark mode shows the pass light on dark.
            found, seen_here = zxing(np.ascontiguousarray(variant), screen, invert=True)
            codes, seen = [_mapped(c, back) for c in found], seen or seen_here
        if codes or not seen:
            return codes
        # zxing-cpp saw a symbol it could not read: the second decoder, then the stages that
        # even out contrast and glare (only here, so a frame without a code stays cheap).
        return _hinted(grey, formats, lambda g: zxing(g)[0])

    return decode


def _hinted(
    grey: npt.NDArray[np.uint8],
    formats: Sequence[str],
    zxing: Callable[[npt.NDArray[np.uint8]], list[DecodedCode]],
) -> list[DecodedCode]:
    try:
        codes = [c for c in _pyzbar(grey) if c.format in formats]
    except Exception:
        logger.exception("pyzbar failed")
        codes = []
    for _name, variant, back in hinted_stages(grey) if not codes else ():
        codes = [_mapped(c, back) for c in zxing(np.ascontiguousarray(variant))]
        if codes:
            break
    return codes


def _pyzbar(grey: npt.NDArray[np.uint8]) -> list[DecodedCode]:
    from pyzbar import pyzbar  # noqa: PLC0415

    found = []
    for code in pyzbar.decode(grey):
        text = code.data.decode("utf-8", errors="replace")
        fmt = _PYZBAR_FORMATS.get(code.type, code.type)
        left, top, width, height = code.rect
        corners = [[left, top], [left + width, top], [left + width, top + height]]
        corners.append([left, top + height])
        if len(code.polygon) == 4:
            corners = [[int(q.x), int(q.y)] for q in code.polygon]
        found.append(DecodedCode(fmt, text, corners, "pyzbar"))
    return found


def _both(grey: npt.NDArray[np.uint8]) -> list[DecodedCode]:
    codes = _zxing(grey)
    try:
        codes += _pyzbar(grey)
    except Exception:  # zbar missing or failing must not lose zxing's answer
        logger.exception("pyzbar failed")
    return codes


def _mapped(code: DecodedCode, back: Affine) -> DecodedCode:
    points = np.array(code.corners, dtype=np.float64)
    moved = points @ back[:, :2].T + back[:, 2]
    corners = [[round(x), round(y)] for x, y in moved]
    return DecodedCode(code.format, code.text, corners, code.decoder)


def _unique(codes: list[DecodedCode]) -> list[DecodedCode]:
    seen: set[str] = set()
    kept = []
    for code in codes:
        if code.text not in seen:
            seen.add(code.text)
            kept.append(code)
    return kept


def scan_codes(
    image: npt.NDArray[np.uint8],
    *,
    retry: bool = True,
    decode: Callable[[npt.NDArray[np.uint8]], list[DecodedCode]] | None = None,
    formats: Sequence[str] = LIVE_FORMATS,
) -> list[DecodedCode]:
    """Find and decode every QR code and barcode in an image.

    Args:
        image: OpenCV BGR (height, width, 3), BGRA, or grey (height, width) ``uint8``.
        retry: Search every format, and try rotated, rescaled and contrast-enhanced copies
            when nothing is found (stills). False: the live pass, for a frame loop that
            waits for the next frame instead (only ``formats``, see the module docstring).
        decode: The decoder pass; default both libraries over every format (``retry``) or
            the live pass.
        formats: The live pass's formats, zxing-cpp names (QR and the badge barcode).

    Returns:
        The codes found, one per distinct text, zxing-cpp's first.

    Raises:
        ValueError: If the array is not an image, or a format is unknown.
    """
    grey = _grey(np.asarray(image, dtype=np.uint8))
    if decode is None:
        decode = _both if retry else _live(tuple(formats))
    codes = _unique(decode(grey))
    if codes or not retry:
        return codes
    for _name, variant, back in still_stages(grey):
        codes = _unique([_mapped(c, back) for c in decode(np.ascontiguousarray(variant))])
        if codes:
            return codes
    return []
