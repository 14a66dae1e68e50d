"""The face step after a credential, pipelined with the camera: each frame worked on as it comes.

A badge tap whose holder's face is not yet verified on the face track opens a window
(`WindowVerifier.open_window`). It is fed, oldest first:

1. the frames the camera took just before the credential (the last `preroll_frames`, none
   older than `preroll_s`): the person was usually already in front of the reader, so
   these frames count towards the liveness window and the 1:1 encoding without waiting.
   The window does not search again the frames a presearch already searched
   (`gate_agent.face.presearch`, which follows every frame while a face is in view); they
   are still the last consecutive frames, never a pick of the searched ones: frames of
   uneven spacing refused live users;
2. then the frames after them in the order the camera took them (`following`: frames
   that arrived while the window worked are still in the pump's ring, about a second),
   so the liveness check judges consecutive frames, the spacing its thresholds were
   calibrated on.

A window that can (`PrefetchingWindow`) has the pre-roll frames, and then every frame after
the credential as soon as it arrives, searched on other cores while it works (the
whole-frame search is most of a frame's cost, and dlib releases the GIL in it).

The window says when its outcome is certain (the 1:1 distance known and liveness judged:
a mismatch is known after two frames, but liveness is judged still, so that the denial's
reason is right); feeding stops there, or after `max_frames` frames, or at the
deadline. An inconclusive window (too few frames with the face) reports a failed liveness
check: it never opens, its reason sends the person to the guard.

The deadline bounds the wait for the camera, not the window's work: a frame the camera
delivered before the deadline is still worked on after it (for at most `late_s`), and the
frames that arrive while the window works are kept for it as they come. On a box whose CPU
is shared (several lanes, or a loaded machine) the window's work on its first frames took
longer than the deadline while the frames after the tap sat in the camera's ring; refusing
then (`too_few_frames`) sent live users to the guard for the box's load, not their face,
and a window slower than the ring (about a second) was fed frames with a gap.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gate_agent.camera.frames import Frame, Image
from gate_agent.face.hint import FaceHints, faces_seen
from gate_agent.face.step import (
    FaceMatch,
    FaceOutcome,
    FaceWindow,
    LivenessChecker,
    PrefetchingWindow,
    WindowVerifier,
    outcome_of,
)

__all__ = ["FrameFeed", "WindowPlan", "run_face_window"]

_log = logging.getLogger(__name__)
# Frames looked at for new arrivals: more than the camera's ring holds (30 by default).
_RING_LOOK = 64


class FrameFeed(Protocol):
    """The camera's recent and next frames (`gate_agent.camera.frame_pump.FramePump`)."""

    def burst(self, *, count: int, since: float, timeout_s: float) -> list[Frame]:
        """Up to `count` recent frames captured at or after `since`."""
        ...

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        """The first frame captured after `after`, waiting at most `timeout_s`."""
        ...


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """How many frames a window may take, and how long it may wait for them.

    Args:
        preroll_frames: Frames from just before the credential, at most. Kept below the
            liveness window so that at least some frames come after the credential.
        preroll_s: Frames older than this before the credential are not used.
        max_frames: Frames fed in all, at most (pre-roll included).
        timeout_s: The longest wait for the window's frames after the credential.
        late_s: How long after `timeout_s` the window may still work on frames the camera
            delivered within it (a busy CPU makes the window late, not the face absent).
    """

    preroll_frames: int = 6
    preroll_s: float = 0.5
    max_frames: int = 16
    timeout_s: float = 1.5
    late_s: float = 3.0


class _Ahead:
    """Keeps each frame after the credential as it comes, and has it searched beside the window.

    The window works through its pre-roll while the camera delivers the frames after the
    credential; asked for as they arrive (not when the window reaches them), their
    searches are done on the other core by the time the window feeds them. They are kept
    here (at most `keep`) until the window takes them: a window slower than the camera's
    ring still gets consecutive frames.
    """

    def __init__(self, feed: FrameFeed, window: object, *, since: float, keep: int) -> None:
        self._feed = feed
        self._window = window if isinstance(window, PrefetchingWindow) else None
        self._since = since
        self._asked_until = since - 1e-6  # a frame taken at the credential counts as after
        self._kept: deque[Frame] = deque(maxlen=max(keep, 1))

    def ask(self, images: Sequence[Image]) -> None:
        """Have these frames searched ahead (the pre-roll)."""
        if self._window is not None and images:
            self._window.prefetch(images)

    def ask_arrived(self) -> None:
        """Keep the frames that arrived since the last call, and have them searched ahead."""
        recent = self._feed.burst(count=_RING_LOOK, since=self._since, timeout_s=0)
        fresh = [frame for frame in recent if frame.at > self._asked_until]
        # The oldest ones, as many as there is room for: the window takes them in camera
        # order (a later call fetches the rest while the ring still holds them).
        fresh = fresh[: (self._kept.maxlen or 0) - len(self._kept)]
        if not fresh:
            return
        self._kept.extend(fresh)
        self._asked_until = fresh[-1].at
        if self._window is not None:
            self._window.prefetch([frame.image for frame in fresh])

    def kept_after(self, at: float) -> Frame | None:
        """The first kept frame captured after `at` (older ones are let go)."""
        while self._kept and self._kept[0].at <= at:
            self._kept.popleft()
        return self._kept.popleft() if self._kept else None


