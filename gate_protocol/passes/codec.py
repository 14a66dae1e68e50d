"""The byte and text codecs of signed QR passes (layout documented in `passes.py`).

Kept apart from the claims and signature logic so that each module has one job.
"""

__all__ = [
    "SIGNATURE_BYTES",
    "MalformedPassError",
    "decode_digits",
    "encode_digits",
    "pack_text",
    "read_varint",
    "unpack_text",
    "unzigzag",
    "varint",
    "zigzag",
]

SIGNATURE_BYTES = 64
_BASE44_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:"
_BASE44_DIGIT_VALUE = {c: i for i, c in enumerate(_BASE44_DIGITS)}
_BASE44_POWERS = [44**n for n in range(9)]
_TEXT_SYMBOLS = "\x000123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-._"  # index 0: field separator
_TEXT_SYMBOL_VALUE = {c: i for i, c in enumerate(_TEXT_SYMBOLS)}


class MalformedPassError(ValueError):
    """Pass bytes or text that do not follow the layout."""


def encode_digits(data: bytes) -> str:
    """Write bytes as one base-44 number in QR alphanumeric characters."""
    # The leading 0x01 keeps leading zero bytes; it costs one bit.
    value = int.from_bytes(b"\x01" + data, "big")
    digits = []
    while value:
        value, digit = divmod(value, len(_BASE44_DIGITS))
        digits.append(_BASE44_DIGITS[digit])
    return "".join(reversed(digits))


def decode_digits(text: str) -> bytes:
    """Read the bytes back from base-44 text; refuse any non-canonical spelling."""
    # Digits are read in chunks of 8 so that most arithmetic stays on small ints.
    value = 0
    for start in range(0, len(text), 8):
        chunk = 0
        for char in text[start : start + 8]:
            digit = _BASE44_DIGIT_VALUE.get(char)
            if digit is None:
                raise MalformedPassError("character outside the pass alphabet")
            chunk = chunk * 44 + digit
        value = value * _BASE44_POWERS[len(text[start : start + 8])] + chunk
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    # Without a leading zero digit, each number has exactly one spelling.
    if text.startswith("0") or len(raw) < 1 + SIGNATURE_BYTES or raw[0] != 1:
        raise MalformedPassError("bad length or non-canonical digits")
    return raw[1:]


def pack_text(text: str) -> bytes:
    """Pack text of the pass symbol set (base 40) into bytes."""
    value = 0
    for char in text:
        value = value * len(_TEXT_SYMBOLS) + _TEXT_SYMBOL_VALUE[char]
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def unpack_text(data: bytes) -> str:
    """Unpack base-40 bytes into text."""
    value = int.from_bytes(data, "big")
    symbols = []
    while value:
        value, symbol = divmod(value, len(_TEXT_SYMBOLS))
        symbols.append(_TEXT_SYMBOLS[symbol])
    return "".join(reversed(symbols))


def zigzag(value: int) -> int:
    """Map a signed integer to an unsigned one (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...)."""
    return value * 2 if value >= 0 else -value * 2 - 1


def unzigzag(value: int) -> int:
    """Invert `zigzag`."""
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def varint(value: int) -> bytes:
    """Encode an unsigned integer as a LEB128 varint."""
    out = bytearray()
    while value >= 0x80:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Read a varint at `pos`; return the value and the next position."""
    value = 0
    for shift in range(0, 28, 7):
        if pos >= len(data):
            raise MalformedPassError("truncated")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise MalformedPassError("varint too long")
