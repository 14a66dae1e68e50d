from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.policy import (
    DecisionContext,
    DecisionRequest,
    DecisionResult,
    FaceEvidence,
    decide,
)
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.records import (
    AccessGrant,
    AntiPassback,
    AppointmentRecord,
    CompanyStanding,
    CompanyStatus,
    CompetencyHeld,
    CredentialRecord,
    GatePolicy,
    HostPresentation,
    LastPassage,
    OfflinePolicy,
    PersonKind,
    PersonRecord,
    PersonStatus,
    PortBanRecord,
    WatchlistAction,
    ZoneRules,
    ban_entry_id,
    flagged_entry_id,
)
from gate_protocol.schedule import Schedule, WeeklyWindow

# Monday 2026-11-23, 09:00 UTC
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GATE = GatePolicy(gate_id="g1", zone_id="quay")
ZONE = ZoneRules(zone_id="quay", required_competencies=("ISPS",))
OFFICE_HOURS = Schedule(
    schedule_id="office",
    timezone="Europe/Amsterdam",
    windows=(WeeklyWindow(weekdays=frozenset(range(5)), start=time(7), end=time(18)),),
)
PERSON = PersonRecord(
    person_id="p1",
    kind=PersonKind.STAFF,
    grants=(AccessGrant(zone_id="quay", schedule=OFFICE_HOURS),),
    competencies=(CompetencyHeld(name="ISPS", valid_until=NOW + timedelta(days=30)),),
)
BADGE = CredentialRecord(kind=CredentialKind.BADGE, ref="00A1B2", person_id="p1")
GOOD_FACE = FaceEvidence(seen=True, distance=0.3, liveness_passed=True, liveness_score=0.95)
BASE = DecisionRequest(
    gate=GATE,
    zone=ZONE,
    direction=Direction.ENTRY,
    credential_kind=CredentialKind.BADGE,
    credential=BADGE,
    person=PERSON,
    face=GOOD_FACE,
)
CENTRAL = DecisionContext(now=NOW)
BAN = PortBanRecord(
    ban_id="ban-1", legal_reference="PA-2026/17", valid_from=NOW - timedelta(days=1)
)
BANNED = replace(BASE, person=PERSON.model_copy(update={"port_bans": (BAN,)}))


def run(request: DecisionRequest = BASE, context: DecisionContext = CENTRAL) -> DecisionResult:
    return decide(request, context)


def test_a_valid_staff_member_is_granted() -> None:
    result = run()
    assert result.granted
    assert result.decision is Decision.GRANTED
    assert result.reason is ReasonCode.GRANTED
    assert result.alarms == ()


PASS = CredentialRecord(kind=CredentialKind.QR_PASS, ref="PASS1", person_id="d1")
DRIVER = PersonRecord(person_id="d1", kind=PersonKind.DRIVER, competencies=PERSON.competencies)
APPOINTMENT = AppointmentRecord(
    appointment_id="ap1",
    person_id="d1",
    pass_id="PASS1",
    gates=frozenset({"g1"}),
    window_start=NOW - timedelta(hours=1),
    window_end=NOW + timedelta(hours=1),
    plate="AB-123-C",
)
DRIVER_AT_GATE = replace(
    BASE,
    credential_kind=CredentialKind.QR_PASS,
    credential=PASS,
    person=DRIVER,
    appointment=APPOINTMENT,
)

