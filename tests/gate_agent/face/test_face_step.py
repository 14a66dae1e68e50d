import math
from collections.abc import Sequence

import numpy as np

from gate_agent.face.step import FaceMatch, LivenessResult, run_face_step

IMAGES = [np.zeros((2, 2, 3), dtype=np.uint8)] * 3


class FakeVerifier:
    def __init__(self, match: FaceMatch) -> None:
        self.match = match
        self.calls: list[tuple[int, int]] = []

    def verify(self, images: Sequence[np.ndarray], templates: Sequence[bytes]) -> FaceMatch:
        self.calls.append((len(images), len(templates)))
        return self.match


class FakeLiveness:
    def __init__(self, passed: bool, score: float) -> None:
        self.result = LivenessResult(passed=passed, score=score)
        self.calls = 0

    def check(self, images: Sequence[np.ndarray]) -> LivenessResult:
        self.calls += 1
        return self.result


def test_no_frames_means_no_face_and_no_work() -> None:
    verifier = FakeVerifier(FaceMatch(seen=True, distance=0.1))
    outcome = run_face_step(images=[], templates=[b"t"], verifier=verifier, liveness=None)
    assert not outcome.evidence.seen and verifier.calls == []


def test_match_and_liveness_make_the_evidence() -> None:
    verifier = FakeVerifier(FaceMatch(seen=True, distance=0.32))
    liveness = FakeLiveness(True, 0.8)
    outcome = run_face_step(
        images=IMAGES, templates=[b"a", b"b"], verifier=verifier, liveness=liveness
    )
    assert verifier.calls == [(3, 2)] and liveness.calls == 1
    assert outcome.evidence.distance == 0.32 and outcome.evidence.liveness_passed is True
    assert outcome.face_score == 0.32 and outcome.liveness_score == 0.8
    assert outcome.face_ms is not None and outcome.liveness_ms is not None


def test_no_face_skips_liveness() -> None:
    liveness = FakeLiveness(True, 1.0)
    outcome = run_face_step(
        images=IMAGES, templates=[], verifier=FakeVerifier(FaceMatch(seen=False)), liveness=liveness
    )
    assert not outcome.evidence.seen and liveness.calls == 0


def test_infinite_distance_without_templates_cannot_match() -> None:
    outcome = run_face_step(
        images=IMAGES,
        templates=[],
        verifier=FakeVerifier(FaceMatch(seen=True, distance=math.inf)),
        liveness=None,
    )
    assert outcome.evidence.seen and outcome.evidence.distance is None
    assert outcome.evidence.liveness_passed is None
