"""Decides one presentation: face step, then the central API, then the replica if the API is away.

Runs in the agent's decision worker thread (face work and HTTP block); it reads the replica
index the loop last installed (an immutable object swapped whole) and never touches the
loop's state.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from gate_protocol.messages import new_id
from gate_protocol.policy import FaceEvidence
from gate_protocol.records import HostPresentation, LastPassage
from gate_protocol.replica import ReplicaIndex

from gate_agent.camera.frame_pump import FramePump
from gate_agent.decision.presentation import Presentation, Verdict
from gate_agent.decision.replica_policy import (
    build_query,
    face_required,
    holder_id,
    replica_verdict,
    verdict_from_answer,
)
from gate_agent.face.hint import FaceHints, HintCallback
from gate_agent.face.loop_thread import LoopThread
from gate_agent.face.step import (
    FaceOutcome,
    FaceVerifier,
    LivenessChecker,
    WindowVerifier,
    run_face_step,
)
from gate_agent.face.track import template_matrix
from gate_agent.face.tracker import FaceTracker
from gate_agent.face.watchlist import WatchlistScreen
from gate_agent.face.window import WindowPlan, run_face_window
from gate_agent.links.api_client import ApiClient, ApiError, ApiRejected, ApiUnavailable

__all__ = ["FaceSettings", "PresentationDecided", "PresentationDecider", "ReplicaView"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplicaView:
    """The replica as the loop last installed it, with its last successful sync time.

    `used_appointments` are one-time passes this gate consumed while deciding offline,
    which the replica may not know yet; `last_passages` are people's last passages through
    this gate (the replica carries none), for anti-passback while offline;
    `recent_presentations` are the latest grants at this gate's lanes, oldest first, for
    escort mode while offline (in memory only: a restarted agent starts without them).
    """

    index: ReplicaIndex | None
    last_sync_at: datetime | None
    used_appointments: frozenset[str] = frozenset()
    last_passages: Mapping[str, LastPassage] = field(default_factory=dict)
    recent_presentations: tuple[HostPresentation, ...] = ()


@dataclass(frozen=True, slots=True)
class FaceSettings:
    """The face step's wiring: the camera's frames, the biometric checks, the face track.

    The face track and the pre-search worker (`presearch`) are held idle while a
    presentation is decided (`PresentationDecider.decide`). A verifier that works frame by
    frame (`WindowVerifier`) gets the frames as the camera delivers them
    (`gate_agent.face.window`, within `burst_timeout_s`); any other waits for a burst of
    `burst_frames` frames.
    """

    pump: FramePump
    verifier: FaceVerifier
    liveness: LivenessChecker | None
    burst_frames: int
    burst_timeout_s: float
    tracker: FaceTracker | None = None
    presearch: LoopThread | None = None


class PresentationDecider:
    """Turns a presentation into a decision.

    Args:
        api: The central API client (its decision timeout is the hard limit).
        replica: Returns the current replica view.
        face: The face step's wiring; None when the gate has no camera.
        clock: The wall clock (UTC, aware).
        retry_after_s: After the API failed to answer, the replica decides alone for this
            long before the API is asked again (0: ask every time). People at the gate do
            not each wait out the timeout during an outage, and decisions do not queue up.
        looking: Told the lane, the holder and the QR pass (if one) whose face step waits
            for frames (the lane display).
        on_hint: Told `(lane, reason)` when the face-position hint of a waiting face step
            changes (`gate_agent.face.hint`; None: no lane has a display).
    """

    def __init__(
        self,
        *,
        api: ApiClient,
        replica: Callable[[], ReplicaView],
        face: FaceSettings | None,
        clock: Callable[[], datetime],
        retry_after_s: float = 0.0,
        looking: Callable[[int, str | None, str | None], None] | None = None,
        on_hint: HintCallback | None = None,
    ) -> None:
        self._api = api
        self._replica = replica
        self._face = face
        self._clock = clock
        self._retry_after_s = retry_after_s
        self._api_away_until = 0.0
        self._watchlist = WatchlistScreen()
        self._looking = looking
        self._on_hint = on_hint

    def decide(self, presentation: Presentation) -> PresentationDecided:
        """Run the face step if the gate wants one, then ask the API or the replica.

        The track's judge and the presearch are held idle until the decision is made: the
        person at the gate waits on it, and their searches would only delay it. The
        tracker goes on (`FaceTracker.hold_judge`): held through a slow window, it missed
        the next person walking up.
        """
        with contextlib.ExitStack() as held:
            face = self._face
            if face is not None and face.tracker is not None:
                held.enter_context(face.tracker.hold_judge())
            if face is not None and face.presearch is not None:
                held.enter_context(face.presearch.hold())
            return self._decide(presentation)

    def _decide(self, presentation: Presentation) -> PresentationDecided:
        view = self._replica()
        outcome = self._run_face(presentation, view.index)
        if outcome is not None:
            # Whoever's badge it is: the face just encoded is screened (API and replica alike).
            outcome = self._watchlist.screen(view.index, outcome)
        evidence = outcome.evidence if outcome is not None else None
        started = time.perf_counter()
        query = build_query(presentation=presentation, face=evidence, request_id=new_id())
        try:
            if time.monotonic() < self._api_away_until:
                raise ApiUnavailable("API failed recently; not asked again yet")
            verdict = verdict_from_answer(self._api.decide(query))
        except ApiError as exc:
            if isinstance(exc, ApiRejected):
                _log.error("API refused the decision request (%s); deciding from replica", exc)
            elif time.monotonic() >= self._api_away_until:
                _log.warning("API unavailable (%s); deciding from replica", exc)
                self._api_away_until = time.monotonic() + self._retry_after_s
            verdict = replica_verdict(
                index=view.index,
                presentation=presentation,
                face=evidence,
                now=self._clock(),
                last_sync_at=view.last_sync_at,
                used_appointments=view.used_appointments,
                last_passages=view.last_passages,
                recent_presentations=view.recent_presentations,
            )
        decision_ms = (time.perf_counter() - started) * 1000
        return PresentationDecided(
            presentation=presentation, verdict=verdict, face=outcome, decision_ms=decision_ms
        )

    def _run_face(
        self, presentation: Presentation, index: ReplicaIndex | None
    ) -> FaceOutcome | None:
        if presentation.face is not None:
            return presentation.face  # face-only: identified (and checked) on the face track
        face = self._face
        person_id = holder_id(index, presentation)
        if face is None or not face_required(index, person_id):
            return None
        templates: list[bytes] = []
        if index is not None and person_id is not None:
            templates = [_b64(t.encoding_b64) for t in index.templates_of(person_id)]
        tracked = self._from_track(face, templates, index)
        if tracked is not None:
            return tracked
        if self._looking is not None:  # the person is asked to look up while frames come
            self._looking(presentation.lane, person_id, presentation.pass_id)
        if isinstance(face.verifier, WindowVerifier):
            hints = None if self._on_hint is None else FaceHints(presentation.lane, self._on_hint)
            return run_face_window(
                feed=face.pump,
                since=presentation.started,
                verifier=face.verifier,
                templates=templates,
                liveness=face.liveness,
                plan=WindowPlan(timeout_s=face.burst_timeout_s),
                hints=hints,
            )
        frames = face.pump.burst(
            count=face.burst_frames, since=presentation.started, timeout_s=face.burst_timeout_s
        )
        try:
            return run_face_step(
                images=[frame.image for frame in frames],
                templates=templates,
                verifier=face.verifier,
                liveness=face.liveness,
            )
        except Exception:
            _log.exception("face step failed; reporting no face seen")
            return run_face_step(images=[], templates=[], verifier=face.verifier, liveness=None)

    @staticmethod
    def _from_track(
        face: FaceSettings, templates: list[bytes], index: ReplicaIndex | None
    ) -> FaceOutcome | None:
        """The holder's face from the track of faces seen before the credential, if there."""
        if face.tracker is None or index is None or not templates:
            return None
        started = time.perf_counter()
        match = face.tracker.tracks.match(
            template_matrix(templates),
            threshold=index.snapshot.gate.verify_threshold,
            now=time.monotonic(),
            require_liveness=face.liveness is not None,
        )
        if match is None:
            return None
        liveness = match.liveness
        return FaceOutcome(
            evidence=FaceEvidence(
                seen=True,
                distance=match.distance,
                liveness_passed=liveness.passed if liveness is not None else None,
                liveness_score=min(max(liveness.score, 0.0), 10.0) if liveness else None,
            ),
            face_ms=(time.perf_counter() - started) * 1000,
            liveness_ms=0.0 if liveness is not None else None,
            track_age_s=match.age_s,
            encodings=match.encodings,
        )


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


@dataclass(frozen=True, slots=True)
class PresentationDecided:
    """The decision worker's result for one presentation."""

    presentation: Presentation
    verdict: Verdict
    face: FaceOutcome | None
    decision_ms: float