# One request (and context) per reason code: proves every code is reachable through decide().
CASES: dict[ReasonCode, tuple[DecisionRequest, DecisionContext]] = {
    ReasonCode.GRANTED: (BASE, CENTRAL),
    ReasonCode.UNKNOWN_CREDENTIAL: (replace(BASE, credential=None, person=None), CENTRAL),
    ReasonCode.REVOKED: (
        replace(BASE, credential=BADGE.model_copy(update={"revoked": True})),
        CENTRAL,
    ),
    ReasonCode.PERSON_SUSPENDED: (
        replace(BASE, person=PERSON.model_copy(update={"status": PersonStatus.SUSPENDED})),
        CENTRAL,
    ),
    ReasonCode.COMPANY_SUSPENDED: (
        replace(
            BASE,
            person=PERSON.model_copy(
                update={"company": CompanyStanding(name="Acme", status=CompanyStatus.SUSPENDED)}
            ),
        ),
        CENTRAL,
    ),
    ReasonCode.CREDENTIAL_EXPIRED: (
        replace(BASE, credential=BADGE.model_copy(update={"valid_until": NOW})),
        CENTRAL,
    ),
    ReasonCode.CREDENTIAL_NOT_YET_VALID: (
        replace(BASE, person=PERSON.model_copy(update={"valid_from": NOW + timedelta(days=1)})),
        CENTRAL,
    ),
    ReasonCode.PASS_INVALID: (replace(DRIVER_AT_GATE, pass_rejection="bad_signature"), CENTRAL),
    ReasonCode.OUTSIDE_SCHEDULE: (BASE, replace(CENTRAL, now=NOW.replace(hour=22))),
    ReasonCode.ZONE_NOT_ALLOWED: (
        replace(BASE, zone=ZONE.model_copy(update={"zone_id": "yard"})),
        CENTRAL,
    ),
    ReasonCode.COMPETENCY_EXPIRED: (BASE, replace(CENTRAL, now=NOW + timedelta(days=31))),
    ReasonCode.ANTI_PASSBACK: (
        replace(
            BASE,
            zone=ZONE.model_copy(update={"anti_passback": AntiPassback.HARD}),
            last_passage=LastPassage(direction=Direction.ENTRY, at=NOW - timedelta(hours=2)),
        ),
        CENTRAL,
    ),
    ReasonCode.FACE_MISMATCH: (replace(BASE, face=replace(GOOD_FACE, distance=0.7)), CENTRAL),
    ReasonCode.FACE_NOT_SEEN: (replace(BASE, face=FaceEvidence(seen=False)), CENTRAL),
    ReasonCode.LIVENESS_FAILED: (
        replace(BASE, face=replace(GOOD_FACE, liveness_passed=False)),
        CENTRAL,
    ),
    ReasonCode.WATCHLIST: (
        replace(BASE, person=PERSON.model_copy(update={"watchlist": WatchlistAction.DENY})),
        CENTRAL,
    ),
    ReasonCode.PASS_ALREADY_USED: (
        replace(DRIVER_AT_GATE, appointment=APPOINTMENT.model_copy(update={"used": True})),
        CENTRAL,
    ),
    ReasonCode.OUTSIDE_APPOINTMENT_WINDOW: (
        DRIVER_AT_GATE,
        replace(CENTRAL, now=NOW + timedelta(hours=2)),
    ),
    ReasonCode.THREAT_LEVEL: (DRIVER_AT_GATE, replace(CENTRAL, threat_level=3)),
    ReasonCode.REPLICA_TOO_OLD: (
        BASE,
        replace(CENTRAL, decided_by=DecidedBy.REPLICA, replica_age_s=GATE.replica_max_age_s + 1),
    ),
    ReasonCode.GATE_OFFLINE_POLICY: (
        replace(BASE, gate=GATE.model_copy(update={"offline_policy": OfflinePolicy.DENY})),
        replace(CENTRAL, decided_by=DecidedBy.REPLICA, replica_age_s=1),
    ),
    ReasonCode.FACE_IDENTIFICATION_OFF: (
        replace(BASE, credential_kind=CredentialKind.FACE, credential=None),
        CENTRAL,
    ),
    ReasonCode.ESCORT_REQUIRED: (
        replace(BASE, person=PERSON.model_copy(update={"escort_host_id": "h1"})),
        CENTRAL,
    ),
    ReasonCode.PORT_BAN: (BANNED, CENTRAL),
}


def test_the_cases_cover_every_reason_code() -> None:
    assert set(CASES) == set(ReasonCode)


@pytest.mark.parametrize("reason", list(ReasonCode))
def test_every_reason_code_is_reachable(reason: ReasonCode) -> None:
    request, context = CASES[reason]
    result = decide(request, context)
    assert result.reason is reason
    assert result.granted == (reason is ReasonCode.GRANTED)
    assert describe_reason(result.reason, result.detail)


def test_a_driver_with_a_valid_appointment_is_granted_and_consumes_the_pass() -> None:
    result = run(DRIVER_AT_GATE)
    assert result.granted
    assert result.consume_appointment_id == "ap1"


def test_appointment_for_other_gates_is_refused() -> None:
    other = APPOINTMENT.model_copy(update={"gates": frozenset({"g7"})})
    result = run(replace(DRIVER_AT_GATE, appointment=other))
    assert result.reason is ReasonCode.OUTSIDE_APPOINTMENT_WINDOW


def test_a_pass_held_by_someone_else_is_unknown() -> None:
    result = run(replace(DRIVER_AT_GATE, person=PERSON))
    assert result.reason is ReasonCode.UNKNOWN_CREDENTIAL


