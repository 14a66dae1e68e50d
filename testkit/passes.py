"""Helpers of the signed-pass tests: the typical driver pass, a verify shortcut, QR version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import segno

from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import (
    PassClaims,
    PassRejected,
    PassRejectReason,
    PassVerified,
    verify_pass,
)

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


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
    """Verify `token` at gate G03 a minute after T0 (`kwargs` override the options)."""
    options: dict[str, object] = {"gate_id": "G03", "now": T0 + MINUTE}
    options.update(kwargs)
    return verify_pass(token, keyring=keyring, **options)  # type: ignore[arg-type]


def qr_version(token: str) -> int:
    """The QR version (size) `token` needs at error correction M."""
    version = segno.make(token, error="m", micro=False).version
    assert isinstance(version, int)
    return version


def reason_of(result: PassVerified | PassRejected) -> PassRejectReason | None:
    """The rejection reason, or None for a verified pass."""
    return result.reason if isinstance(result, PassRejected) else None
