"""Decision reason codes and the words an operator reads for each of them."""

from enum import StrEnum

from gate_protocol.i18n import DEFAULT_LOCALE, N_, translator

__all__ = ["ReasonCode", "describe_reason"]


class ReasonCode(StrEnum):
    """Why a gate granted or denied a passage; every denial has exactly one."""

    GRANTED = "granted"
    UNKNOWN_CREDENTIAL = "unknown_credential"
    REVOKED = "revoked"
    PERSON_SUSPENDED = "person_suspended"
    CREDENTIAL_EXPIRED = "credential_expired"
    CREDENTIAL_NOT_YET_VALID = "credential_not_yet_valid"
    PASS_INVALID = "pass_invalid"  # noqa: S105 (a reason code, not a password)
    OUTSIDE_SCHEDULE = "outside_schedule"
    ZONE_NOT_ALLOWED = "zone_not_allowed"
    COMPETENCY_EXPIRED = "competency_expired"
    ANTI_PASSBACK = "anti_passback"
    FACE_MISMATCH = "face_mismatch"
    FACE_NOT_SEEN = "face_not_seen"
    LIVENESS_FAILED = "liveness_failed"
    WATCHLIST = "watchlist"
    PASS_ALREADY_USED = "pass_already_used"  # noqa: S105 (a reason code, not a password)
    OUTSIDE_APPOINTMENT_WINDOW = "outside_appointment_window"
    THREAT_LEVEL = "threat_level"
    REPLICA_TOO_OLD = "replica_too_old"
    GATE_OFFLINE_POLICY = "gate_offline_policy"
    FACE_IDENTIFICATION_OFF = "face_identification_off"
    ESCORT_REQUIRED = "escort_required"
    COMPANY_SUSPENDED = "company_suspended"
    PORT_BAN = "port_ban"


_MESSAGES: dict[ReasonCode, str] = {
    ReasonCode.GRANTED: N_("Access granted."),
    ReasonCode.UNKNOWN_CREDENTIAL: N_("Badge or pass is not known to PortGate."),
    ReasonCode.REVOKED: N_("Badge, pass or person has been revoked."),
    ReasonCode.PERSON_SUSPENDED: N_("Person is suspended."),
    ReasonCode.CREDENTIAL_EXPIRED: N_("Badge, pass or person validity has expired."),
    ReasonCode.CREDENTIAL_NOT_YET_VALID: N_("Badge, pass or person is not valid yet."),
    ReasonCode.PASS_INVALID: N_("QR pass is forged, damaged or signed by an unknown key."),
    ReasonCode.OUTSIDE_SCHEDULE: N_("Outside the person's access schedule."),
    ReasonCode.ZONE_NOT_ALLOWED: N_("Person has no access to this gate's zone."),
    ReasonCode.COMPETENCY_EXPIRED: N_("A required competency is missing or expired"),
    ReasonCode.ANTI_PASSBACK: N_("Anti-passback: the last passage was in the same direction."),
    ReasonCode.FACE_MISMATCH: N_("Face does not match the enrolled person."),
    ReasonCode.FACE_NOT_SEEN: N_("No usable face was seen at the gate."),
    ReasonCode.LIVENESS_FAILED: N_("Liveness check failed (photo, screen or mask suspected)."),
    ReasonCode.WATCHLIST: N_("Person is on a watchlist: call the guard."),
    ReasonCode.PASS_ALREADY_USED: N_("One-time pass has already been used."),
    ReasonCode.OUTSIDE_APPOINTMENT_WINDOW: N_(
        "Outside the truck appointment's time window or gates."
    ),
    ReasonCode.THREAT_LEVEL: N_("Not allowed at the site's current threat level."),
    ReasonCode.REPLICA_TOO_OLD: N_("Gate is offline and its local data is too old to decide."),
    ReasonCode.GATE_OFFLINE_POLICY: N_("Gate is offline and its policy denies when offline."),
    ReasonCode.FACE_IDENTIFICATION_OFF: N_(
        "Face-only entry is not enabled at this gate: present a badge or pass."
    ),
    ReasonCode.ESCORT_REQUIRED: N_(
        "Visitor must be escorted: the host presents their badge at this lane first."
    ),
    ReasonCode.COMPANY_SUSPENDED: N_("The person's company is suspended."),
    ReasonCode.PORT_BAN: N_(
        "Person is banned from the port by the port authority: call the guard."
    ),
}


def describe_reason(
    code: ReasonCode, detail: str | None = None, *, locale: str = DEFAULT_LOCALE
) -> str:
    """Return the operator-facing sentence for `code` in `locale`, with `detail` appended.

    `detail` (e.g. which competency) is data, never translated.
    """
    _ = translator(locale)
    text = _(_MESSAGES[code])
    if detail:  # French sets its colon apart: the joint is a message too
        return _("{reason}: {detail}.", reason=text.rstrip("."), detail=detail)
    return text if text.endswith(".") else text + "."
