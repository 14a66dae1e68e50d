from dataclasses import replace
from datetime import UTC, datetime, timedelta

from biometrics.models import encoder_model_id
from gate_agent.config import TurnstileConfig
from gate_agent.decision.presentation import Presentation, Verdict
from gate_agent.decision.story import RESTART_DETAIL, Story, build_event, finish_draft, join_detail
from gate_agent.decision.turnstile import OpenTracker
from gate_agent.face.step import FaceOutcome
from gate_protocol.messages import (
    AckResult,
    CommandAck,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    Passage,
)
from gate_protocol.policy import FaceEvidence
from gate_protocol.reasons import ReasonCode

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def story() -> Story:
    presentation = Presentation(
        lane=1,
        direction=Direction.EXIT,
        credential_kind=CredentialKind.BADGE,
        occurred_at=NOW,
        started=100.0,
        badge_number="1234",
    )
    verdict = Verdict(
        Decision.GRANTED, ReasonCode.GRANTED, DecidedBy.CENTRAL, person_id="P1", replica_version=4
    )
    face = FaceOutcome(
        evidence=FaceEvidence(seen=True, distance=0.35, liveness_passed=True, liveness_score=0.9),
        face_ms=80.0,
        liveness_ms=40.0,
    )
    return Story(presentation, verdict, face, decision_ms=12.5, decided_at=100.2, event_id="ev1")


def tracker() -> OpenTracker:
    return OpenTracker(
        TurnstileConfig(command_ttl_s=5, ack_timeout_s=2, passage_timeout_s=10), issued_by="agent"
    )


def test_command_is_fresh_short_lived_and_tied_to_the_story() -> None:
    opens = tracker()
    first, told = opens.command_for(story(), now=NOW, at=1.0)
    second, _ = opens.command_for(story(), now=NOW, at=1.0)
    assert first.command_id != second.command_id
    assert first.expires_at - first.issued_at == timedelta(seconds=5)
    assert (first.lane, first.direction, first.issued_by) == (1, Direction.EXIT, "agent")
    assert told.command_id == first.command_id


def test_ack_then_passage_closes_the_story_passed() -> None:
    opens = tracker()
    command, told = opens.command_for(story(), now=NOW, at=0.0)
    opens.track(told, at=0.0)
    ack = CommandAck(command_id=command.command_id, result=AckResult.OPENED, at=NOW)
    assert opens.on_ack(ack, at=1.0) is True
    assert opens.on_ack(ack, at=1.0) is False  # a second ack is not ours any more
    assert opens.expire(at=5.0) == []  # the passage timeout now runs from the ack
    closed = opens.on_passage(Passage(command_id=command.command_id, lane=1, passed=True, at=NOW))
    assert closed is not None and closed.passed is True and len(opens) == 0


def test_refused_ack_and_timeouts_close_the_story() -> None:
    opens = tracker()
    command, told = opens.command_for(story(), now=NOW, at=0.0)
    opens.track(told, at=0.0)
    closed = opens.on_ack(
        CommandAck(command_id=command.command_id, result=AckResult.EXPIRED, at=NOW), at=0.1
    )
    assert isinstance(closed, Story) and closed.passed is False
    assert closed.turnstile_detail == "turnstile answered expired"
    _, silent = opens.command_for(story(), now=NOW, at=0.0)
    opens.track(silent, at=0.0)
    assert opens.expire(at=1.9) == []
    [expired] = opens.expire(at=2.0)
    assert expired.passed is None and expired.turnstile_detail.startswith(
        "opening unconfirmed: no command ack"
    )


def test_a_duplicate_ack_to_a_waiting_command_is_an_unconfirmed_opening_not_a_refusal() -> None:
    # A bridge killed between its relay pulse and its ack answers the redelivered command
    # "duplicate" after its restart: the lane did open, so the event must not say "not passed".
    opens = tracker()
    command, told = opens.command_for(story(), now=NOW, at=0.0)
    opens.track(told, at=0.0)
    closed = opens.on_ack(
        CommandAck(command_id=command.command_id, result=AckResult.DUPLICATE, at=NOW), at=0.1
    )
    assert isinstance(closed, Story) and closed.passed is None
    assert closed.turnstile_detail is not None
    assert closed.turnstile_detail.startswith("opening unconfirmed: the bridge had already")


def test_unknown_commands_are_not_ours() -> None:
    opens = tracker()
    assert opens.on_ack(CommandAck(command_id="x", result=AckResult.OPENED, at=NOW), at=0) is False
    assert opens.on_passage(Passage(command_id="x", lane=0, passed=True, at=NOW)) is None


def test_event_tells_the_whole_story() -> None:
    told = story().closed(passed=True, detail=None)
    event = build_event(told, seq=42)
    assert event.event_id == "ev1" and event.agent_seq == 42 and event.occurred_at == NOW
    assert (event.lane, event.direction) == (1, Direction.EXIT)
    assert event.person_id == "P1" and event.credential_ref == "1234"
    assert event.face_score == 0.35 and event.liveness_score == 0.9
    assert event.replica_version == 4 and event.passed is True
    assert event.latency.face_ms == 80.0 and event.latency.decision_ms == 12.5
    assert event.latency.total_ms is not None and abs(event.latency.total_ms - 200.0) < 1e-6


def test_a_face_decision_records_its_model_and_threshold() -> None:
    told = story()
    judged = replace(told, verdict=replace(told.verdict, face_threshold=0.54))
    event = build_event(judged, seq=1)
    assert (event.face_model, event.face_threshold) == (encoder_model_id(), 0.54)
    # No face seen: nothing was compared, so no model and no threshold.
    unseen = replace(judged, face=FaceOutcome(evidence=FaceEvidence(seen=False)))
    assert (build_event(unseen, seq=2).face_model, build_event(unseen, seq=2).face_threshold) == (
        None,
        None,
    )


def test_draft_finished_after_a_restart() -> None:
    draft = build_event(story(), seq=0)
    event = finish_draft(draft, seq=9)
    assert event.agent_seq == 9 and event.passed is None and event.event_id == "ev1"
    assert event.reason_detail == RESTART_DETAIL


def test_join_detail() -> None:
    assert join_detail(None, "") is None
    assert join_detail("a", None, "b") == "a; b"
    assert len(join_detail("x" * 600) or "") == 500
