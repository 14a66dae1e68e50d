"""Signed pass claims: round trip, validation of every field, the module's public surface."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from gate_protocol.passes import token as passes
from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import PassRejectReason, PassSigner, PassVerified, new_pass_id
from testkit.passes import MINUTE, T0, check, driver_claims

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
