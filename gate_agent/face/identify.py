"""Face-only 1:N identification at gates whose policy allows it (`face_identification`).

Runs in the tracker thread after each frame: every unspent track of the face track is
identified among the templates of the gate's replica with the policy's stricter
`identify_threshold`, once its liveness verdict is in (when a liveness check is configured).
The nearest person must also stand clear of the next one by `margin`: two enrolled people
within the margin of each other is no identification, and the person is sent to the guard.
A track that identified somebody (or was found ambiguous) is spent, so it yields one
presentation. Strangers (nobody below the threshold) are left alone: no event.

The gallery (`biometrics.TemplateIndex`, `gate_agent.face.gallery`) is built from the
replica's templates in memory and kept in step when the loop installs another replica;
encodings are never logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from biometrics import TemplateIndex
from gate_protocol.replica import ReplicaIndex

from gate_agent.face.gallery import build_gallery, refresh_gallery
from gate_agent.face.step import LivenessResult
from gate_agent.face.track import FaceTracks
from gate_agent.face.watchlist import WatchlistScreen, WatchlistSeen

__all__ = [
    "Ambiguous",
    "FaceFound",
    "FaceIdentified",
    "FaceIdentifier",
    "Identified",
    "identify_track",
]

_log = logging.getLogger(__name__)
_CANDIDATES = 32


@dataclass(frozen=True, slots=True)
class Identified:
    """A track identified as one enrolled person."""

    person_id: str
    distance: float
    liveness: LivenessResult | None = None
    track_age_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A track within the margin of two enrolled people: not identified."""

    distance: float
    runner_up: float
    margin: float

    @property
    def detail(self) -> str:
        """The denial's detail: what the guard is told."""
        return (
            f"face matches two enrolled people within {self.margin:.2f} "
            f"({self.distance:.3f} and {self.runner_up:.3f}): not identified, see the guard"
        )


# What the tracker thread reports to the loop after a frame.
FaceFound = Identified | Ambiguous | WatchlistSeen


def identify_track(
    gallery: TemplateIndex,
    encodings: Sequence[npt.NDArray[np.float32]],
    *,
    threshold: float,
    margin: float,
) -> Identified | Ambiguous | None:
    """Identify a track's face among the gallery (pure).

    Each of the track's encodings is searched; the one nearest to anybody decides. Returns
    None when nobody is within `threshold` (a stranger), `Ambiguous` when another person is
    within `margin` of the nearest one.
    """
    if len(gallery) == 0 or not encodings:
        return None
    best = None
    for encoding in encodings:
        result = gallery.identify(encoding, threshold=threshold, candidates=_CANDIDATES)
        if best is None or result.distance < best.distance:
            best = result
    assert best is not None  # noqa: S101 (encodings is not empty)
    if not best.candidates or best.distance > threshold:
        return None
    nearest = best.candidates[0]
    runner_up = best.candidates[1].distance if len(best.candidates) > 1 else math.inf
    if runner_up - nearest.distance < margin:
        return Ambiguous(distance=nearest.distance, runner_up=runner_up, margin=margin)
    return Identified(person_id=nearest.person_id, distance=nearest.distance)


class FaceIdentifier:
    """Identifies the face track's unspent tracks after each frame (tracker thread).

    Args:
        tracks: The face track.
        replica: The replica index the loop currently uses (None: no replica yet).
        report: Receives each identification or ambiguity (puts it on the loop's inbox).
        margin: The nearest person must be this much closer than the next one.
        require_liveness: Wait for a track's liveness verdict before identifying it.
    """

    def __init__(
        self,
        *,
        tracks: FaceTracks,
        replica: Callable[[], ReplicaIndex | None],
        report: Callable[[FaceFound], None],
        margin: float,
        require_liveness: bool,
    ) -> None:
        self._tracks = tracks
        self._replica = replica
        self._report = report
        self._margin = margin
        self._require_liveness = require_liveness
        self._gallery: tuple[ReplicaIndex, TemplateIndex] | None = None
        self._watchlist = WatchlistScreen()

    def __call__(self, at: float) -> None:
        """Screen every face in view against the watchlist; identify at face-only gates."""
        index = self._replica()
        if index is not None and index.snapshot.watchlist:
            live = ((t.track_id, t.encodings) for t in self._tracks.snapshots(now=at))
            for seen in self._watchlist.sightings(index, live):
                self._report(seen)
        if index is None or not index.snapshot.gate.face_identification:
            return
        gallery = self._gallery_of(index)
        threshold = index.snapshot.gate.identify_threshold
        for track in self._tracks.snapshots(now=at):
            if track.used or (self._require_liveness and track.liveness is None):
                continue
            found = identify_track(
                gallery, track.encodings, threshold=threshold, margin=self._margin
            )
            if found is None or not self._tracks.mark_used(track.track_id):
                continue
            if isinstance(found, Identified):
                found = Identified(
                    person_id=found.person_id,
                    distance=found.distance,
                    liveness=track.liveness,
                    track_age_s=max(at - track.first_at, 0.0),
                )
            self._report(found)

    def _gallery_of(self, index: ReplicaIndex) -> TemplateIndex:
        # The loop swaps the replica index whole when it installs another replica.
        if self._gallery is None:
            self._gallery = (index, build_gallery(index))
            _log.info("1:N gallery built: %d templates", len(self._gallery[1]))
        elif self._gallery[0] is not index:
            gallery, change = refresh_gallery(self._gallery[1], self._gallery[0], index)
            self._gallery = (index, gallery)
            _log.info(
                "1:N gallery %s: %d people removed, %d added or changed, %d templates",
                "rebuilt" if change.rebuilt else "updated",
                change.removed,
                change.added,
                len(gallery),
            )
        return self._gallery[1]


@dataclass(frozen=True, slots=True)
class FaceIdentified:
    """At a face-only gate the tracker identified a face 1:N, or found it ambiguous."""

    result: FaceFound
