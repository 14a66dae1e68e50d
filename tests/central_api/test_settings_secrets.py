"""The API refuses to start with a weak secret, naming it and why (not in dev mode)."""

import base64
import secrets

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from central_api.config import Settings
from gate_protocol.passes.keys import encode_private_key, generate_pass_key
from portgate.cli import app

STRONG = {
    "PORTGATE_SECRET_KEY": secrets.token_urlsafe(48),
    "PORTGATE_TEMPLATE_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
}
ZERO_KEY = base64.b64encode(bytes(32)).decode()
WEAK = {
    "PORTGATE_PASS_SIGNING_KEY": ("foo", "not KID=base64 of an Ed25519 private key"),
    "PORTGATE_METRICS_TOKEN": ("metrics", "too short"),
    "PORTGATE_AUDIT_KEY": ("audit-key", "too short"),
    "PORTGATE_TEMPLATE_KEY": (ZERO_KEY, "fixed pattern"),
    "PORTGATE_SECRET_KEY": ("x" * 48, "repeats a short pattern"),
    "MQTT_URL": ("mqtt://api:api-password@broker:1883", "too short"),
}


@pytest.fixture(autouse=True)
def _no_dev_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORTGATE_DEV_MODE", *STRONG, *WEAK):
        monkeypatch.delenv(name, raising=False)


def test_strong_secrets_start() -> None:
    key_id, key = generate_pass_key()
    pass_key = f"{key_id}={encode_private_key(key)}"
    settings = Settings(
        **STRONG,
        PORTGATE_PASS_SIGNING_KEY=pass_key,
        PORTGATE_METRICS_TOKEN=secrets.token_urlsafe(32),
    )
    assert settings.jwt_secret() == STRONG["PORTGATE_SECRET_KEY"]


@pytest.mark.parametrize("name", sorted(WEAK))
def test_a_weak_secret_is_refused_by_name_with_the_reason(name: str) -> None:
    value, why = WEAK[name]
    with pytest.raises(ValidationError) as caught:
        Settings(**{**STRONG, name: value})
    assert f"{name} " in str(caught.value) and why in str(caught.value)


def test_a_zero_pass_signing_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="PORTGATE_PASS_SIGNING_KEY is a fixed pattern"):
        Settings(**STRONG, PORTGATE_PASS_SIGNING_KEY=f"k1={ZERO_KEY}")


def test_dev_mode_accepts_weak_values_but_not_malformed_ones() -> None:
    weak = {name: value for name, (value, _) in WEAK.items() if name != "PORTGATE_PASS_SIGNING_KEY"}
    Settings(PORTGATE_DEV_MODE=True, **weak)
    with pytest.raises(ValidationError, match="PORTGATE_PASS_SIGNING_KEY"):
        Settings(PORTGATE_DEV_MODE=True, PORTGATE_PASS_SIGNING_KEY="foo")


def test_portgate_api_does_not_start_with_a_weak_pass_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PORTGATE_PASS_SIGNING_KEY", "foo")
    result = CliRunner().invoke(app, ["api"])
    assert result.exit_code == 2
    assert "PORTGATE_PASS_SIGNING_KEY is not KID=base64" in result.stderr
    assert "foo" not in result.stderr
