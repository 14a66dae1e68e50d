"""The liveness check over recorded sessions, and the sessions re-judged under other thresholds.

A session is judged the way a gate judges a person in view: window after window of
consecutive frames (``WINDOW_FRAMES`` by default), each window one liveness assessment, and
the session accepted as bona fide when any window passes (a gate's face track keeps
judging while the face stays in view, so an attacker gets every window too). Its score is
the best window's.

Only the public interface of :class:`biometrics.LivenessChecker` is used (``track``,
``assess``, ``settings``) and the cues a verdict keeps in ``details``, so this works
whichever landmark model the checker uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from biometrics.liveness import (
    FaceTrack,
    LivenessChecker,
    LivenessReason,
    LivenessSettings,
    LivenessVerdict,
    judge_cues,
)
from biometrics.pad.metrics import Scored
from biometrics.pad.recording import RecordedSession, read_session_frames
from biometrics.stream_settings import WINDOW_FRAMES

__all__ = ["JudgedSession", "judge_session", "rejudge", "rejudge_all", "session_score"]

_CUES = ("nonrigid", "motion", "blink", "moire")
# Failures that say nothing about the cues: their score is 0 whatever the thresholds.
_BLIND = {LivenessReason.NO_FACE, LivenessReason.TOO_FEW_FRAMES, LivenessReason.ERROR}


def session_score(verdict: LivenessVerdict) -> float:
    """A verdict's score on one scale for thresholds: 0 when no cue could be measured."""
    if verdict.reason in _BLIND or verdict.reason is LivenessReason.NO_MOTION:
        return 0.0
    return verdict.score


@dataclass(frozen=True)
class JudgedSession:
    """A session and the verdict of each of its windows."""

    session: RecordedSession
    windows: tuple[LivenessVerdict, ...]

    @property
    def accepted(self) -> bool:
        """Whether any window passed (the session was taken for a live face)."""
        return any(v.passed for v in self.windows)

    @property
    def score(self) -> float:
        """The best window's score."""
        return max((session_score(v) for v in self.windows), default=0.0)

    def scored(self) -> Scored:
        """The session as a labelled, decided, scored presentation for the metrics."""
        return Scored(self.session.info.label, self.accepted, self.score)


def _windows(count: int, window: int) -> list[range]:
    if count <= window:
        return [range(count)]
    return [range(start, start + window) for start in range(0, count - window + 1, window)]


def judge_session(
    checker: LivenessChecker, session: RecordedSession, *, window: int = WINDOW_FRAMES
) -> JudgedSession:
    """Run the liveness check over a session's frames, window by window.

    Args:
        checker: The check (its settings decide each window).
        session: The session.
        window: Frames per assessment.

    Raises:
        RecordingError: a frame cannot be decoded.
    """
    frames = read_session_frames(session)
    # Each frame is searched once; a window judges the faces found in its frames.
    found: list[FaceTrack | None] = []
    for frame in frames:
        tracks = checker.track([frame])
        found.append(tracks[0] if tracks else None)
    verdicts = []
    for span in _windows(len(frames), window):
        tracks = [t for t in (found[i] for i in span) if t is not None]
        verdicts.append(checker.assess(tracks))
    return JudgedSession(session, tuple(verdicts))


def rejudge(judged: JudgedSession, settings: LivenessSettings) -> JudgedSession:
    """The same session judged from its windows' stored cues under other thresholds (pure)."""
    windows = []
    for verdict in judged.windows:
        if all(cue in verdict.details for cue in _CUES):
            windows.append(judge_cues(verdict.details, settings))
        else:
            windows.append(verdict)
    return JudgedSession(judged.session, tuple(windows))


def rejudge_all(judged: Sequence[JudgedSession], settings: LivenessSettings) -> list[Scored]:
    """Every session re-judged under `settings`, as scored presentations."""
    return [rejudge(j, settings).scored() for j in judged]
