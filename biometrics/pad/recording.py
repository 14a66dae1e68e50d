"""The recording format: a folder of labelled presentation sessions (docs/liveness.md).

A recording is a folder with one subfolder per session. A session holds its frames, as
image files (taken in name order) or one short video file OpenCV can read, and a
``session.json`` (:class:`SessionInfo`) that says what was presented: ``bona_fide`` or a
presentation attack instrument (PAI) species (``print``, ``screen``, ``video``, ``mask``).
A session without ``session.json``, with a species nobody knows or without frames is an
error naming the session: a recording is measured whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from biometrics.errors import BiometricsError, ImageError

__all__ = [
    "ATTACK_SPECIES",
    "FRAME_SUFFIXES",
    "SESSION_FILE",
    "VIDEO_SUFFIXES",
    "PresentationLabel",
    "RecordedSession",
    "RecordingError",
    "SessionInfo",
    "load_recording",
    "parse_label",
    "read_session_frames",
    "write_session",
]

SESSION_FILE = "session.json"
FRAME_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".webm"})
_MAX_VIDEO_FRAMES = 900  # 30 s at 30 fps: a presentation, not a film


class RecordingError(BiometricsError):
    """A recording folder or one of its sessions cannot be used (the message names it)."""


class PresentationLabel(StrEnum):
    """What a session presented: a bona fide face or a PAI species (ISO/IEC 30107-3)."""

    BONA_FIDE = "bona_fide"
    PRINT = "print"
    SCREEN = "screen"
    VIDEO = "video"
    MASK = "mask"


ATTACK_SPECIES = tuple(
    label for label in PresentationLabel if label is not PresentationLabel.BONA_FIDE
)


def parse_label(text: str) -> PresentationLabel:
    """The label named by `text`.

    Raises:
        RecordingError: no such label (the message lists the known ones).
    """
    try:
        return PresentationLabel(text)
    except ValueError:
        known = ", ".join(label.value for label in PresentationLabel)
        raise RecordingError(f"unknown species {text!r}; known: {known}") from None


class SessionInfo(BaseModel):
    """``session.json``: what one session presented, where and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    label: PresentationLabel = Field(description="bona_fide or the PAI species presented")
    gate: str = Field(min_length=1, max_length=64, description="Gate whose camera recorded it")
    camera: str = Field(default="", max_length=200, description="The camera source, in words")
    recorded_at: AwareDatetime = Field(description="When the recording started")
    subject: str | None = Field(
        default=None,
        max_length=64,
        description="Pseudonym of the person presenting (never a name); sessions of one "
        "subject stay on one side of a calibration split",
    )
    notes: str = Field(default="", max_length=2000, description="The recorder's notes")
    frames: int = Field(default=0, ge=0, description="Frames recorded (informative)")


@dataclass(frozen=True)
class RecordedSession:
    """One session of a recording: its folder, its label and its frame files or video."""

    path: Path
    info: SessionInfo
    media: tuple[Path, ...]

    @property
    def is_attack(self) -> bool:
        """Whether the session presented an attack instrument."""
        return self.info.label is not PresentationLabel.BONA_FIDE


def _read_info(folder: Path) -> SessionInfo:
    path = folder / SESSION_FILE
    if not path.is_file():
        raise RecordingError(f"unlabeled session {folder}: no {SESSION_FILE}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordingError(f"{path} is not readable JSON: {exc}") from None
    if isinstance(raw, dict) and isinstance(raw.get("label"), str):
        parse_label(raw["label"])  # the one message for an unknown species
    try:
        return SessionInfo.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "session"
        raise RecordingError(f"{path}: {where}: {first['msg']}") from None


def _media(folder: Path) -> tuple[Path, ...]:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    frames = tuple(p for p in files if p.suffix.lower() in FRAME_SUFFIXES)
    videos = tuple(p for p in files if p.suffix.lower() in VIDEO_SUFFIXES)
    if frames and videos:
        raise RecordingError(f"session {folder} holds both frames and a video; keep one")
    if len(videos) > 1:
        raise RecordingError(f"session {folder} holds {len(videos)} videos; keep one")
    if not frames and not videos:
        raise RecordingError(f"session {folder} holds no frames and no video")
    return frames or videos


def load_recording(folder: Path) -> list[RecordedSession]:
    """Read every session of a recording folder (no frame is decoded yet).

    Raises:
        RecordingError: the folder is missing or empty, or a session is unlabeled, names an
            unknown species or holds no frames.
    """
    if not folder.is_dir():
        raise RecordingError(f"recording folder {folder} does not exist")
    sessions = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        sessions.append(RecordedSession(path, _read_info(path), _media(path)))
    if not sessions:
        raise RecordingError(f"recording folder {folder} holds no sessions")
    return sessions


def _read_video(path: Path) -> list[npt.NDArray[np.uint8]]:
    import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

    capture = cv2.VideoCapture(str(path))
    frames: list[npt.NDArray[np.uint8]] = []
    try:
        while len(frames) < _MAX_VIDEO_FRAMES:
            ok, image = capture.read()
            if not ok or image is None:
                break
            frames.append(np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)))
    finally:
        capture.release()
    if not frames:
        raise RecordingError(f"video {path} has no frames OpenCV can read")
    return frames


def read_session_frames(session: RecordedSession) -> list[npt.NDArray[np.uint8]]:
    """Decode a session's frames as RGB ``uint8``, in order.

    Raises:
        RecordingError: a frame or the video cannot be decoded.
    """
    from biometrics.images import load_image  # noqa: PLC0415

    if session.media[0].suffix.lower() in VIDEO_SUFFIXES:
        return _read_video(session.media[0])
    try:
        return [load_image(path) for path in session.media]
    except ImageError as exc:
        raise RecordingError(f"session {session.path}: {exc}") from None


def write_session(
    folder: Path, info: SessionInfo, bgr_frames: Sequence[npt.NDArray[np.uint8]]
) -> Path:
    """Write one session (PNG frames from BGR camera images, then ``session.json``).

    Args:
        folder: The session's folder; must not exist yet.
        info: What was presented.
        bgr_frames: The frames, BGR as a camera delivers them.

    Returns:
        The folder written.

    Raises:
        RecordingError: the folder exists, there are no frames, or a frame cannot be written.
    """
    import cv2  # noqa: PLC0415

    if not bgr_frames:
        raise RecordingError("no frames to write")
    if folder.exists():
        raise RecordingError(f"session folder {folder} exists already")
    folder.mkdir(parents=True)
    for number, frame in enumerate(bgr_frames):
        if not cv2.imwrite(str(folder / f"frame-{number:04d}.png"), frame):
            raise RecordingError(f"cannot write frame {number} to {folder}")
    info = info.model_copy(update={"frames": len(bgr_frames)})
    # session.json last: a session cut short by a crash reads as unlabeled, never as whole.
    (folder / SESSION_FILE).write_text(info.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return folder
