"""The face step: 1:1 verification against the credential holder's templates, and liveness.

The agent programs against two small interfaces, `FaceVerifier` and `LivenessChecker`; the
biometrics package provides the real ones (see `gate_agent.face.biometrics`). The step's
result is the `FaceEvidence` that `gate_protocol.policy.decide()` and the central API read,
plus the scores and timings the access event reports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from biometrics.detection import FaceBox
from gate_protocol.policy import FaceEvidence

__all__ = [
    "FaceMatch",
    "FaceOutcome",
    "FaceVerifier",
    "FaceWindow",
    "LivenessChecker",
    "LivenessResult",
    "PrefetchingWindow",
    "PreparingTrackLiveness",
    "PresearchingVerifier",
    "TrackLivenessChecker",
    "WindowVerifier",
    "outcome_of",
    "run_face_step",
]

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class FaceMatch:
    """The best 1:1 match over a burst: whether a face was seen and its best distance.

    `encodings`: the subject's encodings the match was computed from, for the watchlist
    screen (`gate_agent.face.watchlist`); never logged.
    """

    seen: bool
    distance: float | None = None
    encodings: tuple[npt.NDArray[np.float32], ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class LivenessResult:
    """Whether the burst shows a live face, with a score in [0, 1] (higher: more alive).

    `reason`: why it failed (e.g. "rigid_motion", "too_few_frames"), for the event's detail.
    """

    passed: bool
    score: float
    reason: str | None = None


class FaceVerifier(Protocol):
    """Compares the faces in a burst of frames with a person's enrolled templates."""

    def verify(self, images: Sequence[Image], templates: Sequence[bytes]) -> FaceMatch:
        """The best match of any face in `images` against `templates` (512-byte float32)."""
        ...


class LivenessChecker(Protocol):
    """Judges whether a burst of frames shows a live face (not a photo or a screen)."""

    def check(self, images: Sequence[Image]) -> LivenessResult:
        """The liveness verdict over the burst."""
        ...


@runtime_checkable
class PrefetchingWindow(Protocol):
    """A face window that can have its coming frames searched beside its own work."""

    def prefetch(self, images: Sequence[Image]) -> None:
        """Start searching these frames (they are fed later, in this order)."""
        ...


@runtime_checkable
class PresearchingVerifier(Protocol):
    """A window verifier that can search frames ahead of a credential (`face_presearch`)."""

    def searches_ahead(self) -> bool:
        """Whether it is configured to (`face.presearch`)."""
        ...

    def presearch_frame(self, image: Image) -> bool:
        """Search this frame now, before any window needs it: whether it shows a face."""
        ...


@runtime_checkable
class TrackLivenessChecker(Protocol):
    """A liveness check that can judge one given face in frames that show several."""

    def check_track(
        self, images: Sequence[Image], boxes: Sequence[FaceBox | None]
    ) -> LivenessResult:
        """The verdict over the face at `boxes[i]` in `images[i]` (a track's face)."""
        ...


@runtime_checkable
class PreparingTrackLiveness(Protocol):
    """A track liveness check that can find a track's face in a frame before it is due."""

    def prepare_track_frame(self, image: Image, box: FaceBox | None) -> None:
        """Work out what the check will need from this frame, now."""
        ...


class FaceWindow(Protocol):
    """One presentation's face work, fed one frame at a time as the camera delivers them."""

    def feed(self, image: Image) -> bool:
        """Work on the next frame (BGR); True once the outcome is certain (stop feeding)."""
        ...

    def result(self) -> tuple[FaceMatch, LivenessResult | None]:
        """The 1:1 match and the liveness verdict (None: not checked) over the frames fed."""
        ...


@runtime_checkable
class WindowVerifier(Protocol):
    """A verifier that can also work frame by frame (`gate_agent.face.window`)."""

    def open_window(
        self,
        *,
        templates: Sequence[bytes],
        liveness: LivenessChecker | None,
    ) -> FaceWindow:
        """Start the face work of one presentation against the holder's templates."""
        ...


@dataclass(frozen=True, slots=True)
class FaceOutcome:
    """The face step's evidence for the decision and its figures for the event.

    `track_age_s` is set when the face was verified from the track of faces seen before the
    credential (how long that face had been in view); None when frames after it decided.
    `identified`: the face was identified 1:N on the track (a face-only presentation).
    `encodings`: the face's encodings, for the watchlist screen (never logged or sent).
    """

    evidence: FaceEvidence
    face_ms: float | None = None
    liveness_ms: float | None = None
    track_age_s: float | None = None
    identified: bool = False
    liveness_reason: str | None = None
    encodings: tuple[npt.NDArray[np.float32], ...] = field(default=(), repr=False, compare=False)

    @property
    def note(self) -> str | None:
        """What the event's detail says about the face step (a track decided, liveness failed)."""
        if self.track_age_s is None:
            if self.evidence.liveness_passed is False and self.liveness_reason:
                return f"liveness failed: {self.liveness_reason} (to the guard)"
            return None
        if self.identified:
            return f"face identified 1:N (in view {self.track_age_s:.1f} s)"
        return f"face verified before the credential (in view {self.track_age_s:.1f} s)"

    @property
    def face_score(self) -> float | None:
        """The reported face score: the best distance (lower is a closer match)."""
        return self.evidence.distance

    @property
    def liveness_score(self) -> float | None:
        """The reported liveness score."""
        return self.evidence.liveness_score


def run_face_step(
    *,
    images: Sequence[Image],
    templates: Sequence[bytes],
    verifier: FaceVerifier,
    liveness: LivenessChecker | None,
) -> FaceOutcome:
    """Verify the burst against the templates, then run liveness if a face was seen.

    No frames means no face seen; no templates means the face was seen but cannot match
    (distance None, which the policy denies as a mismatch when a face is required).
    """
    if not images:
        return FaceOutcome(evidence=FaceEvidence(seen=False))
    started = time.perf_counter()
    match = verifier.verify(images, templates)
    face_ms = (time.perf_counter() - started) * 1000
    if not match.seen:
        return FaceOutcome(evidence=FaceEvidence(seen=False), face_ms=face_ms)
    if liveness is None:
        return outcome_of(match, None, face_ms=face_ms, liveness_ms=None)
    started = time.perf_counter()
    verdict = liveness.check(images)
    liveness_ms = (time.perf_counter() - started) * 1000
    return outcome_of(match, verdict, face_ms=face_ms, liveness_ms=liveness_ms)


def outcome_of(
    match: FaceMatch,
    verdict: LivenessResult | None,
    *,
    face_ms: float | None,
    liveness_ms: float | None,
) -> FaceOutcome:
    """The face step's outcome from a match and a liveness verdict (None: not checked)."""
    if not match.seen:
        return FaceOutcome(evidence=FaceEvidence(seen=False), face_ms=face_ms)
    distance = match.distance
    if distance is not None and not 0.0 <= distance <= 10.0:
        distance = None  # no template to compare with (inf), or nonsense: cannot match
    if verdict is None:
        return FaceOutcome(
            evidence=FaceEvidence(seen=True, distance=distance),
            face_ms=face_ms,
            encodings=match.encodings,
        )
    return FaceOutcome(
        evidence=FaceEvidence(
            seen=True,
            distance=distance,
            liveness_passed=verdict.passed,
            liveness_score=min(max(verdict.score, 0.0), 10.0),
        ),
        face_ms=face_ms,
        liveness_ms=liveness_ms,
        liveness_reason=None if verdict.passed else verdict.reason,
        encodings=match.encodings,
    )
