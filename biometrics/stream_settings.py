"""What :class:`biometrics.FaceStream` may skip, and what it returns for each face."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from biometrics.detection import FaceBox
from biometrics.liveness import FaceTrack

__all__ = [
    "BURST_STREAM",
    "WINDOW_FRAMES",
    "WINDOW_STREAM",
    "StreamCounters",
    "StreamFace",
    "StreamSettings",
]

Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]


class StreamSettings(BaseModel):
    """How much work :class:`FaceStream` may skip."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_width: int = Field(default=640, ge=160, description="Full scans run at most this wide.")
    max_faces: int = Field(default=3, ge=1, description="Faces encoded per frame, largest first.")
    full_scan_every: int = Field(
        default=5, ge=1, description="While faces are followed, a full scan every N frames."
    )
    still_level: float = Field(
        default=3.0,
        ge=0.0,
        description="Mean grey change of the thumbnail below which it is still.",
    )
    still_rescan: int = Field(
        default=15, ge=1, description="An empty still scene is searched again after N frames."
    )
    roi_face_px: int = Field(default=100, ge=80, description="Face width in a followed search.")
    roi_margin: float = Field(default=0.6, gt=0.0, description="Search margin, in face widths.")
    grey_search: bool = Field(
        default=True,
        description="Full scans on the grey frame (faster); False: on RGB, as HogDetector.",
    )
    reuse_motion: float = Field(
        default=0.012,
        ge=0.0,
        description="Mean landmark motion (eye distances) below which the encoding is kept.",
    )
    reuse_max: int = Field(default=4, ge=0, description="Frames in a row an encoding is kept.")
    mirror_average: bool = Field(
        default=True, description="Average a followed face with its mirrored previous encoding."
    )
    landmark_points: Literal[5, 68] | None = Field(
        default=None,
        description="Landmark model for alignment and liveness: None, the configured one "
        "(biometrics.models.alignment_points: 5 unless PORTGATE_FACE_LANDMARKS=68).",
    )
    scan_face_px: int | None = Field(
        default=None,
        ge=80,
        description="Once a face was found, later full scans run at the one scale that makes "
        "it about this wide (kept for the stream: every frame's boxes on one pixel grid); None: "
        "at max_width.",
    )


# A burst for 1:1 and liveness (the frames after a credential, or a track's frames): the
# subject only, encoded in the first two frames (a chip, then the next frame's mirrored chip,
# averaged), landmarks in all of them. The whole frame is searched every time, in RGB, so
# the boxes, and the landmarks the liveness check reads, are exactly those its thresholds
# were calibrated on (LivenessChecker.check): a followed search's boxes differ in scale,
# and on the simulated attacks the landmark jitter that followed let a still photo approach
# the non-rigid-motion threshold; grey boxes let one more moving photo of 40 through.
BURST_STREAM = StreamSettings(
    max_faces=1, full_scan_every=1, grey_search=False, reuse_motion=1e9, reuse_max=10**6
)

# The agent's liveness window after a credential (gate_agent.face.window): frames fed one by
# one as the camera delivers them, each searched whole in RGB at max_width with the
# landmarks (exactly BURST_STREAM's boxes and landmarks, which the liveness thresholds were
# calibrated on), encoded in the first two frames only. Measured with bench/bench_liveness.py
# --window (docs/biometrics.md, "The 5-point default against the 68-point cues"): with the
# default 5-point cues, attack acceptance 1/120 = 0.8% and live rejection 3/40 on seed 13
# (the 68-point cues before them: 2/120 and 0/40). With the 68-point cues, cheaper searches
# let more attacks through: followed (ROI) boxes 3/120 with a still photo passing; full scans
# at the scale that makes the face 96 px wide (scan_face_px=96, about a third less time per
# frame) 2/120 but 1/40 live users refused on seed 13, and 3/120 on seed 7.
WINDOW_STREAM = StreamSettings(
    max_faces=1, full_scan_every=1, grey_search=False, reuse_motion=1e9, reuse_max=10**6
)
# Frames in a liveness window: the sequence length the thresholds were calibrated on.
WINDOW_FRAMES = 8


@dataclass(frozen=True)
class StreamFace:
    """One face in one frame.

    Attributes:
        box: Where it is, in frame pixels.
        landmarks: Its landmarks, (5, 2) (or (68, 2) where opted in), (x, y) frame pixels.
        encoding: The 128-d ``float32`` encoding (mirror-averaged once followed).
        grey_face: The grey pixels inside ``box`` (the liveness check's texture cue).
        followed: Whether it continues a face of the previous frame.
        raw: This frame's own encoding (mirrored on every other followed frame).
        mirrored: Whether ``raw`` is the mirrored chip's encoding.
        reused: Frames in a row this encoding was kept (0: encoded from this frame).
        anchor: The landmarks of the frame the encoding comes from.
        averaged: Whether ``encoding`` averages a chip and a mirrored chip.
        eyes: With 5 landmarks, the eye patches the liveness blink cue reads.
    """

    box: FaceBox
    landmarks: npt.NDArray[np.float64]
    encoding: Vector
    grey_face: Image
    followed: bool
    raw: Vector = field(repr=False)
    mirrored: bool = False
    reused: int = 0
    anchor: npt.NDArray[np.float64] | None = field(default=None, repr=False)
    averaged: bool = False
    eyes: npt.NDArray[np.float32] | None = field(default=None, repr=False)

    def liveness_track(self) -> FaceTrack:
        """This face as one step of a liveness track."""
        return FaceTrack(landmarks=self.landmarks, grey_face=self.grey_face, eyes=self.eyes)


@dataclass
class StreamCounters:
    """What the stream did (for benchmarks and metrics)."""

    frames: int = 0
    full_scans: int = 0
    followed_scans: int = 0
    still_skips: int = 0
    encodings: int = 0
    reused: int = 0
