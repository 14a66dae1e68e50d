"""The pure parts of TOTP: the ±1 step window, no replay, recovery codes, the sealed secret."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from central_api.security.totp.codes import (
    STEP_SECONDS,
    hash_recovery_code,
    is_code_shaped,
    is_recovery_shaped,
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
)
from central_api.security.totp.seal import TotpKeys, TotpSealError, open_secret, seal_secret

AT = datetime(2026, 12, 6, 12, 0, 10, tzinfo=UTC)
STEP = int(AT.timestamp()) // STEP_SECONDS


def _code(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def test_a_code_is_valid_one_step_either_side_and_not_further() -> None:
    secret = new_secret()
    for offset in (-1, 0, 1):
        code = _code(secret, STEP + offset)
        assert matching_step(secret=secret, code=code, at=AT, last_step=None) == STEP + offset
    for offset in (-3, -2, 2, 3):
        code = _code(secret, STEP + offset)
        if code in {_code(secret, STEP + o) for o in (-1, 0, 1)}:  # pragma: no cover - clash
            continue
        assert matching_step(secret=secret, code=code, at=AT, last_step=None) is None


def test_a_used_step_and_older_ones_are_never_accepted_again() -> None:
    secret = new_secret()
    now = _code(secret, STEP)
    assert matching_step(secret=secret, code=now, at=AT, last_step=STEP) is None
    assert matching_step(secret=secret, code=_code(secret, STEP - 1), at=AT, last_step=STEP) is None
    later = AT + timedelta(seconds=STEP_SECONDS)
    nxt = _code(secret, STEP + 1)
    assert matching_step(secret=secret, code=nxt, at=later, last_step=STEP) == STEP + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "１２３４５６", "123456\n7"])
def test_badly_shaped_codes_are_refused_before_any_check(code: str) -> None:
    assert not is_code_shaped(code)
    assert matching_step(secret=new_secret(), code=code, at=AT, last_step=None) is None


def test_codes_may_be_typed_with_spaces() -> None:
    secret = new_secret()
    code = _code(secret, STEP)
    assert matching_step(secret=secret, code=f" {code[:3]} {code[3:]} ", at=AT, last_step=None)


def test_recovery_codes_are_ten_different_readable_codes_hashed_with_a_key() -> None:
    codes = new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(is_recovery_shaped(code) and not is_code_shaped(code) for code in codes)
    assert not any(ch in "".join(codes) for ch in "01ilo")
    key, other = b"k" * 32, b"o" * 32
    code = codes[0]
    assert hash_recovery_code(key=key, code=code) == hash_recovery_code(
        key=key, code=code.upper().replace("-", " ")
    )
    assert hash_recovery_code(key=key, code=code) != hash_recovery_code(key=other, code=code)


def test_the_secret_opens_only_for_its_user_and_its_key() -> None:
    keys = TotpKeys.from_template_key(b"t" * 32)
    assert keys.seal != keys.recovery
    secret = new_secret()
    nonce, sealed = seal_secret(keys=keys, user_id=7, secret=secret)
    assert secret.encode() not in sealed
    assert open_secret(keys=keys, user_id=7, nonce=nonce, ciphertext=sealed) == secret
    with pytest.raises(TotpSealError):
        open_secret(keys=keys, user_id=8, nonce=nonce, ciphertext=sealed)
    with pytest.raises(TotpSealError):
        other = TotpKeys.from_template_key(b"u" * 32)
        open_secret(keys=other, user_id=7, nonce=nonce, ciphertext=sealed)


def test_the_provisioning_uri_names_the_issuer_and_the_user() -> None:
    uri = provisioning_uri(secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", username="olga")
    assert uri.startswith("otpauth://totp/PortGate:olga?")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=PortGate" in uri