def preroll(feed: FrameFeed, *, since: float, plan: WindowPlan) -> list[Frame]:
    """The last frames from just before `since` (oldest first), within the plan's limits."""
    if plan.preroll_frames <= 0:
        return []
    recent = feed.burst(count=plan.preroll_frames + 4, since=since - plan.preroll_s, timeout_s=0)
    before = [f for f in recent if since - plan.preroll_s <= f.at < since]
    return before[-plan.preroll_frames :]


def _fed(window: FaceWindow, image: Image, hints: FaceHints | None) -> bool:
    """Feed the window one frame; the lane's hint judges it from the faces the window found."""
    settled = window.feed(image)
    if hints is not None:  # no search of its own: the window's boxes and landmarks
        hints.see(image, faces_seen(window))
    return settled


def next_frame(
    feed: FrameFeed, ahead: _Ahead, *, after: float, deadline: float, late_until: float
) -> Frame | None:
    """The frame after `after`: kept, in the ring, or awaited until the deadline.

    None once the camera delivered nothing more before the deadline, or the window is
    past `late_until`.
    """
    now = time.monotonic()
    if now >= late_until:
        return None
    frame = ahead.kept_after(after)
    if frame is None:
        # The next frame, not the newest: the liveness cues were calibrated on
        # consecutive frames, and the newest after the pre-roll's work skipped about
        # five (live users were refused for rigid motion in the agent, not offline).
        frame = feed.following(after=after, timeout_s=max(deadline - now, 0.0))
    return frame if frame is not None and frame.at <= deadline else None


def run_face_window(
    *,
    feed: FrameFeed,
    since: float,
    verifier: WindowVerifier,
    templates: Sequence[bytes],
    liveness: LivenessChecker | None,
    plan: WindowPlan,
    hints: FaceHints | None = None,
) -> FaceOutcome:
    """Verify the holder and check liveness over frames fed as the camera delivers them.

    Args:
        feed: The camera's frames.
        since: When the credential arrived (monotonic, as frame times).
        verifier: Opens the window.
        templates: The holder's templates (none: a face seen cannot match).
        liveness: The liveness check; None: not checked.
        plan: Frame and time limits.
        hints: Judges each frame fed for the lane's face-position hint (None: no display).

    Returns:
        The face step's outcome; `face_ms` is the time from the credential to the outcome.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + plan.timeout_s
    late_until = deadline + plan.late_s
    window = verifier.open_window(templates=templates, liveness=liveness)
    fed = 0
    # A frame taken at the very moment of the credential counts as one after it.
    last_at = since - 1e-6
    try:
        settled = False
        frames = preroll(feed, since=since, plan=plan)
        ahead = _Ahead(feed, window, since=since, keep=plan.max_frames)
        # Their searches run on other cores while this thread works frame by frame.
        ahead.ask([frame.image for frame in frames])
        for frame in frames:
            fed += 1
            last_at = frame.at
            if _fed(window, frame.image, hints):
                settled = True
                break
            ahead.ask_arrived()
        while not settled and fed < plan.max_frames:
            frame_or_none = next_frame(
                feed, ahead, after=last_at, deadline=deadline, late_until=late_until
            )
            if frame_or_none is None:
                break
            last_at = frame_or_none.at
            ahead.ask_arrived()
            fed += 1
            settled = _fed(window, frame_or_none.image, hints)
        match, verdict = window.result()
    except Exception:
        _log.exception("face window failed; reporting no face seen")
        match, verdict = FaceMatch(seen=False), None
    elapsed_ms = (time.perf_counter() - started) * 1000
    return outcome_of(
        match,
        verdict,
        face_ms=elapsed_ms,
        liveness_ms=0.0 if verdict is not None else None,
    )
