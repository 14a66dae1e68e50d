"""Signed pass tokens: claims, round trip, every rejection reason, time window, QR size."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gate_protocol import passes
from gate_protocol.pass_keys import PassKeyring, generate_pass_key
from gate_protocol.passes import (
    MAX_ISSUED_TOKEN_CHARS,
    PassClaims,
    PassRejected,
    PassRejectReason,
    PassSigner,
    PassTooLargeError,
    PassVerified,
    new_pass_id,
    verify_pass,
)

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def signer() -> PassSigner:
    key_id, key = generate_pass_key()
    return PassSigner(key, key_id)


@pytest.fixture(scope="module")
def keyring(signer: PassSigner) -> PassKeyring:
    return PassKeyring({signer.key_id: signer.public_key()})


def driver_claims(**changes: object) -> PassClaims:
    """The issue's typical driver pass: 2 gates, a plate, one-time, an 8-hour window."""
    fields: dict[str, object] = {
        "pass_id": "PQ7X2M9K4T",
        "holder_id": "H7K2M9QX",
        "gates": ("G03", "G04"),
        "issued_at": T0 - timedelta(hours=20),
        "not_before": T0,
        "expires_at": T0 + timedelta(hours=8),
        "one_time": True,
        "plate": "AB123CD",
    }
    fields.update(changes)
    return PassClaims.model_validate(fields)


def check(token: str, keyring: PassKeyring, **kwargs: object) -> PassVerified | PassRejected:
    options: dict[str, object] = {"gate_id": "G03", "now": T0 + MINUTE}
    options.update(kwargs)
    return verify_pass(token, keyring=keyring, **options)  # type: ignore[arg-type]


def qr_version(token: str) -> int:
    version = segno.make(token, error="m", micro=False).version
    assert isinstance(version, int)
    return version


def reason_of(result: PassVerified | PassRejected) -> PassRejectReason | None:
    return result.reason if isinstance(result, PassRejected) else None


# --- round trip -------------------------------------------------------------------------


def test_round_trip_returns_the_signed_claims_and_key_id(
    signer: PassSigner, keyring: PassKeyring
) -> None:
    claims = driver_claims()
    result = check(signer.issue(claims), keyring)
    assert result == PassVerified(claims=claims, key_id=signer.key_id)


def test_pass_without_plate_and_not_one_time_round_trips(
    signer: PassSigner, keyring: PassKeyring
) -> None:
    claims = driver_claims(plate=None, one_time=False, gates=("MAIN",))
    result = check(signer.issue(claims), keyring, gate_id="MAIN")
    assert isinstance(result, PassVerified)
    assert result.claims.plate is None
    assert result.claims.one_time is False


def test_times_in_other_timezones_are_stored_as_utc(
    signer: PassSigner, keyring: PassKeyring
) -> None:
    cet = timezone(timedelta(hours=1))
    claims = driver_claims(not_before=T0.astimezone(cet), expires_at=(T0 + 8 * 60 * MINUTE))
    result = check(signer.issue(claims), keyring)
    assert isinstance(result, PassVerified)
    assert result.claims.not_before == T0
    assert result.claims.not_before.tzinfo == UTC


# --- claims validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"not_before": datetime(2026, 11, 22, 6, 0)}, "timezone"),
        ({"expires_at": T0 + timedelta(seconds=30)}, "whole minutes"),
        ({"expires_at": T0}, "after not_before"),
        ({"expires_at": T0 + timedelta(days=401)}, "400 days"),
        ({"issued_at": T0 - timedelta(days=401)}, "within 400 days"),
        ({"issued_at": datetime(2023, 12, 31, tzinfo=UTC)}, "lie between"),
        ({"pass_id": "pq7x2m9k4t"}, "pattern"),
        ({"pass_id": "550e8400-e29b-41d4-a716-446655440000"}, "pattern"),
        ({"holder_id": ""}, "pattern"),
        ({"gates": ()}, "at least 1"),
        ({"gates": ("G1", "g1")}, "distinct"),
        ({"gates": tuple(f"G{i}" for i in range(9))}, "at most 8"),
        ({"plate": "AB 123 CD"}, "pattern"),
        ({"pass_id": "PQ7X2M9K4T\n"}, "pattern"),
        ({"gates": ("G1\n",)}, "pattern"),
        ({"gates": ("stra\u00dfe",)}, "pattern"),
        ({"plate": "\u017f1"}, "pattern"),
        ({"unknown": 1}, "Extra inputs"),
    ],
)
def test_invalid_claims_are_refused_with_a_clear_error(
    changes: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment):
        driver_claims(**changes)


def test_gates_and_plate_are_upper_cased() -> None:
    claims = driver_claims(gates=("north-1", "g2"), plate="ab-12-cd")
    assert claims.gates == ("NORTH-1", "G2")
    assert claims.plate == "AB-12-CD"


def test_claims_are_immutable() -> None:
    claims = driver_claims()
    with pytest.raises(ValidationError):
        claims.pass_id = "OTHER"  # type: ignore[misc]


