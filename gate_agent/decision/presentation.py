"""One presentation at the gate: a credential shown on a lane, and the verdict it got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.passes.token import PassRejected, PassVerified
from gate_protocol.reasons import ReasonCode

from gate_agent.face.step import FaceOutcome

__all__ = ["Presentation", "Verdict", "gate_denial"]


@dataclass(frozen=True, slots=True)
class Presentation:
    """A badge read (from the bridge), a QR code or an identified face (camera) on one lane.

    `pass_check` is the offline verification of a QR pass, done before anything else;
    `started` is the monotonic time the credential reached the agent (for latency figures).
    A face-only presentation (`CredentialKind.FACE`) carries the identified `person_id` and
    the face step's outcome, already measured on the face track (`face`).
    """

    lane: int
    direction: Direction
    credential_kind: CredentialKind
    occurred_at: datetime
    started: float
    badge_number: str | None = None
    pass_token: str | None = None
    pass_check: PassVerified | PassRejected | None = None
    decode_ms: float | None = None
    person_id: str | None = None
    face: FaceOutcome | None = None

    @property
    def pass_id(self) -> str | None:
        """The pass id of a QR pass whose claims could be read (signed ones only)."""
        check = self.pass_check
        claims = check.claims if check is not None else None
        return claims.pass_id if claims is not None else None

    @property
    def credential_ref(self) -> str | None:
        """The badge number, or the pass id, as the event reports it."""
        if self.credential_kind is CredentialKind.BADGE:
            return self.badge_number
        return self.pass_id


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for a presentation, whoever made it."""

    decision: Decision
    reason: ReasonCode
    decided_by: DecidedBy
    detail: str | None = None
    person_id: str | None = None
    alarms: tuple[AlarmKind, ...] = ()
    replica_version: int | None = None
    consume_appointment_id: str | None = None
    anti_passback_violation: bool = False
    face_threshold: float | None = None  # the distance threshold a seen face was judged at

    @property
    def granted(self) -> bool:
        """Whether the gate may open."""
        return self.decision is Decision.GRANTED


def gate_denial(detail: str) -> Verdict:
    """The gate's own denial when it cannot decide or record (queue full, outbox full, bug).

    The contract has no reason code for "the gate itself cannot", so these use
    GATE_OFFLINE_POLICY with a detail that says what happened.
    """
    return Verdict(
        Decision.DENIED, ReasonCode.GATE_OFFLINE_POLICY, DecidedBy.REPLICA, detail=detail
    )
