"""A short, time-bounded track of the faces in front of the camera. Pure bookkeeping.

While nobody presents a credential the tracker thread (`gate_agent.face.tracker`) encodes the
faces it sees and files them here: a face close enough to a track's last encodings extends
that track, any other face opens a new one. Each track keeps its last few encodings and the
frames it was seen in (for liveness over the sequence) and its liveness verdict. A badge tap
then asks `match` for a track that matches the claimed person at the gate's 1:1 threshold and
passed liveness: that decides at once, without waiting for new frames.

Rules that keep it safe: a track last seen longer ago than the window is forgotten (and its
encodings and frames with it: nothing is written anywhere, nothing is logged); a track
decides one presentation at most; another person's face never matches. `faces_between`
counts the distinct faces seen in a time span (the tailgating cue).

Thread-safe: the tracker thread writes, the decision worker and the agent loop read.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from biometrics.detection import FaceBox
from biometrics.stream_settings import WINDOW_FRAMES
from biometrics.templates import template_matrix as usable_templates

from gate_agent.face.step import LivenessResult

__all__ = [
    "SAME_FACE_DISTANCE",
    "FaceTracks",
    "SeenFace",
    "TrackMatch",
    "TrackSnapshot",
    "template_matrix",
]

Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]
# Two encodings this close are taken as the same person from one frame to the next (the
# same person's frames sit around 0.2-0.4; different people above 0.6).
SAME_FACE_DISTANCE = 0.5
_KEEP_ENCODINGS = 4
_MAX_TRACKS = 16
_KEEP_SIGHTINGS = 200
# How long the bare sighting times of a forgotten track are kept for the tailgating count.
_HISTORY_S = 60.0
# A face not seen for longer than this left the camera (the tracker sees a face in view at
# 4-10 fps, stalls included): when it comes back, its liveness is judged afresh on frames
# from after the gap. Its verdict and window of frames belong to the presentation that
# ended; kept, a photo of the same person shown within the track's window would inherit
# the live face's pass, and the window would judge live frames mixed with the photo's.
_CONTINUOUS_S = 1.0


@dataclass(frozen=True, slots=True)
class SeenFace:
    """One face found in a frame: its 128-d encoding and where it is (None: not known)."""

    encoding: Vector
    box: FaceBox | None = None


@dataclass
class _Track:
    track_id: int
    first_at: float
    last_at: float
    encodings: deque[Vector]
    frames: deque[Image]
    boxes: deque[FaceBox | None]
    new_frames: int = 0
    liveness: LivenessResult | None = None
    used: bool = False
    # When the last liveness verdict was given (the newest frame it judged).
    judged_at: float = 0.0
    # Counts the face's returns after a gap: a verdict on frames from before one is stale.
    presentation: int = 0
    seen_at: deque[float] = field(default_factory=lambda: deque(maxlen=_KEEP_SIGHTINGS))


@dataclass(frozen=True, slots=True)
class TrackMatch:
    """A track that verified the claimed person: its best distance and liveness verdict.

    `encodings` are the track's last encodings (for the watchlist screen; never logged).
    """

    track_id: int
    distance: float
    liveness: LivenessResult | None
    age_s: float
    encodings: tuple[Vector, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class TrackSnapshot:
    """What a track holds now (for liveness checks and 1:N identification)."""

    track_id: int
    encodings: tuple[Vector, ...]
    frames: tuple[Image, ...]
    liveness: LivenessResult | None
    used: bool
    first_at: float
    boxes: tuple[FaceBox | None, ...] = ()
    last_at: float = 0.0
    new_frames: int = 0
    presentation: int = 0


def template_matrix(templates: Sequence[bytes]) -> npt.NDArray[np.float32]:
    """Templates (512 bytes: 128 little-endian float32) as a (k, 128) matrix; bad ones skipped.

    A broken template (wrong size, non-finite, implausible norm; `biometrics.templates`)
    matches nobody, so leaving it out keeps the person's other templates usable.
    """
    return usable_templates(templates)[0]


def _restart_presentation(track: _Track, at: float) -> None:
    """The face came back after a gap: no verdict, and frames and time in view from `at` on.

    The time in view is a decision's "in view N s".
    """
    track.first_at = at
    track.frames.clear()
    track.boxes.clear()
    track.liveness = None
    track.new_frames = 0
    track.presentation += 1


def _distances(encodings: Sequence[Vector], templates: npt.NDArray[np.float32]) -> float:
    """The smallest Euclidean distance between any encoding and any template."""
    probes = np.asarray(encodings, dtype=np.float64)
    gallery = np.asarray(templates, dtype=np.float64)
    diff = probes[:, None, :] - gallery[None, :, :]
    return float(np.sqrt((diff * diff).sum(axis=2)).min())


class FaceTracks:
    """The faces seen in the last few seconds.

    Args:
        window_s: A track last seen longer ago than this is forgotten.
        liveness_frames: New frames after which a failed liveness verdict is checked again.
        window_frames: Frames a track keeps and needs before its first liveness check: the
            sequence length the liveness thresholds were calibrated on (a shorter one
            refuses live users far more often).
        passed_keep_s: A passed verdict is judged again only once it is this old (seconds
            since the newest frame it judged), on a whole window of frames new since. No
            default: `FaceConfig.track_liveness_keep_s` owns it, and a second default here
            could drift from the one the agent runs with.
    """

    def __init__(
        self,
        *,
        window_s: float,
        liveness_frames: int,
        window_frames: int = WINDOW_FRAMES,
        passed_keep_s: float,
    ) -> None:
        if passed_keep_s < 0:
            raise ValueError(f"passed_keep_s must be >= 0, got {passed_keep_s}")
        self.window_s = window_s
        self._liveness_frames = liveness_frames
        self._passed_keep_s = passed_keep_s
        self._window_frames = max(window_frames, 1)
        self._tracks: dict[int, _Track] = {}
        # Forgotten tracks: only when they were seen (no encoding, no frame).
        self._past: deque[tuple[float, ...]] = deque()
        self._next_id = 1
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tracks)

    def observe(self, faces: Sequence[SeenFace], *, image: Image, at: float) -> list[int]:
        """File the faces of one frame; returns the ids of the tracks they went to."""
        with self._lock:
            self._expire(at)
            ids: list[int] = []
            for face in faces:
                track = self._nearest(face.encoding, exclude=ids)
                if track is None:
                    track = self._open(at)
                elif at - track.last_at > _CONTINUOUS_S:
                    _restart_presentation(track, at)
                if not track.encodings or track.encodings[-1] is not face.encoding:
                    # A followed face keeps its encoding object (gate_agent.face.observer):
                    # filed once, so the track's other recent encodings stay.
                    track.encodings.append(face.encoding)
                track.frames.append(image)
                track.boxes.append(face.box)
                track.new_frames += 1
                track.last_at = max(track.last_at, at)
                track.seen_at.append(at)
                ids.append(track.track_id)
            return ids

    def _nearest(self, encoding: Vector, *, exclude: list[int]) -> _Track | None:
        best: _Track | None = None
        best_distance = SAME_FACE_DISTANCE
        for track in self._tracks.values():
            if track.track_id in exclude:
                continue
            distance = _distances(track.encodings, encoding[None, :])
            if distance < best_distance:
                best, best_distance = track, distance
        return best

    def _open(self, at: float) -> _Track:
        if len(self._tracks) >= _MAX_TRACKS:
            oldest = min(self._tracks.values(), key=lambda t: t.last_at)
            self._forget(oldest)
        track = _Track(
            track_id=self._next_id,
            first_at=at,
            last_at=at,
            encodings=deque(maxlen=_KEEP_ENCODINGS),
            frames=deque(maxlen=self._window_frames),
            boxes=deque(maxlen=self._window_frames),
        )
        self._next_id += 1
        self._tracks[track.track_id] = track
        return track

    def _expire(self, now: float) -> None:
        for track in list(self._tracks.values()):
            if now - track.last_at > self.window_s:
                self._forget(track)
        while self._past and now - self._past[0][-1] > _HISTORY_S:
            self._past.popleft()

    def _forget(self, track: _Track) -> None:
        # The encodings and frames go now; the sighting times stay a minute for tailgating.
        del self._tracks[track.track_id]
        self._past.append(tuple(track.seen_at) or (track.last_at,))

    def due_for_liveness(self) -> list[TrackSnapshot]:
        """Tracks with a full window of frames and enough new ones for a (new) liveness check."""
        with self._lock:
            return [
                self._snapshot(track)
                for track in self._tracks.values()
                if len(track.frames) >= self._window_frames and self._due(track)
            ]

    def _due(self, track: _Track) -> bool:
        # A failed verdict is tried again after a few new frames. A passed one holds for
        # `passed_keep_s`: re-judging it on every window (each frame a whole-frame search)
        # cost a lane about a quarter of a core while a person walked up. Another person's
        # face opens a track of its own meanwhile (encoded anew by the observer's look
        # check, more than 0.5 away); after that it is judged on a window of new frames.
        if track.liveness is None or not track.liveness.passed:
            return track.new_frames >= self._liveness_frames
        return (
            track.new_frames >= max(self._liveness_frames, self._window_frames)
            and track.last_at - track.judged_at >= self._passed_keep_s
        )

    def frames_awaiting_liveness(self) -> list[tuple[Image, FaceBox]]:
        """The frames (oldest first) and boxes of unspent tracks without a passed verdict.

        The judge finds the face in each as it is filed, so a verdict is ready when due.
        """
        with self._lock:
            return [
                (frame, box)
                for track in self._tracks.values()
                if not track.used and (track.liveness is None or not track.liveness.passed)
                for frame, box in zip(track.frames, track.boxes, strict=True)
                if box is not None
            ]

    def awaiting_liveness(self, *, now: float, within_s: float = 1.0) -> bool:
        """Whether a face seen in the last `within_s` has not passed liveness yet.

        A badge tap by that person would go to the face window after the tap (the presearch
        runs for it meanwhile, `gate_agent.face.presearch`).
        """
        with self._lock:
            return any(
                now - track.last_at <= within_s
                and (track.liveness is None or not track.liveness.passed)
                for track in self._tracks.values()
            )

    def set_liveness(
        self, track_id: int, result: LivenessResult, *, judged: TrackSnapshot | None = None
    ) -> None:
        """Keep a track's latest liveness verdict.

        Args:
            track_id: The track.
            result: The verdict.
            judged: The snapshot whose frames were judged (`due_for_liveness`), when the
                verdict was worked out beside the tracker (it files frames meanwhile): the
                frames filed since stay new, and a verdict on a presentation that has
                ended (the face left and came back meanwhile) is dropped. None: the
                verdict is on the track's frames as they are now.
        """
        with self._lock:
            track = self._tracks.get(track_id)
            if track is None:
                return
            if judged is None:
                track.new_frames, track.judged_at = 0, track.last_at
            elif judged.presentation != track.presentation:
                return  # frames of the face before it left: never the verdict of its return
            else:
                track.new_frames = max(track.new_frames - judged.new_frames, 0)
                track.judged_at = judged.last_at
            track.liveness = result

    def snapshots(self, *, now: float) -> list[TrackSnapshot]:
        """Every live track (for 1:N identification)."""
        with self._lock:
            self._expire(now)
            return [self._snapshot(track) for track in self._tracks.values()]

    @staticmethod
    def _snapshot(track: _Track) -> TrackSnapshot:
        return TrackSnapshot(
            track_id=track.track_id,
            encodings=tuple(track.encodings),
            frames=tuple(track.frames),
            liveness=track.liveness,
            used=track.used,
            first_at=track.first_at,
            boxes=tuple(track.boxes),
            last_at=track.last_at,
            new_frames=track.new_frames,
            presentation=track.presentation,
        )

    def mark_used(self, track_id: int) -> bool:
        """Spend a track (it decides one presentation at most); False if already spent."""
        with self._lock:
            track = self._tracks.get(track_id)
            if track is None or track.used:
                return False
            track.used = True
            return True

    def match(
        self,
        templates: npt.NDArray[np.float32],
        *,
        threshold: float,
        now: float,
        require_liveness: bool,
    ) -> TrackMatch | None:
        """The closest unspent, current track within `threshold` of the templates, spent now.

        Args:
            templates: The claimed person's templates, (k, 128).
            threshold: The gate's 1:1 threshold (a match is at or below it).
            now: Monotonic time of the presentation.
            require_liveness: Only tracks whose liveness passed qualify.
        """
        if len(templates) == 0:
            return None
        with self._lock:
            self._expire(now)
            best: tuple[float, _Track] | None = None
            for track in self._tracks.values():
                if track.used or not track.encodings:
                    continue
                if require_liveness and (track.liveness is None or not track.liveness.passed):
                    continue
                distance = _distances(track.encodings, templates)
                if distance <= threshold and (best is None or distance < best[0]):
                    best = (distance, track)
            if best is None:
                return None
            distance, track = best
            track.used = True
            return TrackMatch(
                track_id=track.track_id,
                distance=distance,
                liveness=track.liveness,
                age_s=max(now - track.first_at, 0.0),
                encodings=tuple(track.encodings),
            )

    def faces_between(self, start: float, end: float) -> int:
        """How many distinct faces (tracks) were seen from `start` to `end` (monotonic)."""
        with self._lock:
            sightings = [tuple(t.seen_at) for t in self._tracks.values()] + list(self._past)
            return sum(1 for seen in sightings if any(start <= at <= end for at in seen))
