"""Face-only 1:N: identified with the stricter threshold, ambiguity sent to the guard."""

import base64
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from gate_agent.decision.decider import PresentationDecider, ReplicaView
from gate_agent.decision.intake import face_presentation
from gate_agent.decision.story import Story, build_event
from gate_agent.face.gallery import build_gallery
from gate_agent.face.identify import (
    Ambiguous,
    FaceIdentified,
    FaceIdentifier,
    Identified,
    identify_track,
)
from gate_agent.face.track import FaceTracks
from gate_agent.links.api_client import ApiClient
from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import CredentialKind, DecidedBy, Decision
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.replica import FaceTemplateRecord, ReplicaIndex, ReplicaSnapshot
from testkit.agent.doubles import GATE_KEY, make_snapshot
from testkit.agent.faces import ALICE, BOB, IMAGE, LIVE, near, seen
from testkit.agent.loop import FakeWorkers, build


def b64(vector: np.ndarray) -> str:
    return base64.b64encode(vector.astype("<f4").tobytes()).decode()


def snapshot(p2_face: np.ndarray = BOB, *, enabled: bool = True) -> ReplicaSnapshot:
    base = make_snapshot(face_required=True)
    return base.model_copy(
        update={
            "gate": base.gate.model_copy(update={"face_identification": enabled}),
            "templates": (
                FaceTemplateRecord(template_id="T1", person_id="P1", encoding_b64=b64(ALICE)),
                FaceTemplateRecord(template_id="T2", person_id="P2", encoding_b64=b64(p2_face)),
                FaceTemplateRecord(template_id="T3", person_id="P2", encoding_b64="QUJD"),
            ),
        }
    )


def test_identify_track_uses_the_threshold_and_the_margin() -> None:
    gallery = build_gallery(ReplicaIndex(snapshot()))
    assert len(gallery) == 2  # the 3-byte template is left out
    found = identify_track(gallery, [near(ALICE, 0.3)], threshold=0.42, margin=0.05)
    assert isinstance(found, Identified) and found.person_id == "P1"
    assert found.distance == pytest.approx(0.3, abs=1e-5)
    # 0.5 would verify 1:1 (0.54) but is no identification at the stricter 1:N 0.42.
    assert identify_track(gallery, [near(ALICE, 0.5)], threshold=0.42, margin=0.05) is None
    assert identify_track(gallery, [], threshold=0.42, margin=0.05) is None
    # The nearest of the track's encodings decides.
    found = identify_track(
        gallery, [near(ALICE, 0.5), near(ALICE, 0.2)], threshold=0.42, margin=0.05
    )
    assert isinstance(found, Identified) and found.distance == pytest.approx(0.2, abs=1e-5)


def test_two_people_within_the_margin_is_no_identification() -> None:
    twin = near(ALICE, 0.1)
    gallery = build_gallery(ReplicaIndex(snapshot(p2_face=twin)))
    found = identify_track(gallery, [ALICE], threshold=0.42, margin=0.15)
    assert isinstance(found, Ambiguous)
    assert found.distance == pytest.approx(0.0, abs=1e-5)
    assert found.runner_up == pytest.approx(0.1, abs=1e-5)
    assert "see the guard" in found.detail


def identifier(
    index: ReplicaIndex | None, reports: list[Identified | Ambiguous]
) -> tuple[FaceIdentifier, FaceTracks]:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    return (
        FaceIdentifier(
            tracks=tracks,
            replica=lambda: index,
            report=reports.append,
            margin=0.05,
            require_liveness=True,
        ),
        tracks,
    )


def test_identifier_waits_for_liveness_reports_once_and_ignores_strangers() -> None:
    reports: list[Identified | Ambiguous] = []
    ident, tracks = identifier(ReplicaIndex(snapshot()), reports)
    [alice] = tracks.observe(seen(near(ALICE, 0.2)), image=IMAGE, at=10.0)
    [stranger] = tracks.observe(seen(-ALICE), image=IMAGE, at=10.0)
    ident(10.1)
    assert reports == []  # no liveness verdict yet
    tracks.set_liveness(alice, LIVE)
    tracks.set_liveness(stranger, LIVE)
    ident(11.0)
    [found] = reports
    assert isinstance(found, Identified) and found.person_id == "P1"
    assert found.liveness == LIVE and found.track_age_s == pytest.approx(1.0)
    ident(11.2)
    assert len(reports) == 1  # the track is spent: one presentation


def test_identifier_does_nothing_where_the_policy_does_not_allow_it() -> None:
    reports: list[Identified | Ambiguous] = []
    ident, tracks = identifier(ReplicaIndex(snapshot(enabled=False)), reports)
    [alice] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0)
    tracks.set_liveness(alice, LIVE)
    ident(10.5)
    none, _ = identifier(None, reports)
    none(10.5)
    assert reports == []


