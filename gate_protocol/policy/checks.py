"""The checks of `decide()`, in the order that is part of the contract (docs/architecture.md)."""

from dataclasses import replace
from datetime import datetime

from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision
from gate_protocol.policy.request import (
    PASS_REJECTION_REASONS,
    SOFT_ANTI_PASSBACK,
    DecisionContext,
    DecisionRequest,
    DecisionResult,
    FaceEvidence,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import (
    AntiPassback,
    CompanyStatus,
    GatePolicy,
    OfflinePolicy,
    PersonRecord,
    PersonStatus,
    WatchlistAction,
    own_watchlist_entries,
)

__all__ = ["decide"]


def _deny(
    reason: ReasonCode, detail: str | None = None, alarms: tuple[AlarmKind, ...] = ()
) -> DecisionResult:
    return DecisionResult(Decision.DENIED, reason, detail, alarms)


def decide(request: DecisionRequest, context: DecisionContext) -> DecisionResult:
    """Decide whether the presenter may pass this gate now.

    Args:
        request: The presentation and the records looked up for it.
        context: Time, threat level and whether the central API or a replica decides.

    Returns:
        A grant, or a denial with exactly one reason code (and alarms to raise).
    """
    result = (
        _check_offline(request.gate, context)
        or _check_watchlist_face(request.face, request.person)
        or _check_credential(request, context.now)
        or _check_face(request, context)
        or _check_person(request, context)
        or _check_access(request, context.now)
        or _grant(request)
    )
    return _with_company_alert(_with_watchlist_alert(result, request.person), request.person)


def _company_status(person: PersonRecord | None) -> CompanyStatus:
    if person is None or person.company is None:
        return CompanyStatus.ACTIVE
    return person.company.status


def _with_company_alert(result: DecisionResult, person: PersonRecord | None) -> DecisionResult:
    """Every passage of a flagged company's person raises an alarm for the operator."""
    if not result.granted or person is None or person.company is None:
        return result
    if person.company.status is not CompanyStatus.FLAGGED:
        return result
    return replace(
        result,
        # The event and the alarm name the company the operator is asked to look at.
        detail=result.detail or f"flagged company {person.company.name}",
        alarms=(*result.alarms, AlarmKind.COMPANY_FLAGGED),
        flags=(*result.flags, "company_flagged"),
    )


def _with_watchlist_alert(result: DecisionResult, person: PersonRecord | None) -> DecisionResult:
    """An alert-only watchlist hit raises its alarm whatever the decision was."""
    if person is None or person.watchlist is not WatchlistAction.ALERT:
        return result
    if AlarmKind.WATCHLIST in result.alarms:
        return result
    return replace(
        result,
        alarms=(*result.alarms, AlarmKind.WATCHLIST),
        flags=(*result.flags, "watchlist_alert"),
    )


def _check_watchlist_face(
    face: FaceEvidence | None, person: PersonRecord | None
) -> DecisionResult | None:
    # Before the credential: a watchlisted face holding somebody else's valid badge (or an
    # unknown one) is the case this check is for, and it must alarm either way.
    if face is None or face.watchlist_entry_id is None:
        return None
    if person is not None and face.watchlist_entry_id in own_watchlist_entries(person):
        # The holder's own face under their own ban or flag: the person check names it
        # (port_ban with its legal reference), which says more than the gallery's hit.
        return None
    return _deny(
        ReasonCode.WATCHLIST,
        f"face matches watchlist entry {face.watchlist_entry_id}",
        alarms=(AlarmKind.WATCHLIST,),
    )


def _check_offline(gate: GatePolicy, context: DecisionContext) -> DecisionResult | None:
    if context.decided_by is not DecidedBy.REPLICA:
        return None
    if gate.offline_policy is OfflinePolicy.DENY:
        return _deny(ReasonCode.GATE_OFFLINE_POLICY)
    if context.replica_age_s is None or context.replica_age_s > gate.replica_max_age_s:
        return _deny(ReasonCode.REPLICA_TOO_OLD)
    return None


def _check_validity(
    valid_from: datetime | None, valid_until: datetime | None, now: datetime, what: str
) -> DecisionResult | None:
    if valid_from is not None and now < valid_from:
        return _deny(
            ReasonCode.CREDENTIAL_NOT_YET_VALID, f"{what} valid from {valid_from:%Y-%m-%d %H:%M}"
        )
    if valid_until is not None and now >= valid_until:
        return _deny(ReasonCode.CREDENTIAL_EXPIRED, f"{what} expired {valid_until:%Y-%m-%d %H:%M}")
    return None


def _check_credential(request: DecisionRequest, now: datetime) -> DecisionResult | None:
    if request.pass_rejection is not None:
        reason = PASS_REJECTION_REASONS.get(request.pass_rejection, ReasonCode.PASS_INVALID)
        return _deny(reason, request.pass_rejection.replace("_", " "))
    # Face-only 1:N is a per-gate opt-in: elsewhere a face alone is no credential, whoever
    # it is (so this comes before the person is even looked at).
    if request.credential_kind is CredentialKind.FACE and not request.gate.face_identification:
        return _deny(ReasonCode.FACE_IDENTIFICATION_OFF)
    if request.person is None:
        return _deny(ReasonCode.UNKNOWN_CREDENTIAL)
    credential = request.credential
    if request.credential_kind is CredentialKind.FACE:
        return None
    if credential is None:
        return _deny(ReasonCode.UNKNOWN_CREDENTIAL)
    if credential.person_id != request.person.person_id:
        return _deny(ReasonCode.UNKNOWN_CREDENTIAL, "credential is bound to another person")
    if credential.revoked:
        return _deny(ReasonCode.REVOKED, "credential revoked")
    return _check_validity(credential.valid_from, credential.valid_until, now, "credential")


def _face_required(request: DecisionRequest, context: DecisionContext) -> bool:
    gate = request.gate
    return (
        gate.face_required
        or context.threat_level >= gate.face_required_from_threat
        or request.credential_kind is CredentialKind.FACE
        # A flagged company's people get the secondary check at every gate.
        or _company_status(request.person) is CompanyStatus.FLAGGED
    )


def face_threshold(gate: GatePolicy, credential_kind: CredentialKind) -> float:
    """The distance threshold a face is judged at: 1:N (a face alone) uses the stricter one."""
    if credential_kind is CredentialKind.FACE:
        return gate.identify_threshold
    return gate.verify_threshold


def _check_face(request: DecisionRequest, context: DecisionContext) -> DecisionResult | None:
    face = request.face
    required = _face_required(request, context)
    if face is None or not face.seen:
        return _deny(ReasonCode.FACE_NOT_SEEN) if required else None
    if (required and request.gate.liveness_required and face.liveness_passed is None) or (
        face.liveness_passed is False
    ):
        return _deny(ReasonCode.LIVENESS_FAILED, alarms=(AlarmKind.LIVENESS,))
    threshold = face_threshold(request.gate, request.credential_kind)
    if face.distance is None or face.distance > threshold:
        return _deny(ReasonCode.FACE_MISMATCH)
    return None


def _check_person(request: DecisionRequest, context: DecisionContext) -> DecisionResult | None:
    person = request.person
    assert person is not None  # noqa: S101 (checked by _check_credential)
    # A port ban comes first: it is port-wide and outranks anything a terminal decided.
    banned = next((ban for ban in person.port_bans if ban.in_effect(context.now)), None)
    if banned is not None:
        return _deny(ReasonCode.PORT_BAN, banned.legal_reference, alarms=(AlarmKind.PORT_BAN,))
    if person.watchlist is WatchlistAction.DENY:
        return _deny(ReasonCode.WATCHLIST, alarms=(AlarmKind.WATCHLIST,))
    if person.status is PersonStatus.REVOKED:
        return _deny(ReasonCode.REVOKED, "person revoked")
    if person.status is PersonStatus.SUSPENDED:
        return _deny(ReasonCode.PERSON_SUSPENDED)
    if person.company is not None and person.company.status is CompanyStatus.SUSPENDED:
        return _deny(ReasonCode.COMPANY_SUSPENDED, person.company.name)
    invalid = _check_validity(person.valid_from, person.valid_until, context.now, "person")
    if invalid is not None:
        return invalid
    allowed = request.gate.threat_kinds.get(context.threat_level)
    if allowed is not None and person.kind not in allowed:
        return _deny(
            ReasonCode.THREAT_LEVEL, f"level {context.threat_level} excludes {person.kind}"
        )
    return None


def _check_access(request: DecisionRequest, now: datetime) -> DecisionResult | None:
    return (
        _check_zone_or_appointment(request, now)
        or _check_competencies(request, now)
        or _check_escort(request, now)
        or _check_anti_passback(request, now)
    )


def _check_zone_or_appointment(request: DecisionRequest, now: datetime) -> DecisionResult | None:
    appointment = request.appointment
    if appointment is not None:
        if request.person is None or appointment.person_id != request.person.person_id:
            return _deny(ReasonCode.UNKNOWN_CREDENTIAL, "pass belongs to another person")
        if request.gate.gate_id not in appointment.gates:
            return _deny(ReasonCode.OUTSIDE_APPOINTMENT_WINDOW, "appointment is for other gates")
        if not appointment.window_start <= now < appointment.window_end:
            return _deny(
                ReasonCode.OUTSIDE_APPOINTMENT_WINDOW,
                f"window {appointment.window_start:%H:%M}-{appointment.window_end:%H:%M}",
            )
        if appointment.one_time and appointment.used:
            return _deny(ReasonCode.PASS_ALREADY_USED)
        return None
    person = request.person
    assert person is not None  # noqa: S101
    zone_grants = [grant for grant in person.grants if grant.zone_id == request.zone.zone_id]
    if not zone_grants:
        return _deny(ReasonCode.ZONE_NOT_ALLOWED)
    if not any(grant.schedule is None or grant.schedule.allows(now) for grant in zone_grants):
        return _deny(ReasonCode.OUTSIDE_SCHEDULE)
    return None


def _check_competencies(request: DecisionRequest, now: datetime) -> DecisionResult | None:
    person = request.person
    assert person is not None  # noqa: S101
    held = {competency.name: competency.valid_until for competency in person.competencies}
    missing = []
    for name in request.zone.required_competencies:
        if name not in held:
            missing.append(f"{name} missing")
        elif (until := held[name]) is not None and now >= until:
            missing.append(f"{name} expired {until:%Y-%m-%d}")
    if missing:
        return _deny(ReasonCode.COMPETENCY_EXPIRED, ", ".join(missing))
    return None


def _check_escort(request: DecisionRequest, now: datetime) -> DecisionResult | None:
    """Host first, then visitor: the host's grant at this lane at most the window before."""
    person = request.person
    host = person.escort_host_id if person is not None else None
    if host is None:
        return None
    window = request.gate.escort_window_s
    for seen in request.recent_presentations:
        if (
            seen.person_id == host
            and seen.lane == request.lane
            and 0 <= (now - seen.at).total_seconds() <= window
        ):
            return None
    return _deny(
        ReasonCode.ESCORT_REQUIRED,
        f"host {host} must present at lane {request.lane} within {window} s before",
    )


def _check_anti_passback(request: DecisionRequest, now: datetime) -> DecisionResult | None:
    mode, last = request.zone.anti_passback, request.last_passage
    if mode is AntiPassback.NONE or last is None or last.direction is not request.direction:
        return None
    if mode is AntiPassback.HARD:
        return _deny(
            ReasonCode.ANTI_PASSBACK, f"already passed {last.direction} at {last.at:%H:%M}"
        )
    if mode is AntiPassback.TIMED and (now - last.at).total_seconds() < request.zone.apb_timeout_s:
        return _deny(
            ReasonCode.ANTI_PASSBACK, f"same direction within {request.zone.apb_timeout_s} s"
        )
    return None


def _grant(request: DecisionRequest) -> DecisionResult:
    flags: list[str] = []
    last = request.last_passage
    if (
        request.zone.anti_passback is AntiPassback.SOFT
        and last is not None
        and last.direction is request.direction
    ):
        flags.append(SOFT_ANTI_PASSBACK)
    appointment = request.appointment
    consume = (
        appointment.appointment_id if appointment is not None and appointment.one_time else None
    )
    return DecisionResult(
        Decision.GRANTED,
        ReasonCode.GRANTED,
        consume_appointment_id=consume,
        flags=tuple(flags),
    )
