"""Passes shown on a phone screen and photographed (testkit.phone_screen) are read.

The shots below were unreadable to the scanner before its general stages: the live pass
read none of them (the phone's pixel grid aliased into moire at full resolution, and it
never tried the inverted polarity of a phone in dark mode), and the still scan missed the
glare shot.
"""

import io
from itertools import islice

import cv2
import numpy as np
import pytest
import segno

from gate_agent.camera.code_scanner import scan_codes
from gate_agent.camera.scan_stages import scale_factors, still_stages
from testkit.phone_screen import CONDITIONS, DISTANCES, phone_screen_set, screen_shot


def test_the_generator_is_deterministic() -> None:
    first, again = screen_shot("all", "mid", 7), screen_shot("all", "mid", 7)
    assert first.text == again.text
    assert first.text.startswith("PG1:")
    assert np.array_equal(first.image, again.image)
    assert first.image.shape == (720, 1280, 3)
    other = screen_shot("all", "mid", 8)
    assert other.text != first.text
    assert not np.array_equal(other.image, first.image)
    # The condition changes the picture of the same pass.
    assert screen_shot("glare", "mid", 7).text == first.text
    assert not np.array_equal(screen_shot("glare", "mid", 7).image, first.image)


def test_the_set_covers_every_condition_at_every_distance() -> None:
    shots = list(phone_screen_set(1, seed=5))
    cells = {(s.condition, s.distance) for s in shots}
    assert cells == {(c, d) for c in CONDITIONS for d in DISTANCES}
    assert len(shots) == len(CONDITIONS) * len(DISTANCES)


def test_an_unknown_condition_is_refused() -> None:
    with pytest.raises(KeyError):
        screen_shot("underwater", "near", 0)


@pytest.mark.parametrize(
    ("condition", "distance", "seed"),
    [
        ("moire", "near", 0),
        ("moire", "near", 1),
        ("tilt", "near", 0),
        ("dim", "near", 0),
        ("dark", "mid", 0),  # dark mode: a light code on a dark page
    ],
)
def test_the_live_pass_reads_a_phone_screen_up_close(
    condition: str, distance: str, seed: int
) -> None:
    shot = screen_shot(condition, distance, seed)
    assert [c.text for c in scan_codes(shot.image, retry=False)] == [shot.text]


def test_a_still_with_glare_on_the_screen_is_read() -> None:
    shot = screen_shot("glare", "near", 3)
    codes = scan_codes(shot.image)
    assert [c.text for c in codes] == [shot.text]
    # The corners are mapped back from the retry's copy into the frame.
    for x, y in codes[0].corners:
        assert 0 <= x < 1280
        assert 0 <= y < 720


def test_control_characters_keep_their_own_text() -> None:
    text = "\x01\x10AD:SUB:x;;"
    buffer = io.BytesIO()
    segno.make_qr(text.encode(), error="m").save(buffer, kind="png", scale=6, border=4)
    grey = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert [c.text for c in scan_codes(grey)] == [text]
    assert [c.text for c in scan_codes(grey, retry=False)] == [text]


def test_the_rescales_follow_the_frame_size() -> None:
    # A small frame is enlarged 2x and 3x, a 720p one 2x and brought down to 640 and 320 px
    # on its long side, a 1080p one only brought down.
    assert scale_factors((200, 300)) == (2.0, 3.0)
    assert scale_factors((720, 1280)) == (2.0, 0.5, 0.25)
    assert scale_factors((1080, 1920)) == (1 / 3, 1 / 6)
    first = [name for name, _, _ in islice(still_stages(np.zeros((200, 300), np.uint8)), 4)]
    assert first == ["moire", "low_pass", "scale2.00", "scale3.00"]