def test_identifier_follows_the_replica_the_loop_installs() -> None:
    reports: list[Identified | Ambiguous] = []
    current = [ReplicaIndex(snapshot())]
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    ident = FaceIdentifier(
        tracks=tracks,
        replica=lambda: current[0],
        report=reports.append,
        margin=0.05,
        require_liveness=True,
    )
    ident(9.0)  # the gallery is built from the first replica
    # P1's template is replaced by Bob's face, and P2 (Bob) is deleted.
    base = current[0].snapshot
    current[0] = ReplicaIndex(
        base.model_copy(
            update={
                "templates": (
                    FaceTemplateRecord(template_id="T9", person_id="P1", encoding_b64=b64(BOB)),
                )
            }
        )
    )
    [alice] = tracks.observe(seen(near(ALICE, 0.2)), image=IMAGE, at=10.0)
    tracks.set_liveness(alice, LIVE)
    ident(10.5)
    assert reports == []  # Alice's face is nobody's now
    [bob] = tracks.observe(seen(near(BOB, 0.2)), image=IMAGE, at=10.6)
    tracks.set_liveness(bob, LIVE)
    ident(11.0)
    [found] = reports
    assert isinstance(found, Identified) and found.person_id == "P1"


def test_loop_submits_an_identified_face_and_denies_an_ambiguous_one(tmp_path: Path) -> None:
    agent, outbox, bus = build(tmp_path)
    workers = agent._workers
    assert isinstance(workers, FakeWorkers)
    agent.handle(FaceIdentified(Identified("P1", 0.3, LIVE, 1.5)))
    [presentation] = workers.submitted
    assert presentation.credential_kind is CredentialKind.FACE
    assert presentation.person_id == "P1" and presentation.face is not None
    assert presentation.face.evidence.liveness_passed is True
    agent.handle(FaceIdentified(Ambiguous(0.2, 0.22, 0.05)))
    assert len(workers.submitted) == 1
    [pending] = outbox.events.pending(limit=5)
    event = pending.message
    assert event.decision is Decision.DENIED and event.reason is ReasonCode.FACE_MISMATCH
    assert event.credential_kind is CredentialKind.FACE and event.person_id is None
    assert event.reason_detail is not None and "see the guard" in event.reason_detail


def decider(handler: object) -> PresentationDecider:
    view = ReplicaView(ReplicaIndex(snapshot()), datetime.now(UTC))
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )
    return PresentationDecider(
        api=api, replica=lambda: view, face=None, clock=lambda: datetime.now(UTC)
    )


def identified(distance: float) -> object:
    from gate_agent.config import LaneConfig
    from gate_protocol.messages import Direction

    return face_presentation(
        Identified("P1", distance, LIVE, 2.0),
        lane=LaneConfig(lane=0, direction=Direction.ENTRY),
        now=datetime.now(UTC),
        started=time.monotonic(),
    )


def test_identified_face_asks_the_api_first_with_the_person_and_the_face() -> None:
    queries: list[DecisionQuery] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = DecisionQuery.model_validate_json(request.content)
        queries.append(query)
        answer = DecisionAnswer(
            request_id=query.request_id,
            decision=Decision.GRANTED,
            reason=ReasonCode.GRANTED,
            reason_text=describe_reason(ReasonCode.GRANTED),
            person_id=query.person_id,
            replica_version=7,
        )
        return httpx.Response(200, content=answer.model_dump_json())

    decided = decider(handler).decide(identified(0.3))  # type: ignore[arg-type]
    [query] = queries
    assert query.credential_kind is CredentialKind.FACE and query.person_id == "P1"
    assert query.face is not None and query.face.distance == pytest.approx(0.3)
    assert query.face.liveness_passed is True
    assert decided.verdict.decided_by is DecidedBy.CENTRAL and decided.verdict.granted
    event = build_event(
        Story(decided.presentation, decided.verdict, decided.face, 1.0, time.monotonic(), "e"),
        seq=1,
    )
    assert event.credential_kind is CredentialKind.FACE and event.person_id == "P1"
    assert event.reason_detail is not None and "identified 1:N" in event.reason_detail


def test_api_away_the_replica_decides_the_identified_person_at_the_1n_threshold() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    granted = decider(handler).decide(identified(0.3))  # type: ignore[arg-type]
    assert granted.verdict.decided_by is DecidedBy.REPLICA and granted.verdict.granted
    assert granted.verdict.person_id == "P1"
    # A distance that would pass 1:1 (0.54) is a mismatch for a face-only presentation.
    denied = decider(handler).decide(identified(0.5))  # type: ignore[arg-type]
    assert denied.verdict.reason is ReasonCode.FACE_MISMATCH
