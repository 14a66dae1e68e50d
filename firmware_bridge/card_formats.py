"""Decoding of card reads: Wiegand 26-bit and 34-bit (parity checked) and raw bit strings.

Readers report a card as a bit string (most significant bit first, padded to whole bytes).
Known Wiegand lengths are split into facility code and card number after both parity bits
are checked; any other length is passed on as a raw hexadecimal number. A read whose parity
fails is refused: a misread must never turn into somebody else's badge number.
"""

from dataclasses import dataclass

from gate_protocol.messages import BadgeFormat

__all__ = ["CardRead", "CardReadError", "decode_ascii", "decode_bits", "encode_wiegand"]

_MAX_RAW_BITS = 256


class CardReadError(ValueError):
    """A card read that cannot be decoded (bad parity, bad length, bad characters)."""


@dataclass(frozen=True, slots=True)
class CardRead:
    """A decoded badge: what goes into CredentialPresented."""

    badge_number: str
    format: BadgeFormat
    facility_code: int | None = None


def _bits_of(data: bytes, bit_length: int) -> int:
    if bit_length <= 0 or bit_length > _MAX_RAW_BITS:
        raise CardReadError(f"bit length {bit_length} out of range 1..{_MAX_RAW_BITS}")
    if (bit_length + 7) // 8 != len(data):
        raise CardReadError(f"{len(data)} data bytes do not hold {bit_length} bits")
    return int.from_bytes(data, "big") >> (len(data) * 8 - bit_length)


def _parity(value: int) -> int:
    return value.bit_count() & 1


def _split_wiegand(bits: int, *, length: int, facility_bits: int) -> CardRead:
    half = (length - 2) // 2
    payload = (bits >> 1) & ((1 << (length - 2)) - 1)
    leading, trailing = bits >> (length - 1), bits & 1
    first_half, second_half = payload >> half, payload & ((1 << half) - 1)
    # Leading bit makes the first half even, trailing bit makes the second half odd.
    if _parity(first_half) != leading or _parity(second_half) == trailing:
        raise CardReadError(f"Wiegand {length}-bit parity check failed")
    card_bits = length - 2 - facility_bits
    facility = payload >> card_bits
    card = payload & ((1 << card_bits) - 1)
    fmt = BadgeFormat.WIEGAND26 if length == 26 else BadgeFormat.WIEGAND34
    return CardRead(badge_number=str(card), format=fmt, facility_code=facility)


def decode_bits(data: bytes, bit_length: int, *, wiegand: bool = True) -> CardRead:
    """Decode a card read given as `bit_length` bits, MSB first, in `data`.

    Args:
        data: The bits, left-aligned and padded with zeros to whole bytes.
        bit_length: How many bits are meaningful.
        wiegand: Whether the reader says the bits are Wiegand framed; 26 and 34 bits are then
            decoded with parity, other lengths (and non-Wiegand reads) become raw hex.

    Raises:
        CardReadError: On a length mismatch or a failed parity check.
    """
    bits = _bits_of(data, bit_length)
    if wiegand and bit_length == 26:
        return _split_wiegand(bits, length=26, facility_bits=8)
    if wiegand and bit_length == 34:
        return _split_wiegand(bits, length=34, facility_bits=16)
    width = (bit_length + 3) // 4
    return CardRead(badge_number=f"{bits:0{width}X}", format=BadgeFormat.RAW)


def decode_ascii(data: bytes) -> CardRead:
    """Decode a reader's ASCII card number (hex digits, ``:`` and ``-`` only).

    Raises:
        CardReadError: When the text is empty, too long or has other characters.
    """
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise CardReadError("card data is not ASCII") from None
    if not text or len(text) > 64 or any(c not in "0123456789abcdefABCDEF:-" for c in text):
        raise CardReadError("card data is not a badge number")
    return CardRead(badge_number=text, format=BadgeFormat.RAW)


def encode_wiegand(*, facility_code: int, card_number: int, length: int = 26) -> tuple[bytes, int]:
    """Build a parity-correct Wiegand frame (for simulators and tests).

    Args:
        facility_code: 8 bits (26-bit) or 16 bits (34-bit).
        card_number: 16 bits.
        length: 26 or 34.

    Returns:
        The bits as left-aligned bytes and the bit length.
    """
    if length not in (26, 34):
        raise ValueError("length must be 26 or 34")
    facility_bits = 8 if length == 26 else 16
    if not 0 <= facility_code < (1 << facility_bits) or not 0 <= card_number < (1 << 16):
        raise ValueError("facility code or card number out of range")
    payload = (facility_code << 16) | card_number
    half = (length - 2) // 2
    leading = _parity(payload >> half)
    trailing = 1 - _parity(payload & ((1 << half) - 1))
    bits = (leading << (length - 1)) | (payload << 1) | trailing
    nbytes = (length + 7) // 8
    return (bits << (nbytes * 8 - length)).to_bytes(nbytes, "big"), length
