"""What a lane's screen says for each verdict and face-position hint (pure).

Every `ReasonCode` maps to one `Guidance`: a message and what to do next, both gettext
message ids of the ``lane`` domain, with their placeholders. Reasons that would reveal
that the person is watched, banned or suspended (or that their company is) all map to the
one neutral guidance: the screen is read by whoever stands in the lane and behind them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from gate_protocol.reasons import ReasonCode


def N_(message: str) -> str:  # noqa: N802 (the gettext convention extraction looks for)
    """Mark a text of the ``lane`` domain for extraction; the page translates it."""
    return message


__all__ = [
    "FaceHint",
    "Guidance",
    "LANE_TEXTS",
    "NEUTRAL",
    "face_hint_for",
    "face_hint_text",
    "guidance_for",
]


@dataclass(frozen=True, slots=True)
class Guidance:
    """A denial as the person reads it: what happened, what to do, and the texts' values."""

    message: str
    action: str
    params: dict[str, str] = field(default_factory=dict)


class FaceHint(StrEnum):
    """Why the camera cannot use the face yet (from `biometrics.quality`'s reasons)."""

    LOOK = "look"
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    TOO_SMALL = "too_small"
    BLURRED = "blurred"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    TURNED_AWAY = "turned_away"


_DESK = N_("Go to the security desk.")
_CALL = N_("Call the desk with the intercom.")
NEUTRAL = Guidance(N_("Please see the security desk."), _DESK)

_FIXED: dict[ReasonCode, Guidance] = {
    ReasonCode.UNKNOWN_CREDENTIAL: Guidance(N_("This badge or pass is not known here."), _DESK),
    ReasonCode.REVOKED: Guidance(N_("This badge or pass is no longer valid."), _DESK),
    ReasonCode.CREDENTIAL_EXPIRED: Guidance(N_("Your badge or pass has expired."), _DESK),
    ReasonCode.CREDENTIAL_NOT_YET_VALID: Guidance(
        N_("Your badge or pass is not valid yet."), _DESK
    ),
    ReasonCode.PASS_INVALID: Guidance(N_("This pass cannot be read as valid."), _DESK),
    ReasonCode.OUTSIDE_SCHEDULE: Guidance(N_("You have no access at this time."), _CALL),
    ReasonCode.ZONE_NOT_ALLOWED: Guidance(N_("You have no access through this gate."), _CALL),
    ReasonCode.COMPETENCY_EXPIRED: Guidance(
        N_("A required training is missing or has expired."), _DESK
    ),
    ReasonCode.ANTI_PASSBACK: Guidance(N_("Your last passage was in the same direction."), _CALL),
    ReasonCode.FACE_MISMATCH: Guidance(
        N_("Face not recognised."), N_("Try again once, then use the intercom.")
    ),
    # A spoof suspected: the person is told no more than for a face not recognised.
    ReasonCode.LIVENESS_FAILED: Guidance(
        N_("Face not recognised."), N_("Try again once, then use the intercom.")
    ),
    ReasonCode.FACE_NOT_SEEN: Guidance(
        N_("No face was seen."), N_("Look at the camera and present your badge again.")
    ),
    ReasonCode.PASS_ALREADY_USED: Guidance(N_("This pass has already been used."), _CALL),
    ReasonCode.OUTSIDE_APPOINTMENT_WINDOW: Guidance(
        N_("Your appointment is not for this gate or time."), _CALL
    ),
    ReasonCode.REPLICA_TOO_OLD: Guidance(
        N_("This gate cannot check you right now."), N_("Use the intercom.")
    ),
    ReasonCode.GATE_OFFLINE_POLICY: Guidance(
        N_("This gate cannot check you right now."), N_("Use the intercom.")
    ),
    ReasonCode.FACE_IDENTIFICATION_OFF: Guidance(
        N_("Entry by face alone is not possible here."), N_("Present your badge or pass.")
    ),
    ReasonCode.ESCORT_REQUIRED: Guidance(
        N_("Your host must pass this lane first."), N_("Wait for your host.")
    ),
    # These would tell the lane (and the queue behind) about the person: one neutral text.
    ReasonCode.WATCHLIST: NEUTRAL,
    ReasonCode.PORT_BAN: NEUTRAL,
    ReasonCode.PERSON_SUSPENDED: NEUTRAL,
    ReasonCode.COMPANY_SUSPENDED: NEUTRAL,
    ReasonCode.THREAT_LEVEL: NEUTRAL,
}
_OPENS_AT = Guidance(N_("Your appointment opens at {time}."), N_("Wait in the buffer lane."))
_TRAINING = Guidance(N_("Your {training} training is missing or has expired."), _DESK)
# The policy's detail for a competency: "ISPS expired 2026-01-01, First aid missing".
_COMPETENCY = re.compile(r"^(?P<name>.+?) (?:missing|expired \d{4}-\d{2}-\d{2})$")