@pytest.mark.parametrize(
    ("rejection", "reason"),
    [
        ("expired", ReasonCode.CREDENTIAL_EXPIRED),
        ("not_yet_valid", ReasonCode.CREDENTIAL_NOT_YET_VALID),
        ("wrong_gate", ReasonCode.OUTSIDE_APPOINTMENT_WINDOW),
        ("unknown_key", ReasonCode.PASS_INVALID),
        ("something new", ReasonCode.PASS_INVALID),
    ],
)
def test_pass_rejections_map_to_reasons(rejection: str, reason: ReasonCode) -> None:
    assert run(replace(DRIVER_AT_GATE, pass_rejection=rejection)).reason is reason


def test_revoked_person_is_refused_even_with_a_good_badge() -> None:
    revoked = PERSON.model_copy(update={"status": PersonStatus.REVOKED})
    assert run(replace(BASE, person=revoked)).reason is ReasonCode.REVOKED


def test_badge_bound_to_another_person_is_unknown() -> None:
    other = BADGE.model_copy(update={"person_id": "p2"})
    assert run(replace(BASE, credential=other)).reason is ReasonCode.UNKNOWN_CREDENTIAL


def test_missing_competency_is_named() -> None:
    zone = ZONE.model_copy(update={"required_competencies": ("ISPS", "Site induction")})
    result = run(replace(BASE, zone=zone))
    assert result.reason is ReasonCode.COMPETENCY_EXPIRED
    assert result.detail == "Site induction missing"
    later = run(replace(BASE, zone=zone), replace(CENTRAL, now=NOW + timedelta(weeks=6)))
    assert later.detail is not None and "ISPS expired" in later.detail


def test_face_not_required_lets_a_badge_alone_pass_at_threat_level_one() -> None:
    gate = GATE.model_copy(update={"face_required": False})
    assert run(replace(BASE, gate=gate, face=None)).granted
    # ...but threat level 2 requires a face at every gate by default.
    at_two = run(replace(BASE, gate=gate, face=None), replace(CENTRAL, threat_level=2))
    assert at_two.reason is ReasonCode.FACE_NOT_SEEN


def test_a_seen_face_that_mismatches_denies_even_when_not_required() -> None:
    gate = GATE.model_copy(update={"face_required": False})
    result = run(replace(BASE, gate=gate, face=replace(GOOD_FACE, distance=0.9)))
    assert result.reason is ReasonCode.FACE_MISMATCH


def test_liveness_not_run_denies_when_required() -> None:
    result = run(replace(BASE, face=replace(GOOD_FACE, liveness_passed=None)))
    assert result.reason is ReasonCode.LIVENESS_FAILED
    assert result.alarms == (AlarmKind.LIVENESS,)


def test_face_threshold_is_inclusive_and_per_gate() -> None:
    at_threshold = replace(GOOD_FACE, distance=GATE.verify_threshold)
    assert run(replace(BASE, face=at_threshold)).granted
    strict = GATE.model_copy(update={"verify_threshold": 0.2})
    assert run(replace(BASE, gate=strict)).reason is ReasonCode.FACE_MISMATCH


FACE_GATE = GATE.model_copy(update={"face_identification": True})


def test_face_only_identification_uses_the_stricter_threshold() -> None:
    request = replace(BASE, gate=FACE_GATE, credential_kind=CredentialKind.FACE, credential=None)
    between = (GATE.identify_threshold + GATE.verify_threshold) / 2
    assert GATE.identify_threshold < GATE.verify_threshold
    assert run(replace(request, face=replace(GOOD_FACE, distance=between))).reason is (
        ReasonCode.FACE_MISMATCH
    )
    assert run(replace(request, face=replace(GOOD_FACE, distance=0.1))).granted
    assert run(replace(request, face=None)).reason is ReasonCode.FACE_NOT_SEEN


@pytest.mark.parametrize("decided_by", [DecidedBy.CENTRAL, DecidedBy.REPLICA])
def test_a_face_alone_is_refused_where_the_gate_does_not_allow_it(decided_by: DecidedBy) -> None:
    request = replace(BASE, credential_kind=CredentialKind.FACE, credential=None)
    context = replace(CENTRAL, decided_by=decided_by, replica_age_s=60)
    assert decide(replace(request, gate=FACE_GATE), context).granted
    refused = decide(request, context)
    assert refused.reason is ReasonCode.FACE_IDENTIFICATION_OFF
    # Whoever the face is: an unidentified one gets the same answer, not unknown_credential.
    assert decide(replace(request, person=None), context).reason is (
        ReasonCode.FACE_IDENTIFICATION_OFF
    )
    # A badge at the same gate is untouched by the option.
    assert decide(BASE, context).granted