def test_new_pass_id_is_valid_and_fresh() -> None:
    ids = {new_pass_id() for _ in range(100)}
    assert len(ids) == 100
    for pass_id in ids:
        assert driver_claims(pass_id=pass_id).pass_id == pass_id


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


# --- size and QR version ---------------------------------------------------------------


@pytest.mark.parametrize("gates", [("G1", "G2"), ("G03", "G04"), ("IN-03", "OUT-1")])
@pytest.mark.parametrize("issued_ahead", [timedelta(0), timedelta(hours=20)])
def test_typical_driver_pass_fits_qr_version_6_at_level_m(
    signer: PassSigner, gates: tuple[str, str], issued_ahead: timedelta
) -> None:
    token = signer.issue(driver_claims(gates=gates, issued_at=T0 - issued_ahead))
    # The issue's 120 characters are out of reach with a 64-byte Ed25519 signature (see
    # the passes module docstring); what holds is QR version <= 6 at level M.
    assert len(token) <= MAX_ISSUED_TOKEN_CHARS == 154
    assert qr_version(token) <= 6
    assert segno.make(token, error="m", boost_error=False).designator in {"5-M", "6-M"}
    assert segno.make(token, error="m").mode == "alphanumeric"


def test_a_printed_pass_scans_back_to_a_verified_pass(
    signer: PassSigner, keyring: PassKeyring
) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    token = signer.issue(driver_claims(gates=("IN-03", "OUT-1")))
    png = io.BytesIO()
    segno.make(token, error="m", micro=False).save(png, kind="png", scale=4, border=4)
    png.seek(0)
    image = image_module.open(png).convert("L")
    zxing_texts = [result.text for result in zxingcpp.read_barcodes(image)]
    zbar_texts = [symbol.data.decode("ascii") for symbol in pyzbar.decode(image)]
    assert zxing_texts == [token]
    assert zbar_texts == [token]
    assert isinstance(check(token, keyring, gate_id="OUT-1"), PassVerified)


def test_issue_refuses_a_pass_too_big_for_qr_version_6(signer: PassSigner) -> None:
    big = driver_claims(
        pass_id="P" * 20,
        holder_id="H" * 20,
        gates=tuple(f"GATE-{i:07d}" for i in range(8)),
        plate="ABCDEFGHIJ",
    )
    with pytest.raises(PassTooLargeError, match="QR version 6-M"):
        signer.issue(big)


_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-._"
_MAX_MINUTES = 2**24 - 1 - 2 * 576_000


@st.composite
def valid_claims(draw: st.DrawFn) -> PassClaims:
    ids = st.text(_ID_CHARS, min_size=1, max_size=20)
    issued = draw(st.integers(576_000, _MAX_MINUTES))
    start = issued + draw(st.integers(-576_000, 576_000))
    end = start + draw(st.integers(1, 576_000))
    epoch = datetime(2024, 1, 1, tzinfo=UTC)
    return PassClaims(
        pass_id=draw(ids),
        holder_id=draw(ids),
        gates=tuple(
            draw(
                st.lists(
                    st.text(_ID_CHARS, min_size=1, max_size=12), min_size=1, max_size=8, unique=True
                )
            )
        ),
        issued_at=epoch + issued * MINUTE,
        not_before=epoch + start * MINUTE,
        expires_at=epoch + end * MINUTE,
        one_time=draw(st.booleans()),
        plate=draw(
            st.none()
            | st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1).filter(
                lambda p: len(p) <= 10
            )
        ),
    )


@settings(max_examples=300, deadline=None)
@given(claims=valid_claims())
def test_any_valid_claims_round_trip_or_are_refused_as_too_large(
    signer: PassSigner, keyring: PassKeyring, claims: PassClaims
) -> None:
    try:
        token = signer.issue(claims)
    except PassTooLargeError:
        return
    assert len(token) <= MAX_ISSUED_TOKEN_CHARS
    assert qr_version(token) <= 6
    result = verify_pass(
        token, keyring=keyring, gate_id=claims.gates[-1], now=claims.expires_at - MINUTE
    )
    if claims.issued_at > claims.expires_at - MINUTE:
        assert reason_of(result) is PassRejectReason.NOT_YET_VALID
    else:
        assert result == PassVerified(claims=claims, key_id=signer.key_id)


def test_public_surface_is_exactly_all() -> None:
    public = {name for name in vars(passes) if not name.startswith("_")}
    imported = {"annotations", "secrets", "dataclass", "UTC", "datetime", "timedelta"}
    assert set(passes.__all__) <= public
    assert {
        "PassClaims",
        "PassSigner",
        "PassRejectReason",
        "PassRejected",
        "PassVerified",
        "PassTooLargeError",
        "verify_pass",
        "new_pass_id",
    } <= set(passes.__all__)
    assert not imported & set(passes.__all__)
    assert {r.value for r in PassRejectReason} == {
        "bad_signature",
        "unknown_key",
        "expired",
        "not_yet_valid",
        "wrong_gate",
        "malformed",
        "oversized",
    }