_HINTS: dict[FaceHint, str] = {
    FaceHint.LOOK: N_("Look at the camera."),
    FaceHint.NO_FACE: N_("Look at the camera."),
    FaceHint.SEVERAL_FACES: N_("One person at a time, please."),
    FaceHint.TOO_SMALL: N_("Come closer to the camera."),
    FaceHint.BLURRED: N_("Hold still."),
    FaceHint.TOO_DARK: N_("Move into the light."),
    FaceHint.TOO_BRIGHT: N_("Step out of the glare."),
    FaceHint.TURNED_AWAY: N_("Look straight at the camera."),
}

# The one map from `biometrics.quality.QualityReason` (by its value: this room imports only
# gate_protocol) to the hint the screen shows; tests/gate_agent/display checks every reason.
_QUALITY_HINTS: dict[str, FaceHint] = {
    "no_face": FaceHint.NO_FACE,
    "several_faces": FaceHint.SEVERAL_FACES,
    "too_small": FaceHint.TOO_SMALL,
    "blurred": FaceHint.BLURRED,
    "too_dark": FaceHint.TOO_DARK,
    "too_bright": FaceHint.TOO_BRIGHT,
    "turned_away": FaceHint.TURNED_AWAY,
}

# The screen's own texts (headlines, the language picker, the error page).
LANE_TEXTS: dict[str, str] = {
    "idle": N_("Present your badge or pass"),
    "look": N_("Look at the camera"),
    "welcome": N_("Welcome"),
    "welcome_name": N_("Welcome, {name}"),
    "go": N_("Please go ahead."),
    "denied": N_("Not admitted"),
    "wait": N_("Please wait"),
    "language": N_("Language"),
    "unavailable": N_("This display is not available."),
}


def guidance_for(
    reason: ReasonCode,
    detail: str | None = None,
    *,
    opens_at: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> Guidance | None:
    """The guidance a denial with `reason` shows (None: a grant shows a welcome).

    Args:
        reason: The verdict's reason.
        detail: The verdict's detail; read only for the names of missing trainings
            (competencies are the zone's requirements, not a secret of the person).
        opens_at: When the person's appointment window opens, if it has not yet.
        zone: The site's time zone the opening time is shown in (default UTC).
    """
    if reason is ReasonCode.GRANTED:
        return None
    if reason is ReasonCode.OUTSIDE_APPOINTMENT_WINDOW and opens_at is not None:
        local = opens_at.astimezone(zone or ZoneInfo("UTC"))
        return Guidance(_OPENS_AT.message, _OPENS_AT.action, {"time": f"{local:%H:%M}"})
    if reason is ReasonCode.COMPETENCY_EXPIRED and detail:
        names = [m.group("name") for p in detail.split(", ") if (m := _COMPETENCY.match(p))]
        if names:
            return Guidance(_TRAINING.message, _TRAINING.action, {"training": ", ".join(names)})
    return _FIXED[reason]


def face_hint_text(hint: FaceHint) -> str:
    """The message id of a face-position hint."""
    return _HINTS[hint]


def face_hint_for(reason: str | None) -> FaceHint:
    """The hint for a face-quality reason of the face step (None, or one unknown: LOOK)."""
    return FaceHint.LOOK if reason is None else _QUALITY_HINTS.get(reason, FaceHint.LOOK)
