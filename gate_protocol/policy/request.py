"""What `decide()` is asked and what it answers: the request, its context and the result."""

from dataclasses import dataclass, field
from datetime import datetime

from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import (
    AppointmentRecord,
    CredentialRecord,
    GatePolicy,
    HostPresentation,
    LastPassage,
    PersonRecord,
    ZoneRules,
)

__all__ = [
    "PASS_REJECTION_REASONS",
    "SOFT_ANTI_PASSBACK",
    "DecisionContext",
    "DecisionRequest",
    "DecisionResult",
    "FaceEvidence",
]

# How a QR pass that failed offline verification (gate_protocol.passes.token) is reported.
PASS_REJECTION_REASONS: dict[str, ReasonCode] = {
    "bad_signature": ReasonCode.PASS_INVALID,
    "unknown_key": ReasonCode.PASS_INVALID,
    "malformed": ReasonCode.PASS_INVALID,
    "oversized": ReasonCode.PASS_INVALID,
    "expired": ReasonCode.CREDENTIAL_EXPIRED,
    "not_yet_valid": ReasonCode.CREDENTIAL_NOT_YET_VALID,
    "wrong_gate": ReasonCode.OUTSIDE_APPOINTMENT_WINDOW,
}
# The flag of a grant that soft anti-passback let through (the event records it).
SOFT_ANTI_PASSBACK = "soft_anti_passback"


@dataclass(frozen=True, slots=True)
class FaceEvidence:
    """What the gate's camera saw: a face or not, its distance to the claimed person, liveness.

    `distance` is the best distance to the person's templates (1:1), or to the identified
    person (1:N); `liveness_passed` is None when liveness was not run. `watchlist_entry_id`
    names the watchlist entry the face matched at the strict watchlist threshold (None: no
    hit), whoever's badge it holds.
    """

    seen: bool
    distance: float | None = None
    liveness_passed: bool | None = None
    liveness_score: float | None = None
    watchlist_entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """The circumstances of a decision: when, at which threat level, by whom."""

    now: datetime
    threat_level: int = 1
    decided_by: DecidedBy = DecidedBy.CENTRAL
    replica_age_s: float | None = None


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """Everything known about one presentation, already looked up by the caller.

    `credential` is None when the badge or pass is unknown; for face-only identification
    (`credential_kind=FACE`) `person` is the identified person and `credential` stays None.
    `pass_rejection` is the reason string of a QR pass that failed offline verification.
    `recent_presentations` are granted presentations at this gate shortly before (any
    lane, any person; the escort check picks the host's at `lane`).
    """

    gate: GatePolicy
    zone: ZoneRules
    direction: Direction
    credential_kind: CredentialKind
    credential: CredentialRecord | None = None
    person: PersonRecord | None = None
    appointment: AppointmentRecord | None = None
    last_passage: LastPassage | None = None
    face: FaceEvidence | None = None
    pass_rejection: str | None = None
    lane: int = 0
    recent_presentations: tuple[HostPresentation, ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """The decision, its one reason, and what the caller must do next.

    `consume_appointment_id` is set on a grant with a one-time pass: the caller must mark it
    used atomically (and deny with PASS_ALREADY_USED if another gate won the race).
    """

    decision: Decision
    reason: ReasonCode
    detail: str | None = None
    alarms: tuple[AlarmKind, ...] = ()
    consume_appointment_id: str | None = None
    flags: tuple[str, ...] = field(default=())

    @property
    def granted(self) -> bool:
        """Whether the gate may open."""
        return self.decision is Decision.GRANTED

    @property
    def anti_passback_violation(self) -> bool:
        """Whether a soft anti-passback zone was passed the same way twice (granted)."""
        return SOFT_ANTI_PASSBACK in self.flags
