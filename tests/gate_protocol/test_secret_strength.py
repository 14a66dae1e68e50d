"""One checker for every secret: clear refusals of weak ones, real ones pass."""

import base64
import secrets

import pytest

from gate_protocol.secret_strength import WeakSecretError, check_key_bytes, check_secret_text
from portgate.broker.mosquitto_auth import new_password


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("foo", "too short: 3 characters"),
        ("changeme-changeme-changeme-changeme", "placeholder"),
        ("a" * 40, "repeats a short pattern"),
        ("abcdefgh" * 5, "repeats a short pattern"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbb", "too predictable"),
    ],
)
def test_weak_text_secrets_are_refused_by_name(value: str, why: str) -> None:
    with pytest.raises(WeakSecretError) as caught:
        check_secret_text("PORTGATE_SECRET_KEY", value)
    assert str(caught.value).startswith("PORTGATE_SECRET_KEY ")
    assert why in str(caught.value)
    assert value not in str(caught.value) or len(value) < 4  # the secret is not echoed


def test_generated_secrets_pass() -> None:
    for _ in range(200):
        check_secret_text("T", secrets.token_urlsafe(48))
        check_secret_text("T", secrets.token_urlsafe(24))
        check_secret_text("T", secrets.token_hex(16))
        check_secret_text("T", new_password(), min_chars=24)  # the CLI's broker passwords
        check_key_bytes("K", secrets.token_bytes(32))


@pytest.mark.parametrize(
    ("key", "why"),
    [(bytes(32), "fixed pattern"), (b"ab" * 16, "fixed pattern"), (b"x" * 16, "32 bytes, not 16")],
)
def test_weak_keys_are_refused(key: bytes, why: str) -> None:
    with pytest.raises(WeakSecretError, match=why):
        check_key_bytes("PORTGATE_TEMPLATE_KEY", key)


def test_base64_of_zero_bytes_is_a_pattern() -> None:
    with pytest.raises(WeakSecretError, match="PORTGATE_TEMPLATE_KEY is a fixed pattern"):
        check_key_bytes("PORTGATE_TEMPLATE_KEY", base64.b64decode("A" * 43 + "="))
