"""A flagged company's person gets the face step at a gate that asks for no face.

`decide()` requires a face for them; the agent must therefore take one, or they could never
pass such a gate. Decided from the replica here (the API answers 503).
"""

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest

from gate_agent.camera.frame_pump import FramePump
from gate_agent.camera.frames import ReplayFrameSource
from gate_agent.decision.decider import FaceSettings, PresentationDecider, ReplicaView
from gate_agent.decision.presentation import Presentation, Verdict
from gate_agent.decision.replica_policy import face_required
from gate_agent.face.step import FaceMatch
from gate_agent.links.api_client import ApiClient
from gate_protocol.messages import AlarmKind, CredentialKind, Direction
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import CompanyStanding, CompanyStatus
from gate_protocol.replica import ReplicaIndex, ReplicaSnapshot
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, make_snapshot
from testkit.agent.faces import IMAGE, CountingLiveness


class MatchingVerifier:
    def __init__(self) -> None:
        self.calls = 0

    def verify(self, images: Sequence[np.ndarray], templates: Sequence[bytes]) -> FaceMatch:
        self.calls += 1
        return FaceMatch(seen=True, distance=0.3)


@pytest.fixture
def pump() -> Iterator[FramePump]:
    pump = FramePump(
        source=ReplayFrameSource([IMAGE], fps=50), scanner=lambda i: [], on_code=lambda t, a: None
    )
    pump.start()
    yield pump
    pump.stop()


def snapshot_with(status: CompanyStatus) -> ReplicaSnapshot:
    """The test gate asks for no face; P1 (the good badge's holder) works for Acme."""
    snapshot = make_snapshot(face_required=False)
    acme = CompanyStanding(name="Acme", status=status)
    persons = tuple(
        p.model_copy(update={"company": acme}) if p.person_id == "P1" else p
        for p in snapshot.persons
    )
    return snapshot.model_copy(update={"persons": persons})


def decide_tap(pump: FramePump, status: CompanyStatus) -> tuple[Verdict, int]:
    view = ReplicaView(ReplicaIndex(snapshot_with(status)), datetime.now(UTC))
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(lambda request: httpx.Response(503)),
    )
    verifier = MatchingVerifier()
    face = FaceSettings(
        pump=pump,
        verifier=verifier,
        liveness=CountingLiveness(),
        burst_frames=3,
        burst_timeout_s=1.0,
    )
    decider = PresentationDecider(
        api=api, replica=lambda: view, face=face, clock=lambda: datetime.now(UTC)
    )
    decided = decider.decide(
        Presentation(
            lane=0,
            direction=Direction.ENTRY,
            credential_kind=CredentialKind.BADGE,
            occurred_at=datetime.now(UTC),
            started=time.monotonic(),
            badge_number=GOOD_BADGE,
        )
    )
    return decided.verdict, verifier.calls


def test_a_flagged_company_s_person_is_looked_at_and_passes_with_an_alarm(
    pump: FramePump,
) -> None:
    verdict, calls = decide_tap(pump, CompanyStatus.FLAGGED)
    assert calls == 1  # the face step ran although the gate asks for no face
    assert verdict.reason is ReasonCode.GRANTED
    assert verdict.alarms == (AlarmKind.COMPANY_FLAGGED,)


def test_an_active_company_s_person_passes_without_the_face_step(pump: FramePump) -> None:
    verdict, calls = decide_tap(pump, CompanyStatus.ACTIVE)
    assert calls == 0
    assert verdict.reason is ReasonCode.GRANTED
    assert verdict.alarms == ()


def test_face_required_names_the_flagged_holder_only() -> None:
    index = ReplicaIndex(snapshot_with(CompanyStatus.FLAGGED))
    assert face_required(index, "P1")
    assert not face_required(index, "P2")
    assert not face_required(index)