def test_watchlist_alert_grants_but_raises_an_alarm() -> None:
    person = PERSON.model_copy(update={"watchlist": WatchlistAction.ALERT})
    result = run(replace(BASE, person=person))
    assert result.granted
    assert result.alarms == (AlarmKind.WATCHLIST,)
    denied = run(replace(BASE, person=person), replace(CENTRAL, now=NOW.replace(hour=23)))
    assert denied.reason is ReasonCode.OUTSIDE_SCHEDULE
    assert AlarmKind.WATCHLIST in denied.alarms


def test_watchlist_deny_raises_its_alarm() -> None:
    person = PERSON.model_copy(update={"watchlist": WatchlistAction.DENY})
    assert run(replace(BASE, person=person)).alarms == (AlarmKind.WATCHLIST,)


def test_a_port_ban_denies_with_its_legal_reference_and_an_alarm_online_and_offline() -> None:
    offline = replace(CENTRAL, decided_by=DecidedBy.REPLICA, replica_age_s=1)
    for context in (CENTRAL, offline):
        result = decide(BANNED, context)
        assert result.reason is ReasonCode.PORT_BAN
        assert result.detail == "PA-2026/17"
        assert result.alarms == (AlarmKind.PORT_BAN,)
        assert "PA-2026/17" in describe_reason(result.reason, result.detail)


def test_a_port_ban_outranks_a_watchlist_deny() -> None:
    person = PERSON.model_copy(update={"watchlist": WatchlistAction.DENY, "port_bans": (BAN,)})
    assert run(replace(BANNED, person=person)).reason is ReasonCode.PORT_BAN


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(timedelta(hours=1), None), (-timedelta(days=2), -timedelta(hours=1))],
    ids=["not-yet", "ended"],
)
def test_a_port_ban_outside_its_window_does_not_deny(
    starts: timedelta, ends: timedelta | None
) -> None:
    ban = BAN.model_copy(
        update={"valid_from": NOW + starts, "valid_until": None if ends is None else NOW + ends}
    )
    result = run(replace(BASE, person=PERSON.model_copy(update={"port_bans": (ban,)})))
    assert result.granted


def test_a_watchlist_face_is_denied_with_a_valid_badge_of_someone_else() -> None:
    # The badge is valid and its holder may pass: only the face on the watchlist denies.
    assert run(BASE).granted
    hit = replace(GOOD_FACE, distance=0.9, watchlist_entry_id="poi:7")
    for request in (replace(BASE, face=hit), replace(BASE, face=hit, credential=None)):
        result = run(request)
        assert result.reason is ReasonCode.WATCHLIST
        assert result.alarms == (AlarmKind.WATCHLIST,)
        assert result.detail == "face matches watchlist entry poi:7"
    # The replica decides the same way (its offline checks pass first).
    offline = DecisionContext(now=NOW, decided_by=DecidedBy.REPLICA, replica_age_s=10)
    assert run(replace(BASE, face=hit), offline).reason is ReasonCode.WATCHLIST


@pytest.mark.parametrize(
    ("mode", "minutes_ago", "direction", "granted", "flag"),
    [
        (AntiPassback.HARD, 600, Direction.ENTRY, False, None),
        (AntiPassback.HARD, 1, Direction.EXIT, True, None),
        (AntiPassback.SOFT, 1, Direction.ENTRY, True, "soft_anti_passback"),
        (AntiPassback.TIMED, 5, Direction.ENTRY, False, None),
        (AntiPassback.TIMED, 15, Direction.ENTRY, True, None),
        (AntiPassback.NONE, 1, Direction.ENTRY, True, None),
    ],
)
def test_anti_passback_modes(
    mode: AntiPassback, minutes_ago: int, direction: Direction, granted: bool, flag: str | None
) -> None:
    zone = ZONE.model_copy(update={"anti_passback": mode, "apb_timeout_s": 600})
    last = LastPassage(direction=Direction.ENTRY, at=NOW - timedelta(minutes=minutes_ago))
    result = run(replace(BASE, zone=zone, last_passage=last, direction=direction))
    assert result.granted is granted
    if not granted:
        assert result.reason is ReasonCode.ANTI_PASSBACK
    if flag:
        assert flag in result.flags


def test_replica_decides_like_central_when_fresh() -> None:
    replica = replace(CENTRAL, decided_by=DecidedBy.REPLICA, replica_age_s=60)
    for reason, (request, context) in CASES.items():
        if reason in (ReasonCode.REPLICA_TOO_OLD, ReasonCode.GATE_OFFLINE_POLICY):
            continue
        offline = replace(context, decided_by=DecidedBy.REPLICA, replica_age_s=60)
        assert decide(request, offline).reason is decide(request, context).reason
    assert run(BASE, replica).granted


