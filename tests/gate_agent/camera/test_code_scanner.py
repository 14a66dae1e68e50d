"""The code scanner on generated QR codes and on the shared QR photos."""

import io

import cv2
import numpy as np
import pytest
import segno

from gate_agent.camera.code_scanner import DecodedCode, scan_codes
from testkit.faces import SHARED_DATA

QR_PHOTOS = SHARED_DATA / "qr-photos"


def qr_image(text: str, *, scale: int = 6, border: int = 4) -> np.ndarray:
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=scale, border=border)
    pixels = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    return np.asarray(pixels, dtype=np.uint8)


def test_decodes_a_generated_qr_code_with_its_corners() -> None:
    text = "PG1.eyJwYXNzIjoiMTIzIn0.signature"
    grey = qr_image(text)
    codes = scan_codes(grey)
    assert [c.text for c in codes] == [text]
    code = codes[0]
    assert code.format == "QRCode"
    assert code.decoder == "zxing-cpp"
    assert len(code.corners) == 4
    xs = [x for x, _ in code.corners]
    ys = [y for _, y in code.corners]
    quiet = 4 * 6  # the border in pixels
    assert min(xs) == pytest.approx(quiet, abs=3)
    assert max(xs) == pytest.approx(grey.shape[1] - quiet, abs=3)
    assert min(ys) == pytest.approx(quiet, abs=3)
    assert code.as_json() == {"format": "QRCode", "text": text, "corners": code.corners}


def test_bgr_and_bgra_frames_decode_alike() -> None:
    grey = qr_image("gate 7")
    bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    bgra = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGRA)
    assert [c.text for c in scan_codes(bgr)] == ["gate 7"]
    assert [c.text for c in scan_codes(bgra)] == ["gate 7"]


def test_two_codes_in_one_frame_are_both_found_once_each() -> None:
    left, right = qr_image("left pass"), qr_image("right pass")
    frame = np.full((left.shape[0], left.shape[1] * 2 + 40), 255, dtype=np.uint8)
    frame[:, : left.shape[1]] = left
    frame[:, left.shape[1] + 40 :] = right
    texts = sorted(c.text for c in scan_codes(frame))
    assert texts == ["left pass", "right pass"]


def test_retries_map_corners_back_to_the_original_frame() -> None:
    calls: list[tuple[int, int]] = []

    def only_large(grey: np.ndarray) -> list[DecodedCode]:
        calls.append(grey.shape)
        if grey.shape[1] < 400:
            return []
        return [DecodedCode("QRCode", "x", [[100, 100], [300, 100], [300, 300], [100, 300]], "t")]

    codes = scan_codes(np.zeros((150, 200), np.uint8), decode=only_large)
    assert calls[0] == (150, 200)
    assert calls[1] == (75, 100)  # the half-size low-pass copy (moire) first
    assert calls[-1] == (300, 400)  # the 2x upscale found it
    assert codes[0].corners == [[50, 50], [150, 50], [150, 150], [50, 150]]
    assert scan_codes(np.zeros((150, 200), np.uint8), retry=False, decode=only_large) == []


def test_a_rotated_code_is_found() -> None:
    grey = cv2.copyMakeBorder(qr_image("tilted"), 60, 60, 60, 60, cv2.BORDER_CONSTANT, value=255)
    matrix = cv2.getRotationMatrix2D((grey.shape[1] / 2, grey.shape[0] / 2), 45, 1.0)
    rotated = cv2.warpAffine(grey, matrix, grey.shape[::-1], borderValue=255)
    codes = scan_codes(rotated)
    assert [c.text for c in codes] == ["tilted"]
    for x, y in codes[0].corners:
        assert 0 <= x <= rotated.shape[1]
        assert 0 <= y <= rotated.shape[0]


def test_nothing_in_a_blank_frame() -> None:
    assert scan_codes(np.full((200, 300), 255, dtype=np.uint8)) == []


def test_refuses_an_array_that_is_not_an_image() -> None:
    with pytest.raises(ValueError, match="grey or BGR"):
        scan_codes(np.zeros((4, 4, 2), dtype=np.uint8))


@pytest.mark.skipif(not QR_PHOTOS.is_dir(), reason="../shared/data/qr-photos is absent")
@pytest.mark.parametrize(
    "name", ["qrcode-1/1.png", "qrcode-1/10.png", "qrcode-2/1.png", "qrcode-3/01.png"]
)
def test_decodes_shared_qr_photos(name: str) -> None:
    photo = QR_PHOTOS / name
    if not photo.is_file():
        pytest.skip(f"{name} is absent")
    expected = photo.with_suffix(".txt").read_text(encoding="utf-8").strip()
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    texts = [c.text.strip() for c in scan_codes(image)]
    assert expected in texts
