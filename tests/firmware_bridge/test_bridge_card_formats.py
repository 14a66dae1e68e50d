import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.card_formats import (
    CardReadError,
    decode_ascii,
    decode_bits,
    encode_wiegand,
)
from gate_protocol.messages import BadgeFormat


def test_known_wiegand26_frame() -> None:
    # Facility 1, card 1: 0 00000001 0000000000000001 0 -> parity bits computed by hand:
    # first half (FC + 4 card bits) has one 1 -> even parity bit 1; second half has one 1 ->
    # odd parity already satisfied -> trailing 0.
    bits = (1 << 25) | (1 << 17) | (1 << 1)
    data = (bits << 6).to_bytes(4, "big")
    card = decode_bits(data, 26)
    assert card.format is BadgeFormat.WIEGAND26
    assert (card.facility_code, card.badge_number) == (1, "1")


@given(fc=st.integers(0, 255), cn=st.integers(0, 65535))
def test_wiegand26_round_trip(fc: int, cn: int) -> None:
    data, bits = encode_wiegand(facility_code=fc, card_number=cn, length=26)
    card = decode_bits(data, bits)
    assert (card.facility_code, card.badge_number, card.format) == (
        fc,
        str(cn),
        BadgeFormat.WIEGAND26,
    )


@given(fc=st.integers(0, 65535), cn=st.integers(0, 65535))
def test_wiegand34_round_trip(fc: int, cn: int) -> None:
    data, bits = encode_wiegand(facility_code=fc, card_number=cn, length=34)
    card = decode_bits(data, bits)
    assert (card.facility_code, card.badge_number, card.format) == (
        fc,
        str(cn),
        BadgeFormat.WIEGAND34,
    )


@pytest.mark.parametrize("length", [26, 34])
def test_every_single_bit_flip_fails_parity(length: int) -> None:
    data, bits = encode_wiegand(facility_code=77, card_number=4242, length=length)
    value = int.from_bytes(data, "big")
    pad = len(data) * 8 - bits
    for position in range(bits):
        flipped = (value ^ (1 << (pad + position))).to_bytes(len(data), "big")
        with pytest.raises(CardReadError, match="parity"):
            decode_bits(flipped, bits)


def test_other_lengths_and_non_wiegand_are_raw_hex() -> None:
    card = decode_bits(bytes([0x55, 0xAA]), 16)
    assert (card.badge_number, card.format, card.facility_code) == ("55AA", BadgeFormat.RAW, None)
    data, bits = encode_wiegand(facility_code=1, card_number=2)
    raw = decode_bits(data, bits, wiegand=False)
    assert raw.format is BadgeFormat.RAW


@pytest.mark.parametrize(("data", "length"), [(b"\x00", 26), (b"\x00" * 4, 0), (b"\x00" * 40, 300)])
def test_length_mismatch_is_refused(data: bytes, length: int) -> None:
    with pytest.raises(CardReadError):
        decode_bits(data, length)


def test_ascii_card_numbers() -> None:
    assert decode_ascii(b"04:A2:19:7F").badge_number == "04:A2:19:7F"
    for bad in (b"", b"12 34", b"DROP TABLE", b"\xff\xfe", b"1" * 65):
        with pytest.raises(CardReadError):
            decode_ascii(bad)
