"""A badge tap whose holder's face is already in the track decides without new frames."""

import base64
import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest

from gate_agent.camera.frame_pump import FramePump
from gate_agent.camera.frames import ReplayFrameSource
from gate_agent.decision.decider import FaceSettings, PresentationDecider, ReplicaView
from gate_agent.decision.presentation import Presentation
from gate_agent.decision.story import Story, build_event
from gate_agent.face.loop_thread import LoopThread
from gate_agent.face.step import FaceMatch
from gate_agent.face.track import FaceTracks, SeenFace
from gate_agent.face.tracker import FaceTracker
from gate_agent.links.api_client import ApiClient
from gate_protocol.messages import CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import FaceTemplateRecord, ReplicaIndex
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, make_snapshot
from testkit.agent.faces import ALICE, BOB, IMAGE, LIVE, CountingLiveness, seen


class MismatchVerifier:
    def __init__(self) -> None:
        self.calls = 0

    def verify(self, images: Sequence[np.ndarray], templates: Sequence[bytes]) -> FaceMatch:
        self.calls += 1
        return FaceMatch(seen=True, distance=0.9)


class NoFaces:
    def faces(self, image: np.ndarray) -> list[SeenFace]:
        return []


@pytest.fixture
def pump() -> Iterator[FramePump]:
    pump = FramePump(
        source=ReplayFrameSource([IMAGE], fps=50), scanner=lambda i: [], on_code=lambda t, a: None
    )
    pump.start()
    yield pump
    pump.stop()


def build(pump: FramePump, tracks: FaceTracks) -> tuple[PresentationDecider, MismatchVerifier]:
    template = base64.b64encode(ALICE.astype("<f4").tobytes()).decode()
    snapshot = make_snapshot(face_required=True).model_copy(
        update={
            "templates": (
                FaceTemplateRecord(template_id="T1", person_id="P1", encoding_b64=template),
            )
        }
    )
    view = ReplicaView(ReplicaIndex(snapshot), datetime.now(UTC))
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(lambda request: httpx.Response(503)),
    )
    verifier = MismatchVerifier()
    liveness = CountingLiveness()
    tracker = FaceTracker(
        pump=pump, observer=NoFaces(), liveness=liveness, tracks=tracks, interval_s=1.0
    )
    face = FaceSettings(
        pump=pump,
        verifier=verifier,
        liveness=liveness,
        burst_frames=5,
        burst_timeout_s=1.0,
        tracker=tracker,
    )
    decider = PresentationDecider(
        api=api, replica=lambda: view, face=face, clock=lambda: datetime.now(UTC)
    )
    return decider, verifier


def tap() -> Presentation:
    return Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=datetime.now(UTC),
        started=time.monotonic(),
        badge_number=GOOD_BADGE,
    )


def test_holder_in_the_track_is_granted_at_once_and_the_event_says_so(pump: FramePump) -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    [track] = tracks.observe(seen(ALICE), image=IMAGE, at=time.monotonic() - 1.0)
    tracks.set_liveness(track, LIVE)
    decider, verifier = build(pump, tracks)
    decided = decider.decide(tap())
    assert verifier.calls == 0  # no frames after the tap were needed
    assert decided.verdict.decision is Decision.GRANTED
    assert decided.verdict.decided_by is DecidedBy.REPLICA
    face = decided.face
    assert face is not None and face.track_age_s is not None and face.track_age_s >= 1.0
    assert face.face_score == pytest.approx(0.0, abs=1e-6) and face.liveness_score == 0.8
    event = build_event(
        Story(decided.presentation, decided.verdict, face, 1.0, time.monotonic(), "e1"), seq=1
    )
    assert event.reason_detail is not None
    assert "face verified before the credential" in event.reason_detail
    assert event.latency.face_ms is not None and event.latency.face_ms < 50


def test_someone_else_in_the_track_leaves_it_to_the_frames_after_the_tap(
    pump: FramePump,
) -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    [track] = tracks.observe(seen(BOB), image=IMAGE, at=time.monotonic() - 0.5)
    tracks.set_liveness(track, LIVE)
    decider, verifier = build(pump, tracks)
    decided = decider.decide(tap())
    assert verifier.calls == 1
    assert decided.verdict.reason is ReasonCode.FACE_MISMATCH
    assert decided.face is not None and decided.face.track_age_s is None


def test_a_track_older_than_the_window_leaves_it_to_the_frames(pump: FramePump) -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    [track] = tracks.observe(seen(ALICE), image=IMAGE, at=time.monotonic() - 3.5)
    tracks.set_liveness(track, LIVE)
    decider, verifier = build(pump, tracks)
    decided = decider.decide(tap())
    assert verifier.calls == 1 and decided.verdict.reason is ReasonCode.FACE_MISMATCH


class HeldCheckingVerifier(MismatchVerifier):
    """Records which of the background loops were held while it worked."""

    def __init__(self, held: Sequence[Callable[[], bool]]) -> None:
        super().__init__()
        self.checks = held
        self.held: list[bool] = []

    def verify(self, images: Sequence[np.ndarray], templates: Sequence[bytes]) -> FaceMatch:
        self.held = [held() for held in self.checks]
        return super().verify(images, templates)


class IdleLoop(LoopThread):
    def _loop(self) -> None:  # never started
        raise AssertionError


def test_the_judge_and_the_presearch_are_held_until_the_decision_is_made(
    pump: FramePump,
) -> None:
    decider, _ = build(pump, FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0))
    face = decider._face
    assert face is not None and face.tracker is not None
    presearch = IdleLoop(name="presearch")
    # The judge, the presearch, and the tracker itself, which goes on tracking.
    checks = [face.tracker._judge_held, presearch._held, face.tracker._held]
    verifier = HeldCheckingVerifier(checks)
    held_at_api: list[list[bool]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        held_at_api.append([held() for held in checks])
        return httpx.Response(503)

    decider._face = dataclasses.replace(face, verifier=verifier, presearch=presearch)
    decider._api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(answer),
    )
    decided = decider.decide(tap())
    assert verifier.calls == 1 and verifier.held == [True, True, False]  # the frames after it
    assert held_at_api == [[True, True, False]]  # and the API's answer
    assert decided.verdict.reason is ReasonCode.FACE_MISMATCH
    assert [held() for held in checks] == [False, False, False]
