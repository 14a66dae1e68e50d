"""Turning what arrives (a badge read, a decoded code) into a presentation. Pure.

A QR pass is verified here, offline, before anything else happens to it (DESIGN.md §3.1).
"""

from __future__ import annotations

import time
from datetime import datetime

from gate_protocol.messages import CredentialKind, CredentialPresented
from gate_protocol.pass_keys import PassKeyring
from gate_protocol.passes import MAX_TOKEN_BYTES, TOKEN_PREFIX, verify_pass

from gate_agent.config import LaneConfig
from gate_agent.presentation import Presentation

__all__ = ["badge_presentation", "is_pass_text", "qr_presentation"]


def is_pass_text(text: str) -> bool:
    """Whether a decoded code is meant as a PortGate pass (other barcodes are ignored)."""
    return text.startswith(TOKEN_PREFIX)


def badge_presentation(
    message: CredentialPresented, *, lane: LaneConfig, now: datetime, started: float
) -> Presentation:
    """A badge read from the bridge on a configured lane."""
    return Presentation(
        lane=lane.lane,
        direction=lane.direction,
        credential_kind=CredentialKind.BADGE,
        occurred_at=now,
        started=started,
        badge_number=message.badge_number,
    )


def qr_presentation(
    text: str,
    *,
    seen_at: float,
    lane: LaneConfig,
    keyring: PassKeyring,
    gate: str,
    now: datetime,
) -> Presentation:
    """A code from the camera, its pass verified offline (`decode_ms` is that check's time)."""
    started = time.perf_counter()
    check = verify_pass(text, keyring=keyring, gate_id=gate, now=now)
    return Presentation(
        lane=lane.lane,
        direction=lane.direction,
        credential_kind=CredentialKind.QR_PASS,
        occurred_at=now,
        started=seen_at,
        pass_token=text if len(text) <= MAX_TOKEN_BYTES else None,
        pass_check=check,
        decode_ms=(time.perf_counter() - started) * 1000,
    )