def test_replica_without_known_age_is_too_old() -> None:
    context = replace(CENTRAL, decided_by=DecidedBy.REPLICA, replica_age_s=None)
    assert run(BASE, context).reason is ReasonCode.REPLICA_TOO_OLD


def test_schedule_uses_local_time_overnight_windows_and_holidays() -> None:
    night = Schedule(
        schedule_id="night",
        timezone="Europe/Amsterdam",
        windows=(WeeklyWindow(weekdays=frozenset({4}), start=time(22), end=time(6)),),
        holidays=frozenset({date(2026, 12, 25)}),
    )
    friday_2330_local = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)
    saturday_0500_local = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    saturday_0700_local = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert night.allows(friday_2330_local)
    assert night.allows(saturday_0500_local)
    assert not night.allows(saturday_0700_local)
    christmas_friday = datetime(2026, 12, 25, 22, 0, tzinfo=UTC)
    assert not night.allows(christmas_friday)
    assert night.model_copy(update={"holidays_allowed": True}).allows(christmas_friday)


def test_schedule_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Schedule(schedule_id="s", timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="weekdays"):
        WeeklyWindow(weekdays=frozenset({7}), start=time(8), end=time(9))


def test_decide_is_deterministic_and_pure() -> None:
    assert run() == run()


VISITOR = PERSON.model_copy(update={"kind": PersonKind.VISITOR, "escort_host_id": "h1"})
ESCORTED = replace(BASE, person=VISITOR, lane=2)


def _host_at(lane: int, seconds_ago: float, person_id: str = "h1") -> HostPresentation:
    return HostPresentation(person_id=person_id, lane=lane, at=NOW - timedelta(seconds=seconds_ago))


def test_an_escorted_visitor_alone_is_denied() -> None:
    result = run(ESCORTED)
    assert result.reason is ReasonCode.ESCORT_REQUIRED
    assert result.detail == "host h1 must present at lane 2 within 60 s before"


@pytest.mark.parametrize(
    ("seen", "granted"),
    [
        ((_host_at(2, 10),), True),
        ((_host_at(2, 60),), True),
        ((_host_at(2, 61),), False),  # too long before
        ((_host_at(3, 10),), False),  # another lane
        ((_host_at(2, 10, "someone"),), False),  # somebody else's badge
        ((_host_at(2, -5),), False),  # after the visitor: host first is the rule
        ((_host_at(3, 1), _host_at(2, 30)), True),
    ],
)
def test_an_escorted_visitor_follows_the_host_at_the_same_lane_within_the_window(
    seen: tuple[HostPresentation, ...], granted: bool
) -> None:
    result = run(replace(ESCORTED, recent_presentations=seen))
    assert result.granted is granted
    if not granted:
        assert result.reason is ReasonCode.ESCORT_REQUIRED


def test_the_escort_window_is_the_gates() -> None:
    gate = GATE.model_copy(update={"escort_window_s": 120})
    assert run(replace(ESCORTED, gate=gate, recent_presentations=(_host_at(2, 90),))).granted


def test_the_escort_check_comes_after_zone_access() -> None:
    # A visitor without access to the zone is told so, not to wait for a host.
    zone = ZONE.model_copy(update={"zone_id": "yard"})
    assert run(replace(ESCORTED, zone=zone)).reason is ReasonCode.ZONE_NOT_ALLOWED


def test_the_holder_s_own_banned_face_is_named_by_the_ban_not_by_the_gallery() -> None:
    # The gallery holds the banned person's face as ban:<id>; holding their own badge they
    # are denied port_ban with the legal reference, someone else's ban face stays watchlist.
    own = replace(GOOD_FACE, distance=0.1, watchlist_entry_id=ban_entry_id(BAN.ban_id))
    result = run(replace(BANNED, face=own))
    assert (result.reason, result.detail) == (ReasonCode.PORT_BAN, BAN.legal_reference)
    other = replace(GOOD_FACE, distance=0.9, watchlist_entry_id=ban_entry_id("ban-other"))
    assert run(replace(BANNED, face=other)).reason is ReasonCode.WATCHLIST
    flagged = PERSON.model_copy(update={"watchlist": WatchlistAction.DENY})
    own_flag = replace(GOOD_FACE, watchlist_entry_id=flagged_entry_id(PERSON.person_id))
    result = run(replace(BASE, person=flagged, face=own_flag))
    assert (result.reason, result.alarms) == (ReasonCode.WATCHLIST, (AlarmKind.WATCHLIST,))
