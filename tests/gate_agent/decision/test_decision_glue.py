import time
from datetime import UTC, datetime, timedelta

from gate_agent.decision.presentation import Presentation
from gate_agent.decision.replica_policy import (
    build_query,
    build_request,
    face_required,
    holder_id,
    keyring_of,
    pass_rejection_verdict,
    replica_age_s,
    replica_verdict,
    verdict_from_answer,
)
from gate_protocol.api_models import DecisionAnswer
from gate_protocol.messages import CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.passes.keys import encode_public_key, generate_pass_key
from gate_protocol.passes.token import (
    PassClaims,
    PassRejected,
    PassSigner,
    PassVerified,
    verify_pass,
)
from gate_protocol.policy import FaceEvidence
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import AppointmentRecord, OfflinePolicy
from gate_protocol.replica import PassKeyRecord, ReplicaIndex
from testkit.agent.doubles import GOOD_BADGE, REVOKED_BADGE, make_snapshot

NOW = datetime.now(UTC)


def badge(number: str) -> Presentation:
    return Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=NOW,
        started=time.monotonic(),
        badge_number=number,
    )


def offline(number: str, **snapshot: object) -> tuple[Decision, ReasonCode, DecidedBy]:
    index = ReplicaIndex(make_snapshot(**snapshot))  # type: ignore[arg-type]
    verdict = replica_verdict(
        index=index, presentation=badge(number), face=None, now=NOW, last_sync_at=None
    )
    return verdict.decision, verdict.reason, verdict.decided_by


def test_replica_grants_a_good_badge_and_says_so() -> None:
    index = ReplicaIndex(make_snapshot())
    verdict = replica_verdict(
        index=index, presentation=badge(GOOD_BADGE), face=None, now=NOW, last_sync_at=None
    )
    assert verdict.granted and verdict.decided_by is DecidedBy.REPLICA
    assert verdict.person_id == "P1" and verdict.replica_version == 7


def test_replica_denies_revoked_and_unknown_badges() -> None:
    assert offline(REVOKED_BADGE)[:2] == (Decision.DENIED, ReasonCode.REVOKED)
    assert offline("ABCD")[:2] == (Decision.DENIED, ReasonCode.UNKNOWN_CREDENTIAL)


def test_offline_policy_deny_and_too_old_replica() -> None:
    assert offline(GOOD_BADGE, offline_policy=OfflinePolicy.DENY)[1] is (
        ReasonCode.GATE_OFFLINE_POLICY
    )
    old = NOW - timedelta(hours=2)
    assert offline(GOOD_BADGE, generated_at=old, max_age_s=3600)[1] is ReasonCode.REPLICA_TOO_OLD


def test_a_recent_sync_makes_an_old_snapshot_current() -> None:
    index = ReplicaIndex(make_snapshot(generated_at=NOW - timedelta(hours=2), max_age_s=3600))
    assert replica_age_s(index, now=NOW, last_sync_at=NOW - timedelta(seconds=30)) == 30
    verdict = replica_verdict(
        index=index,
        presentation=badge(GOOD_BADGE),
        face=None,
        now=NOW,
        last_sync_at=NOW - timedelta(seconds=30),
    )
    assert verdict.granted


def test_no_replica_denies() -> None:
    verdict = replica_verdict(
        index=None, presentation=badge(GOOD_BADGE), face=None, now=NOW, last_sync_at=None
    )
    assert verdict.reason is ReasonCode.REPLICA_TOO_OLD and not verdict.granted


def test_face_required_gate_denies_without_a_face_and_checks_the_distance() -> None:
    index = ReplicaIndex(make_snapshot(face_required=True))

    def with_face(face: FaceEvidence | None) -> ReasonCode:
        return replica_verdict(
            index=index, presentation=badge(GOOD_BADGE), face=face, now=NOW, last_sync_at=None
        ).reason

    assert face_required(index) and face_required(None)
    assert with_face(None) is ReasonCode.FACE_NOT_SEEN
    assert with_face(FaceEvidence(seen=True, distance=0.3, liveness_passed=False)) is (
        ReasonCode.LIVENESS_FAILED
    )
    assert with_face(FaceEvidence(seen=True, distance=0.9, liveness_passed=True)) is (
        ReasonCode.FACE_MISMATCH
    )
    assert with_face(FaceEvidence(seen=True, distance=0.3, liveness_passed=True)) is (
        ReasonCode.GRANTED
    )
    assert not face_required(ReplicaIndex(make_snapshot(face_required=False)))


def signed_pass(**claims: object) -> tuple[str, PassKeyRecord]:
    key_id, key = generate_pass_key()
    start = NOW.replace(second=0, microsecond=0) - timedelta(minutes=5)
    token = PassSigner(key, key_id).issue(
        PassClaims(
            pass_id="PASS1",
            holder_id="P1",
            gates=("G1",),
            issued_at=start,
            not_before=start,
            expires_at=start + timedelta(hours=2),
            **claims,  # type: ignore[arg-type]
        )
    )
    return token, PassKeyRecord(key_id=key_id, public_key_b64=encode_public_key(key.public_key()))


