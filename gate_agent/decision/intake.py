"""Turning what arrives (a badge read, a decoded code) into a presentation. Pure.

A QR pass is verified here, offline, before anything else happens to it
(docs/architecture.md, decisions).
"""

from __future__ import annotations

import time
from datetime import datetime

from gate_protocol.messages import CredentialKind, CredentialPresented, DecidedBy, Decision
from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import MAX_TOKEN_BYTES, TOKEN_PREFIX, verify_pass
from gate_protocol.policy import FaceEvidence
from gate_protocol.reasons import ReasonCode

from gate_agent.config import LaneConfig
from gate_agent.decision.presentation import Presentation, Verdict
from gate_agent.face.identify import Ambiguous, Identified
from gate_agent.face.step import FaceOutcome
from gate_agent.face.watchlist import WatchlistSeen

__all__ = [
    "ambiguous_face_denial",
    "watchlist_face_denial",
    "badge_presentation",
    "face_presentation",
    "is_pass_text",
    "qr_presentation",
]


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


def face_presentation(
    found: Identified, *, lane: LaneConfig, now: datetime, started: float
) -> Presentation:
    """A face identified 1:N on the track: decided as that person, with its face evidence."""
    liveness = found.liveness
    outcome = FaceOutcome(
        evidence=FaceEvidence(
            seen=True,
            distance=found.distance,
            liveness_passed=liveness.passed if liveness is not None else None,
            liveness_score=min(max(liveness.score, 0.0), 10.0) if liveness is not None else None,
        ),
        face_ms=0.0,
        liveness_ms=0.0 if liveness is not None else None,
        track_age_s=found.track_age_s,
        identified=True,
    )
    return Presentation(
        lane=lane.lane,
        direction=lane.direction,
        credential_kind=CredentialKind.FACE,
        occurred_at=now,
        started=started,
        person_id=found.person_id,
        face=outcome,
    )


def ambiguous_face_denial(
    found: Ambiguous,
    *,
    lane: LaneConfig,
    now: datetime,
    started: float,
    replica_version: int | None,
) -> tuple[Presentation, Verdict]:
    """The gate's own denial of a face it could not tell apart from another person's."""
    presentation = Presentation(
        lane=lane.lane,
        direction=lane.direction,
        credential_kind=CredentialKind.FACE,
        occurred_at=now,
        started=started,
        face=FaceOutcome(evidence=FaceEvidence(seen=True, distance=found.distance)),
    )
    verdict = Verdict(
        Decision.DENIED,
        ReasonCode.FACE_MISMATCH,
        DecidedBy.REPLICA,
        detail=found.detail,
        replica_version=replica_version,
    )
    return presentation, verdict


def watchlist_face_denial(
    found: WatchlistSeen,
    *,
    lane: LaneConfig,
    now: datetime,
    started: float,
    replica_version: int | None,
) -> tuple[Presentation, Verdict]:
    """The gate's own denial of a watchlisted face in view at a face-only gate.

    There the face is the credential: the person in front of the gate is told no and
    the operator sees an event with the entry, not only the alarm.
    """
    evidence = FaceEvidence(seen=True, distance=found.distance, watchlist_entry_id=found.entry_id)
    presentation = Presentation(
        lane=lane.lane,
        direction=lane.direction,
        credential_kind=CredentialKind.FACE,
        occurred_at=now,
        started=started,
        face=FaceOutcome(evidence=evidence),
    )
    verdict = Verdict(
        Decision.DENIED,
        ReasonCode.WATCHLIST,
        DecidedBy.REPLICA,
        detail=found.detail,
        replica_version=replica_version,
    )
    return presentation, verdict
