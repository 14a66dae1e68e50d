"""Pass tokens under attack: tampering, forged layouts, garbage, oversized input.

The wire format is re-implemented here from the passes module docstring (base 44 digits,
a 0x01 lead byte, signed part + 64-byte Ed25519 signature), so these tests also pin it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gate_protocol.passes import token as passes
from gate_protocol.passes.keys import PassKeyring, generate_pass_key
from gate_protocol.passes.token import (
    MAX_TOKEN_BYTES,
    PassClaims,
    PassRejected,
    PassRejectReason,
    PassSigner,
    PassVerified,
    verify_pass,
)

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:"
DOMAIN = b"portgate-pass-v1\x00"
T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=5)


def to_bytes(token: str) -> bytes:
    assert token.startswith("PG1:")
    value = 0
    for char in token[4:]:
        value = value * 44 + DIGITS.index(char)
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    assert raw[0] == 1
    return raw[1:]


def to_token(data: bytes) -> str:
    value = int.from_bytes(b"\x01" + data, "big")
    digits = ""
    while value:
        value, digit = divmod(value, 44)
        digits = DIGITS[digit] + digits
    return "PG1:" + digits


@pytest.fixture(scope="module")
def key() -> tuple[str, Ed25519PrivateKey]:
    return generate_pass_key()


@pytest.fixture(scope="module")
def keyring(key: tuple[str, Ed25519PrivateKey]) -> PassKeyring:
    return PassKeyring({key[0]: key[1].public_key()})


@pytest.fixture(scope="module")
def token(key: tuple[str, Ed25519PrivateKey]) -> str:
    claims = PassClaims(
        pass_id="PQ7X2M9K4T",
        holder_id="H7K2M9QX",
        gates=("G03", "G04"),
        issued_at=T0,
        not_before=T0,
        expires_at=T0 + timedelta(hours=8),
        one_time=True,
        plate="AB123CD",
    )
    return PassSigner(key[1], key[0]).issue(claims)


def verify(token: str, keyring: PassKeyring) -> PassVerified | PassRejected:
    return verify_pass(token, keyring=keyring, gate_id="G03", now=NOW)


def reason(token: str, keyring: PassKeyring) -> PassRejectReason | None:
    result = verify(token, keyring)
    return result.reason if isinstance(result, PassRejected) else None


def test_the_reference_codec_reads_the_documented_layout(
    token: str, key: tuple[str, Ed25519PrivateKey]
) -> None:
    data = to_bytes(token)
    assert to_token(data) == token
    signed, signature = data[:-64], data[-64:]
    key[1].public_key().verify(signature, DOMAIN + signed)  # raises if not
    minutes = int.from_bytes(signed[:3], "big")
    assert datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes) == T0
    assert isinstance(verify(token, PassKeyring({key[0]: key[1].public_key()})), PassVerified)


def test_every_single_character_substitution_is_refused(token: str, keyring: PassKeyring) -> None:
    reasons: set[PassRejectReason | None] = set()
    for index in range(len(token)):
        for char in DIGITS + "a ":
            if char != token[index]:
                reasons.add(reason(token[:index] + char + token[index + 1 :], keyring))
    assert None not in reasons
    assert PassRejectReason.MALFORMED in reasons
    assert PassRejectReason.BAD_SIGNATURE in reasons


def test_every_bit_flip_of_the_pass_bytes_is_refused(token: str, keyring: PassKeyring) -> None:
    data = to_bytes(token)
    for index in range(len(data)):
        for bit in range(8):
            tampered = bytearray(data)
            tampered[index] ^= 1 << bit
            assert reason(to_token(bytes(tampered)), keyring) is not None, (index, bit)


def test_every_truncation_and_extension_is_refused(token: str, keyring: PassKeyring) -> None:
    for end in range(len(token)):
        assert reason(token[:end], keyring) is not None
    for char in DIGITS:
        assert reason(token + char, keyring) is not None
        assert reason(char + token, keyring) is PassRejectReason.MALFORMED


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_mutations_are_never_verified(
    token: str, keyring: PassKeyring, data: st.DataObject
) -> None:
    chars = list(token)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(chars) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete", "swap"]))
        char = data.draw(st.sampled_from(DIGITS))
        if action == "replace":
            chars[position] = char
        elif action == "insert":
            chars.insert(position, char)
        elif action == "delete" and len(chars) > 1:
            del chars[position]
        elif action == "swap" and position + 1 < len(chars):
            chars[position], chars[position + 1] = chars[position + 1], chars[position]
    mutated = "".join(chars)
    assume(mutated != token)
    assert not isinstance(verify(mutated, keyring), PassVerified)


def test_a_signed_pass_with_impossible_claims_is_malformed(
    key: tuple[str, Ed25519PrivateKey], token: str, keyring: PassKeyring
) -> None:
    signed = to_bytes(token)[:-64]
    # Rewrite the window length (the varint after issued_at and the flags) to 0 minutes.
    assert signed[3] < 0x80 and signed[4] >= 0x80 and signed[5] < 0x80
    broken = signed[:4] + b"\x00" + signed[6:]
    forged = to_token(broken + key[1].sign(DOMAIN + broken))
    assert reason(forged, keyring) is PassRejectReason.MALFORMED


def test_a_non_canonical_encoding_is_malformed(
    key: tuple[str, Ed25519PrivateKey], token: str, keyring: PassKeyring
) -> None:
    signed = to_bytes(token)[:-64]
    # The same window length as a padded two-byte varint (0x80 0x00 style): same value.
    padded = signed[:4] + bytes([signed[4], signed[5] | 0x80, 0x00]) + signed[6:]
    forged = to_token(padded + key[1].sign(DOMAIN + padded))
    assert reason(forged, keyring) is PassRejectReason.MALFORMED
    assert reason("PG1:0" + token[4:], keyring) is PassRejectReason.MALFORMED


def test_a_non_canonical_signature_scalar_is_refused(token: str, keyring: PassKeyring) -> None:
    # Ed25519 malleability: S and S + L verify the same equation; only S < L is accepted.
    order = 2**252 + 27742317777372353535851937790883648493
    data = to_bytes(token)
    scalar = int.from_bytes(data[-32:], "little") + order
    forged = to_token(data[:-32] + scalar.to_bytes(32, "little"))
    assert reason(forged, keyring) is PassRejectReason.BAD_SIGNATURE


def test_a_signature_over_the_bytes_without_the_domain_is_refused(
    key: tuple[str, Ed25519PrivateKey], token: str, keyring: PassKeyring
) -> None:
    signed = to_bytes(token)[:-64]
    forged = to_token(signed + key[1].sign(signed))
    assert reason(forged, keyring) is PassRejectReason.BAD_SIGNATURE


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "PG1:",
        "PG1",
        "PG2:ABC",
        "HC1:6BFOXN%TS3DH0YOJ58S",
        "https://example.org/pass/123",
        '{"pass_id": "X"}',
        "PG1:ÄÖÜ",
        "PG1:🚚🚚🚚",
        "PG1:\x00\x00",
        "PG1:" + "0" * 200,
        "PG1:" + ":" * 200,
        "PG1:" + "Z" * 8,
        "\ufeffPG1:ABC",
    ],
)
def test_garbage_is_malformed(garbage: str, keyring: PassKeyring) -> None:
    result = verify(garbage, keyring)
    assert isinstance(result, PassRejected)
    assert result.reason is PassRejectReason.MALFORMED
    assert result.claims is None


def test_lower_case_and_whitespace_variants_are_malformed(token: str, keyring: PassKeyring) -> None:
    for variant in (token.lower(), "pg1:" + token[4:], " " + token, token + "\n", token + " "):
        assert reason(variant, keyring) is PassRejectReason.MALFORMED


def test_oversized_input_is_refused_before_decoding(
    token: str, keyring: PassKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(text: str) -> bytes:
        raise AssertionError("decoded an oversized token")

    monkeypatch.setattr(passes, "_decode_digits", explode)
    oversized = (
        token + "0" * (MAX_TOKEN_BYTES + 1 - len(token)),
        "PG1:" + "0" * 300 + "Ä" * 105,  # 409 characters, 514 bytes
        "PG1:" + "\ud800" * 200,  # lone surrogates: 3 bytes each
        "PG1:" * 10**6,
    )
    for big in oversized:
        result = verify(big, keyring)
        assert isinstance(result, PassRejected)
        assert result.reason is PassRejectReason.OVERSIZED


def test_exactly_512_bytes_is_decoded_not_oversized(keyring: PassKeyring) -> None:
    assert reason("PG1:" + "1" * (MAX_TOKEN_BYTES - 4), keyring) is PassRejectReason.MALFORMED
    assert reason("PG1:" + "Ä" * 254, keyring) is PassRejectReason.MALFORMED


def test_rejection_messages_never_echo_the_token(token: str, keyring: PassKeyring) -> None:
    samples = [token[:-1], token[:-2] + "00", token + "0" * 600, token.lower()]
    for sample in samples:
        result = verify(sample, keyring)
        assert isinstance(result, PassRejected)
        assert sample not in result.message and token[4:40] not in result.message