def pass_presentation(token: str, index: ReplicaIndex) -> Presentation:
    check = verify_pass(token, keyring=keyring_of(index), gate_id="g1", now=NOW)
    return Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.QR_PASS,
        occurred_at=NOW,
        started=time.monotonic(),
        pass_token=token,
        pass_check=check,
    )


def test_a_signed_truck_pass_is_decided_through_its_appointment() -> None:
    token, key = signed_pass(one_time=True)
    appointment = AppointmentRecord(
        appointment_id="A1",
        person_id="P1",
        pass_id="PASS1",
        gates=frozenset({"g1"}),
        window_start=NOW - timedelta(hours=1),
        window_end=NOW + timedelta(hours=1),
    )
    index = ReplicaIndex(
        make_snapshot().model_copy(update={"pass_keys": (key,), "appointments": (appointment,)})
    )
    presentation = pass_presentation(token, index)
    assert isinstance(presentation.pass_check, PassVerified)
    assert holder_id(index, presentation) == "P1"
    request = build_request(index=index, presentation=presentation, face=None)
    assert request.appointment == appointment and request.person is not None
    verdict = replica_verdict(
        index=index, presentation=presentation, face=None, now=NOW, last_sync_at=None
    )
    assert verdict.granted and verdict.person_id == "P1"
    assert verdict.consume_appointment_id == "A1"
    spent = replica_verdict(
        index=index,
        presentation=presentation,
        face=None,
        now=NOW,
        last_sync_at=None,
        used_appointments=frozenset({"A1"}),
    )
    assert spent.reason is ReasonCode.PASS_ALREADY_USED and not spent.granted
    query = build_query(presentation=presentation, face=None, request_id="r1")
    assert query.pass_token == token and query.badge_number is None


def test_pass_signed_by_an_unknown_key_is_rejected_offline() -> None:
    token, _ = signed_pass()
    index = ReplicaIndex(make_snapshot())  # no keys
    presentation = pass_presentation(token, index)
    assert isinstance(presentation.pass_check, PassRejected)
    verdict = pass_rejection_verdict(presentation.pass_check, replica_version=7)
    assert verdict.reason is ReasonCode.PASS_INVALID and verdict.detail == "unknown key"
    assert verdict.decided_by is DecidedBy.REPLICA and not verdict.granted


def test_keyring_skips_unreadable_keys() -> None:
    _, good = signed_pass()
    bad = PassKeyRecord(key_id="BAD", public_key_b64="AAAA")
    index = ReplicaIndex(make_snapshot().model_copy(update={"pass_keys": (good, bad)}))
    assert set(keyring_of(index)) == {good.key_id}
    assert len(keyring_of(None)) == 0


def test_badge_query_and_central_answer() -> None:
    face = FaceEvidence(seen=True, distance=0.31, liveness_passed=True, liveness_score=0.8)
    query = build_query(presentation=badge(GOOD_BADGE), face=face, request_id="r9")
    assert query.badge_number == GOOD_BADGE and query.face is not None
    assert query.face.distance == 0.31 and query.pass_token is None
    answer = DecisionAnswer(
        request_id="r9",
        decision=Decision.DENIED,
        reason=ReasonCode.ZONE_NOT_ALLOWED,
        reason_text="x",
        replica_version=12,
    )
    verdict = verdict_from_answer(answer)
    assert verdict.decided_by is DecidedBy.CENTRAL and verdict.replica_version == 12
    assert verdict.reason is ReasonCode.ZONE_NOT_ALLOWED


def test_this_gates_last_passage_feeds_anti_passback_offline() -> None:
    from gate_protocol.records import AntiPassback, LastPassage

    index = ReplicaIndex(make_snapshot(anti_passback=AntiPassback.HARD))
    entered = LastPassage(direction=Direction.ENTRY, at=NOW - timedelta(minutes=3))

    def reason(passages: dict[str, LastPassage]) -> ReasonCode:
        return replica_verdict(
            index=index,
            presentation=badge(GOOD_BADGE),
            face=None,
            now=NOW,
            last_sync_at=None,
            last_passages=passages,
        ).reason

    assert reason({}) is ReasonCode.GRANTED
    assert reason({"P1": entered}) is ReasonCode.ANTI_PASSBACK
    assert reason({"P2": entered}) is ReasonCode.GRANTED


def test_an_offline_face_decision_names_the_replicas_threshold() -> None:
    index = ReplicaIndex(make_snapshot(face_required=True))
    seen = FaceEvidence(seen=True, distance=0.3, liveness_passed=True, liveness_score=0.9)
    verdict = replica_verdict(
        index=index, presentation=badge(GOOD_BADGE), face=seen, now=NOW, last_sync_at=None
    )
    assert verdict.face_threshold == index.snapshot.gate.verify_threshold
    unseen = replica_verdict(
        index=index,
        presentation=badge(GOOD_BADGE),
        face=FaceEvidence(seen=False),
        now=NOW,
        last_sync_at=None,
    )
    assert unseen.face_threshold is None
    answer = DecisionAnswer(
        request_id="r1",
        decision=Decision.GRANTED,
        reason=ReasonCode.GRANTED,
        reason_text="granted",
        replica_version=3,
        face_threshold=0.5,
    )
    assert verdict_from_answer(answer).face_threshold == 0.5
