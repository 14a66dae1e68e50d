"""Pure glue between a presentation, the local replica and the shared `decide()` policy.

Nothing here does I/O or reads a clock: callers pass `now` and the last sync time, so every
offline decision can be replayed in a unit test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from gate_protocol.api_models import DecisionAnswer, DecisionQuery, FaceReport
from gate_protocol.messages import CredentialKind, DecidedBy, Decision
from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import PassRejected, PassVerified
from gate_protocol.policy import (
    PASS_REJECTION_REASONS,
    DecisionContext,
    DecisionRequest,
    FaceEvidence,
    decide,
    face_threshold,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import (
    CompanyStatus,
    CredentialRecord,
    HostPresentation,
    LastPassage,
    PersonRecord,
)
from gate_protocol.replica import ReplicaIndex

from gate_agent.decision.presentation import Presentation, Verdict

__all__ = [
    "build_query",
    "build_request",
    "face_required",
    "holder_id",
    "keyring_of",
    "remember_presentation",
    "pass_rejection_verdict",
    "replica_age_s",
    "replica_current_at",
    "replica_verdict",
    "spend_one_time_pass",
    "verdict_from_answer",
]


def keyring_of(index: ReplicaIndex | None) -> PassKeyring:
    """The pass-signing public keys the replica carries (empty without a replica).

    A key entry that does not load is left out, so its passes verify as unknown_key.
    """
    if index is None:
        return PassKeyring({})
    entries: dict[str, str | bytes] = {}
    for record in index.snapshot.pass_keys:
        try:
            PassKeyring.from_entries({record.key_id: record.public_key_b64})
        except ValueError:
            continue
        entries[record.key_id] = record.public_key_b64
    return PassKeyring.from_entries(entries)


def _credential(index: ReplicaIndex, presentation: Presentation) -> CredentialRecord | None:
    ref = presentation.credential_ref
    if ref is None:
        return None
    return index.credential(presentation.credential_kind, ref)


def holder_id(index: ReplicaIndex | None, presentation: Presentation) -> str | None:
    """Whose face the gate expects: the badge's person, the pass holder, or the identified."""
    if presentation.credential_kind is CredentialKind.FACE:
        return presentation.person_id
    check = presentation.pass_check
    if isinstance(check, PassVerified):
        return check.claims.holder_id
    if index is None:
        return None
    credential = _credential(index, presentation)
    return credential.person_id if credential is not None else None


def face_required(index: ReplicaIndex | None, person_id: str | None = None) -> bool:
    """Whether a face is asked for now (without a replica: assume yes).

    The gate's policy and threat level ask for it; so does the holder's company when it is
    flagged (`decide()` requires the face then: without the step they could never pass).
    """
    if index is None:
        return True
    gate = index.snapshot.gate
    if gate.face_required or index.snapshot.threat_level >= gate.face_required_from_threat:
        return True
    person = index.person(person_id) if person_id is not None else None
    company = person.company if person is not None else None
    return company is not None and company.status is CompanyStatus.FLAGGED


def build_request(
    *, index: ReplicaIndex, presentation: Presentation, face: FaceEvidence | None
) -> DecisionRequest:
    """The `decide()` input for a presentation, looked up in the replica."""
    snapshot = index.snapshot
    credential = _credential(index, presentation)
    person: PersonRecord | None = None
    person_id = credential.person_id if credential is not None else None
    if presentation.credential_kind is CredentialKind.FACE:
        person_id = presentation.person_id
    if person_id is None and isinstance(presentation.pass_check, PassVerified):
        person_id = presentation.pass_check.claims.holder_id
    if person_id is not None:
        person = index.person(person_id)
    pass_id = presentation.pass_id
    appointment = index.appointment_for_pass(pass_id) if pass_id is not None else None
    if credential is None and pass_id is not None and appointment is not None and person:
        # A signed truck pass is bound through its appointment rather than a credential row.
        credential = CredentialRecord(
            kind=CredentialKind.QR_PASS, ref=pass_id, person_id=appointment.person_id
        )
    rejection = presentation.pass_check
    return DecisionRequest(
        gate=snapshot.gate,
        zone=snapshot.zone,
        direction=presentation.direction,
        credential_kind=presentation.credential_kind,
        credential=credential,
        person=person,
        appointment=appointment,
        face=face,
        pass_rejection=rejection.reason.value if isinstance(rejection, PassRejected) else None,
        lane=presentation.lane,
    )


def replica_current_at(index: ReplicaIndex, *, last_sync_at: datetime | None) -> datetime:
    """When the replica was last known current: generated, or last confirmed by a sync."""
    known = index.snapshot.generated_at
    if last_sync_at is not None and last_sync_at > known:
        known = last_sync_at
    return known


def replica_age_s(index: ReplicaIndex, *, now: datetime, last_sync_at: datetime | None) -> float:
    """Seconds since the replica was known current (`replica_current_at`)."""
    known = replica_current_at(index, last_sync_at=last_sync_at)
    return max((now - known).total_seconds(), 0.0)


