"""The ``face`` section of the agent config: the face step, its track and pre-search.

A room of its own below `config` (as `display`'s settings are), so that `config.py` stays
readable; the face room itself sits above `config` and reads these values.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FaceConfig"]


class FaceConfig(BaseModel):
    """The agent's face step (the gate policy in the replica says whether a face is required)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Run the face step at all")
    burst_frames: int = Field(
        default=5, ge=1, le=30, description="Frames taken after a credential for verify+liveness"
    )
    burst_timeout_ms: int = Field(
        default=1500, ge=50, le=10_000, description="Longest wait for the burst's frames"
    )
    verify_frames: int = Field(
        default=2, ge=1, le=30, description="Frames of the burst encoded for 1:1 verification"
    )
    liveness: bool = Field(
        default=True,
        description="Run the liveness check (a gate whose policy requires it denies without)",
    )
    liveness_config: Path | None = Field(
        default=None,
        description="The gate's liveness config from `portgate liveness calibrate` (thresholds "
        "fitted to this camera; validated at start); none: the default thresholds",
    )
    track_window_s: float = Field(
        default=3.0,
        ge=0,
        le=30,
        description="Faces in view are encoded before any credential and kept this long after "
        "they were last seen; a badge tap whose holder's face is in the track (1:1, liveness "
        "passed) decides at once (0: no track, the frames after the credential decide)",
    )
    track_liveness_keep_s: float = Field(
        default=2.0,
        ge=0,
        le=30,
        description="A track's passed liveness verdict holds this long (seconds since the "
        "newest frame it judged) before it is judged again on new frames (0: on every "
        "window of new frames)",
    )
    identify_margin: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Face-only 1:N (gate policy face_identification): the nearest enrolled "
        "person must be this much closer than the next one, else the face is not identified "
        "and the person is sent to the guard",
    )
    track_interval_ms: int = Field(
        default=200,
        ge=20,
        le=5000,
        description="The tracker looks at one frame per interval at most (CPU budget)",
    )
    presearch: bool = Field(
        default=True,
        description="Search camera frames for faces before any tap (the newest every 80 ms "
        "while the scene moves, every frame in camera order while a face is in view; with a "
        "face track, only while a face in view has not passed liveness in it), so the face "
        "window after a tap finds its pre-roll searched (docs/agent.md). Costs up to about "
        "one core while it follows a face",
    )
    presearch_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="The presearch's searches run this many nice levels below the agent's "
        "other threads: work done ahead takes only the CPU that tracking and decisions leave "
        "(a box serving several lanes); 0: the same priority",
    )
