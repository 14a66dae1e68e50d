"""The watchlist screen: every face the gate encoded for a decision is checked against it.

The port-wide watchlist (banned identities, flagged people, persons of interest) travels in
every gate's replica (`ReplicaSnapshot.watchlist`, sealed on disk with the rest of it). The
gallery (`biometrics.WatchlistGallery`) is built from it once per installed replica; a
screen is one matrix product over all entries. One encoding (the burst's or the window's
averaged one) hits at the strict `WATCHLIST_THRESHOLD`; several frames of one face (a face
in view on the track, a track's encodings that verified the holder) hit when two of them
agree on one entry within `WATCHLIST_AGREEMENT_THRESHOLD` (a track screened on every frame
would otherwise give a stranger a fresh chance per frame). A decision's hit
names its entry in the face evidence, and `gate_protocol.policy.decide()` denies with
`watchlist` (and the alarm) whatever the credential, on the API and on the replica alike.
Encodings and templates are never logged.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from biometrics import WatchlistGallery, WatchlistHit
from gate_protocol.replica import ReplicaIndex, watchlist_in_effect
from gate_protocol.thresholds import WATCHLIST_AGREEMENT_THRESHOLD, WATCHLIST_THRESHOLD

from gate_agent.face.step import FaceOutcome

__all__ = ["WatchlistScreen", "WatchlistSeen", "build_watchlist"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WatchlistSeen:
    """A face in view (on the face track) matched a watchlist entry: an alarm, no decision."""

    entry_id: str
    distance: float

    @property
    def detail(self) -> str:
        """The alarm's detail: which entry, how close (never the face)."""
        return f"face in view matches watchlist entry {self.entry_id} ({self.distance:.3f})"


def build_watchlist(index: ReplicaIndex, now: datetime | None = None) -> WatchlistGallery:
    """The replica's watchlist as a gallery (an entry that does not decode is skipped).

    With `now`, only the entries in effect then (a person of interest's or a ban's period).
    """
    records = index.snapshot.watchlist
    if now is not None:
        records = tuple(watchlist_in_effect(records, now)[0])
    ids: list[str] = []
    templates: list[bytes] = []
    for record in records:
        try:
            raw = base64.b64decode(record.encoding_b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        ids.append(record.entry_id)
        templates.append(raw)
    return WatchlistGallery(ids, templates)


class WatchlistScreen:
    """Screens a face outcome's encodings against the current replica's watchlist.

    Args:
        threshold: The strict watchlist distance of one encoding (a hit is at or below it).
        agreement: The distance within which two frames of a track must agree on an entry.
    """

    def __init__(
        self,
        *,
        threshold: float = WATCHLIST_THRESHOLD,
        agreement: float = WATCHLIST_AGREEMENT_THRESHOLD,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._threshold = threshold
        self._agreement = agreement
        self._clock = clock
        self._lock = threading.Lock()
        # The replica it was built of, until when it holds (an entry starts or ends), gallery.
        self._gallery: tuple[ReplicaIndex, datetime | None, WatchlistGallery] | None = None
        self._alarmed: set[int] = set()

    def gallery(self, index: ReplicaIndex) -> WatchlistGallery:
        """The gallery of the entries in effect now.

        Built again when the replica's watchlist changes or when an entry's period starts
        or ends. The loop swaps indexes whole for every change the API sends, and most
        leave the watchlist alone (a delta carries it only when it changed): then the
        gallery is kept (a build took 64 ms of CPU at 5,000 entries).
        """
        now = self._clock()
        with self._lock:
            held = self._gallery
            expired = held is not None and held[1] is not None and now >= held[1]
            if held is not None and not expired and held[0] is not index:
                if held[0].snapshot.watchlist == index.snapshot.watchlist:
                    held = self._gallery = (index, held[1], held[2])
            if held is None or expired or held[0] is not index:
                until = watchlist_in_effect(index.snapshot.watchlist, now)[1]
                held = (index, until, build_watchlist(index, now))
                self._gallery = held
                _log.info("watchlist gallery built: %d faces", len(held[2]))
            return held[2]

    def hit(self, index: ReplicaIndex | None, outcome: FaceOutcome) -> WatchlistHit | None:
        """The watchlist entry the outcome's face matches, if any."""
        if index is None or not outcome.encodings or not index.snapshot.watchlist:
            return None
        if len(outcome.encodings) == 1:
            return self.gallery(index).screen(outcome.encodings, threshold=self._threshold)
        # Several frames (a track that verified the holder): the track's rule, so that
        # more frames do not mean more chances of a false hit.
        gallery = self.gallery(index)
        return gallery.screen(outcome.encodings, threshold=self._agreement, frames=2)

    def sightings(
        self,
        index: ReplicaIndex | None,
        tracks: Iterable[tuple[int, Sequence[npt.NDArray[np.float32]]]],
    ) -> list[WatchlistSeen]:
        """The tracks (id, encodings) whose frames agree on an entry, each track once only.

        Called by the tracker thread after each frame, so a watchlisted face in view
        raises its alarm whether or not anybody presents a credential (from its second
        encoded frame on: one frame alone never hits here).
        """
        if index is None or not index.snapshot.watchlist:
            return []
        gallery = self.gallery(index)
        live = dict(tracks)
        self._alarmed &= set(live)  # forgotten tracks' ids go (they are never reused)
        seen = []
        for track_id, encodings in live.items():
            if track_id in self._alarmed or not encodings:
                continue
            hit = gallery.screen(encodings, threshold=self._agreement, frames=2)
            if hit is not None:
                self._alarmed.add(track_id)
                seen.append(WatchlistSeen(entry_id=hit.entry_id, distance=hit.distance))
        return seen

    def screen(self, index: ReplicaIndex | None, outcome: FaceOutcome) -> FaceOutcome:
        """The outcome with the hit's entry in its evidence (unchanged without a hit)."""
        found = self.hit(index, outcome)
        if found is None:
            return outcome
        _log.warning("face matches watchlist entry %s", found.entry_id)
        evidence = replace(outcome.evidence, watchlist_entry_id=found.entry_id)
        return replace(outcome, evidence=evidence)