def replica_verdict(
    *,
    index: ReplicaIndex | None,
    presentation: Presentation,
    face: FaceEvidence | None,
    now: datetime,
    last_sync_at: datetime | None,
    used_appointments: frozenset[str] = frozenset(),
    last_passages: Mapping[str, LastPassage] | None = None,
    recent_presentations: tuple[HostPresentation, ...] = (),
) -> Verdict:
    """Decide from the local replica, as the gate's offline policy allows.

    A one-time pass this gate already consumed offline (`used_appointments`) is denied as
    used even while the replica does not know it yet; the person's last passage through
    this gate (`last_passages`) feeds the zone's anti-passback; the gate's latest grants
    (`recent_presentations`) feed escort mode.
    """
    if index is None:
        return Verdict(
            Decision.DENIED,
            ReasonCode.REPLICA_TOO_OLD,
            DecidedBy.REPLICA,
            detail="gate has no replica yet",
        )
    context = DecisionContext(
        now=now,
        threat_level=index.snapshot.threat_level,
        decided_by=DecidedBy.REPLICA,
        replica_age_s=replica_age_s(index, now=now, last_sync_at=last_sync_at),
    )
    request = build_request(index=index, presentation=presentation, face=face)
    appointment = request.appointment
    if appointment is not None and appointment.appointment_id in used_appointments:
        request = replace(request, appointment=appointment.model_copy(update={"used": True}))
    if request.person is not None and last_passages:
        request = replace(request, last_passage=last_passages.get(request.person.person_id))
    request = replace(request, recent_presentations=recent_presentations)
    result = decide(request, context)
    return Verdict(
        decision=result.decision,
        reason=result.reason,
        decided_by=DecidedBy.REPLICA,
        detail=result.detail,
        person_id=request.person.person_id if request.person is not None else None,
        alarms=result.alarms,
        replica_version=index.snapshot.version,
        consume_appointment_id=result.consume_appointment_id,
        anti_passback_violation=result.anti_passback_violation,
        face_threshold=(
            face_threshold(index.snapshot.gate, presentation.credential_kind)
            if face is not None and face.seen
            else None
        ),
    )


def pass_rejection_verdict(rejected: PassRejected, *, replica_version: int | None) -> Verdict:
    """The gate's own denial of a QR pass that failed offline verification."""
    return Verdict(
        Decision.DENIED,
        PASS_REJECTION_REASONS.get(rejected.reason.value, ReasonCode.PASS_INVALID),
        DecidedBy.REPLICA,
        detail=rejected.reason.value.replace("_", " "),
        person_id=rejected.claims.holder_id if rejected.claims is not None else None,
        replica_version=replica_version,
    )


def build_query(
    *, presentation: Presentation, face: FaceEvidence | None, request_id: str
) -> DecisionQuery:
    """The body of POST /api/v1/decisions for a presentation."""
    report = (
        FaceReport(
            seen=face.seen,
            distance=face.distance,
            liveness_passed=face.liveness_passed,
            liveness_score=face.liveness_score,
            watchlist_entry_id=face.watchlist_entry_id,
        )
        if face is not None
        else None
    )
    return DecisionQuery(
        request_id=request_id,
        lane=presentation.lane,
        direction=presentation.direction,
        credential_kind=presentation.credential_kind,
        badge_number=presentation.badge_number
        if presentation.credential_kind is CredentialKind.BADGE
        else None,
        pass_token=presentation.pass_token
        if presentation.credential_kind is CredentialKind.QR_PASS
        else None,
        person_id=presentation.person_id
        if presentation.credential_kind is CredentialKind.FACE
        else None,
        face=report,
        occurred_at=presentation.occurred_at,
    )


def verdict_from_answer(answer: DecisionAnswer) -> Verdict:
    """The central API's answer as a verdict."""
    return Verdict(
        decision=answer.decision,
        reason=answer.reason,
        decided_by=DecidedBy.CENTRAL,
        detail=answer.detail,
        person_id=answer.person_id,
        alarms=answer.alarms,
        replica_version=answer.replica_version,
        anti_passback_violation=answer.anti_passback_violation,
        face_threshold=answer.face_threshold,
    )


def spend_one_time_pass(verdict: Verdict, *, used: frozenset[str]) -> tuple[Verdict, str | None]:
    """Spend the one-time pass of an offline grant.

    Returns:
        The verdict (a denial when this gate already spent the pass while offline, e.g. two
        grants of it were in flight at once) and the appointment id now spent, if any.
    """
    appointment_id = verdict.consume_appointment_id
    if not verdict.granted or appointment_id is None or verdict.decided_by is not DecidedBy.REPLICA:
        return verdict, None
    if appointment_id in used:
        denied = replace(
            verdict,
            decision=Decision.DENIED,
            reason=ReasonCode.PASS_ALREADY_USED,
            detail="used at this gate while offline",
        )
        return denied, None
    return verdict, appointment_id


# Longer than any escort window (GatePolicy.escort_window_s is at most an hour), and enough
# grants for a busy gate's lanes within it.
_RECENT_KEPT = 256
_RECENT_FOR = timedelta(hours=1)


def remember_presentation(
    recent: tuple[HostPresentation, ...], seen: HostPresentation
) -> tuple[HostPresentation, ...]:
    """`recent` with the grant `seen` added: the newest `_RECENT_KEPT`, none over an hour old."""
    kept = [p for p in recent if seen.at - p.at <= _RECENT_FOR]
    kept.append(seen)
    return tuple(kept[-_RECENT_KEPT:])
