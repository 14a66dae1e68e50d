"""The scanner's live pass (retry=False): only the gate's formats, one cheap pass per frame."""

import io

import cv2
import numpy as np
import pytest
import segno

from gate_agent.camera.code_scanner import LIVE_FORMATS, scan_codes


def qr_frame(text: str) -> np.ndarray:
    """A 1280x720 grey frame with a QR code in it."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=6, border=4)
    code = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    frame = np.full((720, 1280), 180, np.uint8)
    frame[200 : 200 + code.shape[0], 500 : 500 + code.shape[1]] = code
    return frame


def code128_frame(text: str) -> np.ndarray:
    """A 1280x720 grey frame with a Code 128 barcode (drawn by zxing-cpp)."""
    import zxingcpp

    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128)
    image = np.asarray(barcode.to_image(scale=3), np.uint8)
    frame = np.full((720, 1280), 255, np.uint8)
    frame[300 : 300 + image.shape[0], 200 : 200 + image.shape[1]] = image
    return frame


def test_the_live_pass_reads_a_qr_code_and_the_badge_barcode() -> None:
    assert [c.text for c in scan_codes(qr_frame("PG1.pass"), retry=False)] == ["PG1.pass"]
    codes = scan_codes(code128_frame("BADGE-0042"), retry=False)
    assert [(c.format, c.text) for c in codes] == [("Code128", "BADGE-0042")]


def test_the_live_pass_looks_only_for_the_configured_formats() -> None:
    frame = code128_frame("BADGE-0042")
    assert scan_codes(frame, retry=False, formats=("QRCode",)) == []
    assert [c.text for c in scan_codes(frame)] == ["BADGE-0042"]  # stills: every format
    assert LIVE_FORMATS == ("QRCode", "Code128")


def test_an_empty_frame_gives_nothing_and_a_bad_format_a_clear_error() -> None:
    assert scan_codes(np.full((720, 1280, 3), 128, np.uint8), retry=False) == []
    with pytest.raises(ValueError, match="unknown barcode formats"):
        scan_codes(np.zeros((10, 10), np.uint8), retry=False, formats=("Nope",))
    with pytest.raises(ValueError, match="unknown barcode formats"):
        scan_codes(np.zeros((10, 10), np.uint8), retry=False, formats=())
