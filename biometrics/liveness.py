"""Presentation-attack detection on CPU over a short sequence of frames.

A face passes when it moves like a living face — the nose moving against the plane of
brows, eyes and mouth (depth parallax), or a blink — and shows no screen texture (moire).
With dlib's 5-point landmarks (the licence-clean default, docs/models.md) the parallax is
the face's texture, tracked by optical flow, moving off one homography, and the blink is
the eye patches' contrast falling (:mod:`biometrics.liveness_cues`); the 68-point cues run
where an operator opted in.
A photo held up and moved about, a phone or tablet replay and a still frame are refused.
Every failure is a :class:`LivenessVerdict` with ``passed=False`` and a reason;
:meth:`LivenessChecker.check` never raises, so an error cannot be mistaken for a pass.

This is a heuristic check, not a certified PAD: a replayed video of a blinking face on a
screen without visible moire, or a 3-D mask, would pass the motion cue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from biometrics.detection import FaceBox, FaceDetector, HogDetector, select_primary_face
from biometrics.encoding import FaceEncoder
from biometrics.liveness_cues import (
    FlowStart,
    blink_strength,
    closure_strength,
    eye_distance,
    eye_patches,
    flow_residual,
    flow_residuals,
    flow_start,
    moire_score,
    nonrigid_residuals,
)

__all__ = [
    "FaceTrack",
    "LivenessChecker",
    "LivenessReason",
    "LivenessSequence",
    "LivenessSettings",
    "LivenessVerdict",
    "assess_liveness",
    "judge_cues",
]

logger = logging.getLogger(__name__)


class LivenessReason(StrEnum):
    """Why a sequence was not accepted as a live face."""

    TOO_FEW_FRAMES = "too_few_frames"
    NO_FACE = "no_face"
    NO_MOTION = "no_motion"
    RIGID_MOTION = "rigid_motion"
    SCREEN_TEXTURE = "screen_texture"
    ERROR = "error"


class LivenessSettings(BaseModel):
    """Thresholds of the liveness check (calibrated with bench/bench_liveness.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_frames: int = Field(default=5, ge=2, description="Frames needed with a face in them.")
    min_nonrigid: float = Field(
        default=0.03,
        gt=0.0,
        description="Nose parallax against the plane of brows, eyes and mouth (eye distances).",
    )
    min_blink: float = Field(
        default=0.3, gt=0.0, le=1.0, description="Relative drop of the eye aspect ratio (blink)."
    )
    still_motion: float = Field(
        default=0.002,
        ge=0.0,
        description="Landmark motion (eye distances) below which the frames count as still.",
    )
    max_moire: float = Field(
        default=4.0, gt=0.0, description="Highest spectral peak of the face allowed (screens)."
    )
    min_flow_residual: float = Field(
        default=0.8,
        gt=0.0,
        description="5 points: tracked face texture off one homography (1/128 face widths).",
    )
    min_closure: float = Field(
        default=0.3,
        gt=0.0,
        le=1.0,
        description="5 points: relative drop of the eye patches' contrast (blink).",
    )


@dataclass(frozen=True)
class LivenessVerdict:
    """The outcome of the liveness check.

    Attributes:
        passed: Whether the sequence looks like a live face.
        score: 0-1; 0.5 and above passes (the weaker of the motion and texture cues).
        reason: Why it failed, ``None`` when it passed.
        details: The measured cues (nonrigid, blink, moire, frames).
    """

    passed: bool
    score: float
    reason: LivenessReason | None
    details: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FaceTrack:
    """The subject's face in one frame.

    Attributes:
        landmarks: (5, 2) or (68, 2) dlib landmarks.
        grey_face: The face region as grey pixels.
        eyes: With 5 landmarks, the two eye patches (:func:`~biometrics.liveness_cues.
            eye_patches`) for the blink cue; None: no blink cue from 5 points.
    """

    landmarks: npt.NDArray[np.float64]
    grey_face: npt.NDArray[np.uint8]
    eyes: npt.NDArray[np.float32] | None = None


def _fail(reason: LivenessReason, details: dict[str, float] | None = None) -> LivenessVerdict:
    return LivenessVerdict(passed=False, score=0.0, reason=reason, details=details or {})


def assess_liveness(tracks: Sequence[FaceTrack], settings: LivenessSettings) -> LivenessVerdict:
    """Decide liveness from the face tracked across frames (pure).

    Args:
        tracks: The subject's face in each frame where it was found, in order.
        settings: The thresholds.

    Returns:
        The verdict.
    """
    if len(tracks) < settings.min_frames:
        return _fail(LivenessReason.NO_FACE, {"frames": float(len(tracks))})
    sequence = LivenessSequence(settings)
    for track in tracks:
        sequence.measure(track)
    return sequence.judge()


class LivenessSequence:
    """:func:`assess_liveness` over faces added one at a time, as a camera delivers them.

    Each frame's own cues (its optical flow from the first frame, its moire) are measured
    when it is added, so a window fed frame by frame has little left to do once its last
    frame came; the verdict is the one :func:`assess_liveness` gives the same faces.
    """

    def __init__(self, settings: LivenessSettings) -> None:
        """Start an empty sequence judged with `settings`."""
        self.settings = settings
        self._tracks: list[FaceTrack] = []
        self._start: FlowStart | None = None
        self._residuals: list[float] = []
        self._moire: list[float] = []
        self._failed = False

    def __len__(self) -> int:
        return len(self._tracks)

    def add(self, track: FaceTrack) -> None:
        """Add the next frame's face; an error makes the verdict a failure, never a pass."""
        try:
            self.measure(track)
        except Exception:  # a crash must read as "not live", never as a pass
            logger.exception("liveness measurement failed")
            self._failed = True

    def verdict(self) -> LivenessVerdict:
        """The verdict over the faces added (a failure, never an exception)."""
        if self._failed:
            return _fail(LivenessReason.ERROR)
        if len(self._tracks) < self.settings.min_frames:
            return _fail(LivenessReason.NO_FACE, {"frames": float(len(self._tracks))})
        try:
            return self.judge()
        except Exception:  # a crash must read as "not live", never as a pass
            logger.exception("liveness assessment failed")
            return _fail(LivenessReason.ERROR)

    def measure(self, track: FaceTrack) -> None:
        """Add a face and measure its own cues (raises on bad input)."""
        if len(track.landmarks) == 5:
            if self._start is None:
                self._start = flow_start(track.grey_face)
            else:
                self._residuals.append(flow_residual(self._start, track.grey_face))
        self._moire.append(moire_score(track.grey_face))
        self._tracks.append(track)

    def judge(self) -> LivenessVerdict:
        """Combine the measured cues into the verdict (raises on bad input)."""
        tracks = self._tracks
        points = [t.landmarks for t in tracks]
        first = points[0]
        if len(first) == 5:
            nonrigid = float(np.quantile(self._residuals, 0.75))
            eyes = [t.eyes for t in tracks if t.eyes is not None]
            blink = closure_strength(eyes) if len(eyes) == len(tracks) else 0.0
        else:
            nonrigid, blink = _motion_cues(tracks)
        scale = max(eye_distance(first), 1e-9)
        motion = max(float(np.abs(p - first).max()) for p in points[1:]) / scale
        details = {
            "frames": float(len(tracks)),
            "nonrigid": nonrigid,
            "motion": motion,
            "blink": blink,
            "moire": max(self._moire),
            "landmarks": float(len(first)),
        }
        return judge_cues(details, self.settings)


def judge_cues(details: Mapping[str, float], settings: LivenessSettings) -> LivenessVerdict:
    """Decide liveness from measured cues (pure; calibration re-judges stored cues with it).

    Args:
        details: The cues ``nonrigid``, ``motion``, ``blink`` and ``moire`` (and ``frames``,
            ``landmarks``), as :func:`assess_liveness` measures them and a verdict's
            ``details`` keep them.
        settings: The thresholds.

    Returns:
        The verdict.
    """
    cues = dict(details)
    nonrigid, motion, blink, moire = (cues[k] for k in ("nonrigid", "motion", "blink", "moire"))
    parallax_needed, blink_needed = motion_thresholds(cues, settings)
    motion_margin = min(max(nonrigid / parallax_needed, blink / blink_needed), 2.0)
    texture_margin = min(settings.max_moire / max(moire, 1e-9), 2.0)
    score = round(min(motion_margin, texture_margin) / 2, 4)
    if motion < settings.still_motion:
        return LivenessVerdict(False, score, LivenessReason.NO_MOTION, cues)
    if texture_margin < 1.0:
        return LivenessVerdict(False, score, LivenessReason.SCREEN_TEXTURE, cues)
    if motion_margin < 1.0:
        return LivenessVerdict(False, score, LivenessReason.RIGID_MOTION, cues)
    return LivenessVerdict(True, score, None, cues)


def motion_thresholds(cues: Mapping[str, float], settings: LivenessSettings) -> tuple[float, float]:
    """The (parallax, blink) thresholds that fit the cues' landmark model.

    Flow residual and eye-patch closure with the 5-point model; the non-rigid residual and
    the eye aspect ratio with the 68-point one (cues stored before this was recorded).
    """
    if cues.get("landmarks", 68.0) == 5.0:
        return settings.min_flow_residual, settings.min_closure
    return settings.min_nonrigid, settings.min_blink


def _motion_cues(tracks: Sequence[FaceTrack]) -> tuple[float, float]:
    """(parallax, blink) for 5 or 68 landmarks (thresholds: `motion_thresholds`).

    The upper quartile over every pair of frames: a head turns in several pairs, while the
    landmark noise of a moving photo only now and then reaches the same level.
    """
    points = [t.landmarks for t in tracks]
    if len(points[0]) == 5:
        residuals = flow_residuals([t.grey_face for t in tracks])
        parallax = float(np.quantile(residuals, 0.75))
        eyes = [t.eyes for t in tracks if t.eyes is not None]
        closure = closure_strength(eyes) if len(eyes) == len(tracks) else 0.0
        return parallax, closure
    nonrigid = float(np.quantile(nonrigid_residuals(points), 0.75))
    return nonrigid, blink_strength(points)


class LivenessChecker:
    """Finds the face in each frame and runs :func:`assess_liveness`."""

    def __init__(
        self,
        *,
        settings: LivenessSettings | None = None,
        detector: FaceDetector | None = None,
    ) -> None:
        """Set up the checker.

        Args:
            settings: Thresholds; defaults from :class:`LivenessSettings`.
            detector: Face detector; default HOG without upsampling at 640 px.
        """
        self.settings = settings or LivenessSettings()
        self._detector = detector or HogDetector()
        self._landmarker = FaceEncoder(landmark_points=None)

    def track(self, frames: Sequence[npt.NDArray[np.uint8]]) -> list[FaceTrack]:
        """Find the subject's face and its landmarks (and eyes) in every frame that shows one."""
        import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

        tracks: list[FaceTrack] = []
        for frame in frames:
            image = np.ascontiguousarray(frame, dtype=np.uint8)
            face: FaceBox | None = select_primary_face(
                self._detector.detect(image), height=image.shape[0], width=image.shape[1]
            )
            if face is None:
                continue
            box = face.clipped(image.shape[0], image.shape[1])
            whole = np.asarray(
                cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image, np.uint8
            )
            grey = np.ascontiguousarray(whole[box.top : box.bottom, box.left : box.right])
            points = self._landmarker.landmarks(image, face)
            eyes = eye_patches(whole, points) if len(points) == 5 else None
            tracks.append(FaceTrack(points, grey, eyes))
        return tracks

    def assess(self, tracks: Sequence[FaceTrack]) -> LivenessVerdict:
        """Judge faces already found and landmarked (e.g. by :class:`biometrics.FaceStream`).

        Args:
            tracks: The subject's face in each frame, in order.

        Returns:
            The verdict; a failure (never an exception) when anything goes wrong.
        """
        try:
            return assess_liveness(tracks, self.settings)
        except Exception:  # a crash must read as "not live", never as a pass
            logger.exception("liveness assessment failed")
            return _fail(LivenessReason.ERROR)

    def check(self, frames: Sequence[npt.NDArray[np.uint8]]) -> LivenessVerdict:
        """Check a short sequence of RGB frames (about 0.5-1 s of video).

        Args:
            frames: RGB ``uint8`` frames, in order.

        Returns:
            The verdict; a failure (never an exception) when anything goes wrong.
        """
        if len(frames) < self.settings.min_frames:
            return _fail(LivenessReason.TOO_FEW_FRAMES, {"frames": float(len(frames))})
        try:
            return assess_liveness(self.track(frames), self.settings)
        except Exception:  # a crash must read as "not live", never as a pass
            logger.exception("liveness check failed")
            return _fail(LivenessReason.ERROR)
