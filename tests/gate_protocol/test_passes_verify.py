"""Verifying a signed pass: every rejection reason, the time window and clock skew."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gate_protocol.passes import token as passes
from gate_protocol.passes.keys import PassKeyring, generate_pass_key
from gate_protocol.passes.token import PassRejected, PassRejectReason, PassSigner, PassVerified
from testkit.passes import MINUTE, T0, check, driver_claims, reason_of

# --- rejection reasons reachable ---------------------------------------------------------


def test_unknown_key_id(signer: PassSigner) -> None:
    other_id, other_key = generate_pass_key(existing=[signer.key_id])
    keyring = PassKeyring({other_id: other_key.public_key()})
    result = check(signer.issue(driver_claims()), keyring)
    assert reason_of(result) is PassRejectReason.UNKNOWN_KEY
    assert isinstance(result, PassRejected)
    assert result.claims is None


def test_right_key_id_with_wrong_key_material_is_a_bad_signature(signer: PassSigner) -> None:
    _, impostor_key = generate_pass_key()
    impostor = PassSigner(impostor_key, signer.key_id)
    keyring = PassKeyring({signer.key_id: signer.public_key()})
    result = check(impostor.issue(driver_claims()), keyring)
    assert reason_of(result) is PassRejectReason.BAD_SIGNATURE
    assert isinstance(result, PassRejected)
    assert result.claims is None


def test_expired_and_wrong_gate_carry_the_verified_claims(
    signer: PassSigner, keyring: PassKeyring
) -> None:
    claims = driver_claims()
    token = signer.issue(claims)
    expired = check(token, keyring, now=T0 + timedelta(hours=9))
    wrong_gate = check(token, keyring, gate_id="G07")
    assert isinstance(expired, PassRejected)
    assert expired.reason is PassRejectReason.EXPIRED
    assert expired.claims == claims
    assert "PQ7X2M9K4T" in expired.message
    assert isinstance(wrong_gate, PassRejected)
    assert wrong_gate.reason is PassRejectReason.WRONG_GATE
    assert wrong_gate.claims == claims


def test_not_yet_valid(signer: PassSigner, keyring: PassKeyring) -> None:
    result = check(signer.issue(driver_claims()), keyring, now=T0 - timedelta(hours=1))
    assert reason_of(result) is PassRejectReason.NOT_YET_VALID


def test_a_pass_is_not_valid_before_it_was_issued(signer: PassSigner, keyring: PassKeyring) -> None:
    # Window opened at 06:00 but the pass was issued at 07:00: it cannot be shown at 06:30.
    token = signer.issue(driver_claims(issued_at=T0 + timedelta(hours=1)))
    assert reason_of(check(token, keyring, now=T0 + 30 * MINUTE)) is (
        PassRejectReason.NOT_YET_VALID
    )
    assert isinstance(check(token, keyring, now=T0 + 61 * MINUTE), PassVerified)


def test_gate_match_ignores_case_and_none_skips_the_gate_check(
    signer: PassSigner, keyring: PassKeyring
) -> None:
    token = signer.issue(driver_claims(gates=("NORTH-1",)))
    assert isinstance(check(token, keyring, gate_id="north-1"), PassVerified)
    assert isinstance(check(token, keyring, gate_id=None), PassVerified)
    assert reason_of(check(token, keyring, gate_id="north-2")) is PassRejectReason.WRONG_GATE
    # "\u017f" (long s) upper-cases to "S" in Python; it must not match gate "S".
    token_s = signer.issue(driver_claims(gates=("S",)))
    assert reason_of(check(token_s, keyring, gate_id="\u017f")) is PassRejectReason.WRONG_GATE


def test_every_reason_is_reachable(signer: PassSigner, keyring: PassKeyring) -> None:
    token = signer.issue(driver_claims())
    _, other = generate_pass_key()
    seen = {
        reason_of(check(token, PassKeyring({"ZZZZZZZZ": other.public_key()}))),
        reason_of(check(token, PassKeyring({signer.key_id: other.public_key()}))),
        reason_of(check(token, keyring, now=T0 + timedelta(days=1))),
        reason_of(check(token, keyring, now=T0 - timedelta(days=1))),
        reason_of(check(token, keyring, gate_id="X")),
        reason_of(check(token[:-1], keyring)),
        reason_of(check(token + "0" * 512, keyring)),
    }
    assert seen == set(PassRejectReason)


# --- clock skew --------------------------------------------------------------------------


@pytest.mark.parametrize("skew", [timedelta(0), timedelta(seconds=90), timedelta(minutes=60)])
def test_skew_boundaries_are_exact(
    signer: PassSigner, keyring: PassKeyring, skew: timedelta
) -> None:
    claims = driver_claims()
    token = signer.issue(claims)
    tick = timedelta(microseconds=1)
    first_ok = claims.not_before - skew
    last_ok = claims.expires_at + skew - tick
    assert isinstance(check(token, keyring, now=first_ok, skew=skew), PassVerified)
    assert isinstance(check(token, keyring, now=last_ok, skew=skew), PassVerified)
    too_early = check(token, keyring, now=first_ok - tick, skew=skew)
    too_late = check(token, keyring, now=last_ok + tick, skew=skew)
    assert reason_of(too_early) is PassRejectReason.NOT_YET_VALID
    assert reason_of(too_late) is PassRejectReason.EXPIRED


def test_default_skew_is_one_minute(signer: PassSigner, keyring: PassKeyring) -> None:
    claims = driver_claims()
    token = signer.issue(claims)
    assert passes.DEFAULT_CLOCK_SKEW == MINUTE
    assert isinstance(check(token, keyring, now=claims.expires_at + 59 * MINUTE / 60), PassVerified)
    assert reason_of(check(token, keyring, now=claims.expires_at + MINUTE)) is (
        PassRejectReason.EXPIRED
    )


def test_now_in_another_timezone_is_compared_as_an_instant(
    signer: PassSigner, keyring: PassKeyring
) -> None:
    token = signer.issue(driver_claims())
    tokyo = timezone(timedelta(hours=9))
    assert isinstance(check(token, keyring, now=(T0 + MINUTE).astimezone(tokyo)), PassVerified)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"now": datetime(2026, 11, 22, 7, 0)}, "timezone-aware"),
        ({"skew": timedelta(seconds=-1)}, "skew"),
        ({"skew": timedelta(hours=2)}, "skew"),
    ],
)
def test_bad_verify_arguments_raise(
    signer: PassSigner, keyring: PassKeyring, kwargs: dict[str, object], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        check(signer.issue(driver_claims()), keyring, **kwargs)


def test_a_token_that_is_not_a_str_is_a_type_error(keyring: PassKeyring) -> None:
    with pytest.raises(TypeError, match="str"):
        check(b"PG1:123", keyring)  # type: ignore[arg-type]
