"""Faces for the agent's track tests: two people's encodings, faces near them, a liveness."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gate_agent.face.step import LivenessResult
from gate_agent.face.track import SeenFace

rng = np.random.default_rng(7)
ALICE = rng.normal(0, 0.1, 128).astype(np.float32)
BOB = rng.normal(0, 0.1, 128).astype(np.float32)  # about 1.6 from ALICE
IMAGE = np.zeros((4, 4, 3), np.uint8)
LIVE = LivenessResult(passed=True, score=0.8)


def near(vector: np.ndarray, by: float = 0.2) -> np.ndarray:
    """An encoding `by` away from `vector` in a random direction (the same person)."""
    step = rng.normal(0, 1, 128)
    return (vector + by * step / np.linalg.norm(step)).astype(np.float32)


def seen(*vectors: np.ndarray) -> list[SeenFace]:
    """The faces seen in one frame, one per encoding."""
    return [SeenFace(encoding=v) for v in vectors]


class CountingLiveness:
    """A liveness check that always passes and counts the images of each call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def check(self, images: Sequence[np.ndarray]) -> LivenessResult:
        """Record how many images came and pass."""
        self.calls.append(len(images))
        return LIVE
