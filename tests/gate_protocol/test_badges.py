"""Badge numbers: the desk binds only what a reader can produce (firmware_bridge.card_formats)."""

import itertools

import pytest

from firmware_bridge.card_formats import decode_ascii, decode_bits, encode_wiegand
from gate_protocol.badges import badge_number_problem
from gate_protocol.messages import BadgeFormat


def test_whatever_a_reader_decodes_is_a_valid_badge_number() -> None:
    for length, facility, card in itertools.product((26, 34), (0, 7, 255), (0, 1, 42077, 65535)):
        data, bits = encode_wiegand(facility_code=facility, card_number=card, length=length)
        read = decode_bits(data, bits)
        assert badge_number_problem(read.badge_number, read.format) is None, read
    for length in (8, 32, 37, 56, 256):
        read = decode_bits(b"\xa5" * ((length + 7) // 8), length)
        assert badge_number_problem(read.badge_number, read.format) is None, read
        assert badge_number_problem(read.badge_number, None) is None
    for text in (b"04a1b2c3", b"04:A1:B2:C3", b"12-34"):
        read = decode_ascii(text)
        assert badge_number_problem(read.badge_number, read.format) is None, read


@pytest.mark.parametrize(
    ("number", "badge_format"),
    [
        ("0042077", BadgeFormat.WIEGAND26),  # a reader sends 42077
        ("65536", BadgeFormat.WIEGAND34),  # 16 card bits
        ("04A1", BadgeFormat.WIEGAND26),
        ("ZZTOP", BadgeFormat.RAW),
        ("ZZTOP", None),
        ("GUEST-1", None),
        ("12a", BadgeFormat.KEYPAD),
        ("", None),
        ("A" * 65, BadgeFormat.RAW),
    ],
)
def test_numbers_no_reader_produces_are_refused_with_a_reason(
    number: str, badge_format: BadgeFormat | None
) -> None:
    problem = badge_number_problem(number, badge_format)
    assert problem is not None and ("badge" in problem or "keypad" in problem)
