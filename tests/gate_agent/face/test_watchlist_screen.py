import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from biometrics import WatchlistGallery, template_to_bytes
from gate_agent.face.step import FaceMatch, outcome_of
from gate_agent.face.watchlist import WatchlistScreen
from gate_protocol.replica import (
    ReplicaIndex,
    WatchlistRecord,
    WatchlistSource,
    apply_delta,
    watchlist_in_effect,
)
from gate_protocol.thresholds import WATCHLIST_THRESHOLD
from testkit.agent.doubles import delta_after, make_snapshot

RNG = np.random.default_rng(18)
FACES = (RNG.standard_normal((3, 128)) * 0.09).astype(np.float32)


def record(entry_id: str, face: np.ndarray) -> WatchlistRecord:
    return WatchlistRecord(
        entry_id=entry_id,
        source=WatchlistSource.PERSON_OF_INTEREST,
        encoding_b64=base64.b64encode(template_to_bytes(face)).decode(),
    )


def test_the_gallery_finds_the_nearest_entry_within_the_threshold_only() -> None:
    gallery = WatchlistGallery(
        ["a", "b", "broken"], [template_to_bytes(FACES[0]), template_to_bytes(FACES[1]), b"x"]
    )
    assert len(gallery) == 2  # the broken template matches nobody
    near = FACES[1] + 0.01
    hit = gallery.screen([FACES[2], near], threshold=WATCHLIST_THRESHOLD)
    assert hit is not None and hit.entry_id == "b" and hit.distance < 0.2
    assert gallery.screen([FACES[2]], threshold=WATCHLIST_THRESHOLD) is None
    assert WatchlistGallery([], []).screen([FACES[0]], threshold=1.0) is None
    with pytest.raises(ValueError, match="one entry id per template"):
        WatchlistGallery(["a"], [])


def test_the_screen_names_the_entry_in_the_evidence_and_follows_the_replica() -> None:
    snapshot = make_snapshot().model_copy(update={"watchlist": (record("poi:1", FACES[0]),)})
    index = ReplicaIndex(snapshot)
    screen = WatchlistScreen()
    seen = outcome_of(
        FaceMatch(seen=True, distance=0.3, encodings=(FACES[0] + 0.005,)),
        None,
        face_ms=1.0,
        liveness_ms=None,
    )
    assert screen.screen(index, seen).evidence.watchlist_entry_id == "poi:1"
    stranger = outcome_of(
        FaceMatch(seen=True, distance=0.3, encodings=(FACES[2],)),
        None,
        face_ms=1.0,
        liveness_ms=None,
    )
    assert screen.screen(index, stranger).evidence.watchlist_entry_id is None
    # A delta that replaces the watchlist (the entry removed) is what the next screen sees.
    delta = delta_after(snapshot, watchlist=())
    emptied = ReplicaIndex(apply_delta(snapshot, delta))
    assert screen.screen(emptied, seen).evidence.watchlist_entry_id is None
    # A delta without a watchlist keeps the one the gate has.
    kept = apply_delta(snapshot, delta.model_copy(update={"watchlist": None}))
    assert kept.watchlist == snapshot.watchlist


def test_a_replica_that_leaves_the_watchlist_alone_keeps_its_gallery() -> None:
    snapshot = make_snapshot().model_copy(update={"watchlist": (record("poi:1", FACES[0]),)})
    screen = WatchlistScreen()
    first = screen.gallery(ReplicaIndex(snapshot))
    delta = delta_after(snapshot)
    untouched = ReplicaIndex(apply_delta(snapshot, delta))
    assert screen.gallery(untouched) is first
    refetched = ReplicaIndex(snapshot.model_copy(deep=True))  # equal entries, new objects
    assert screen.gallery(refetched) is first
    moved = record("poi:1", FACES[1])
    changed = ReplicaIndex(apply_delta(snapshot, delta.model_copy(update={"watchlist": (moved,)})))
    rebuilt = screen.gallery(changed)
    assert rebuilt is not first
    assert rebuilt.screen([FACES[1]], threshold=WATCHLIST_THRESHOLD) is not None
    assert rebuilt.screen([FACES[0]], threshold=WATCHLIST_THRESHOLD) is None


def test_a_large_gallery_in_blocks_gives_the_exact_nearest_entry() -> None:
    rng = np.random.default_rng(3)
    matrix = (rng.standard_normal((5000, 128)) * 0.09).astype(np.float32)
    gallery = WatchlistGallery.from_matrix([f"e{i}" for i in range(5000)], matrix)
    probe = matrix[4321] + 0.01
    exact = np.sqrt(((matrix.astype(np.float64) - probe) ** 2).sum(axis=1))
    assert np.allclose(gallery.distances(probe)[0], exact, atol=1e-4)
    hit = gallery.screen([probe], threshold=WATCHLIST_THRESHOLD)
    assert hit is not None and hit.entry_id == "e4321"


def test_a_watchlisted_face_in_view_is_reported_once_per_track_even_without_a_credential(
    tmp_path: Path,
) -> None:
    from gate_agent.face.identify import FaceIdentified, FaceIdentifier
    from gate_agent.face.track import FaceTracks
    from gate_agent.face.watchlist import WatchlistSeen
    from gate_protocol.messages import AlarmKind
    from testkit.agent.faces import ALICE, BOB, IMAGE, near, seen
    from testkit.agent.loop import build

    # Face identification is off at this gate: the track is only screened.
    replica = make_snapshot().model_copy(update={"watchlist": (record("ban:9", BOB),)})
    index = ReplicaIndex(replica)
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    reports: list[object] = []
    identifier = FaceIdentifier(
        tracks=tracks,
        replica=lambda: index,
        report=reports.append,
        margin=0.05,
        require_liveness=True,
    )
    tracks.observe(seen(ALICE, near(BOB, 0.1)), image=IMAGE, at=10.0)
    identifier(10.0)
    assert reports == []  # one frame alone never hits on the track: two must agree
    tracks.observe(seen(ALICE, near(BOB, 0.1)), image=IMAGE, at=10.1)
    identifier(10.1)
    tracks.observe(seen(ALICE, near(BOB, 0.1)), image=IMAGE, at=10.2)
    identifier(10.2)  # the same track: no second alarm
    assert len(reports) == 1
    [found] = reports
    assert isinstance(found, WatchlistSeen) and found.entry_id == "ban:9"
    # The loop raises the watchlist alarm, durable in the outbox.
    agent, outbox, _ = build(tmp_path)
    agent.handle(FaceIdentified(found))
    [pending] = outbox.alarms.pending(limit=5)
    assert pending.message.alarm is AlarmKind.WATCHLIST
    assert pending.message.detail is not None and "ban:9" in pending.message.detail


def test_a_track_needs_two_frames_near_one_entry_but_a_decision_s_one_encoding_hits_alone() -> None:
    from gate_agent.face.watchlist import WatchlistScreen

    snapshot = make_snapshot().model_copy(
        update={"watchlist": (record("ban:1", FACES[0]), record("poi:2", FACES[1]))}
    )
    index = ReplicaIndex(snapshot)
    screen = WatchlistScreen(threshold=0.2, agreement=0.3)
    lucky = (FACES[0] + 0.001, FACES[2])  # one frame very near ban:1, the next a stranger's
    split = (FACES[0] + 0.001, FACES[1] + 0.001)  # frames near two different entries
    assert screen.sightings(index, [(1, lucky), (2, split)]) == []
    agreed = (FACES[2], FACES[1] + 0.01, FACES[1] - 0.01)
    [found] = screen.sightings(index, [(3, agreed)])
    assert found.entry_id == "poi:2"
    one = outcome_of(
        FaceMatch(seen=True, distance=0.3, encodings=(FACES[0] + 0.001,)),
        None,
        face_ms=1.0,
        liveness_ms=None,
    )
    assert screen.screen(index, one).evidence.watchlist_entry_id == "ban:1"
    # A decision carrying a track's frames is held to the track's rule.
    for encodings, expected in ((lucky, None), (agreed, "poi:2")):
        outcome = outcome_of(
            FaceMatch(seen=True, distance=0.3, encodings=encodings),
            None,
            face_ms=1.0,
            liveness_ms=None,
        )
        assert screen.screen(index, outcome).evidence.watchlist_entry_id == expected


def test_an_entry_screens_only_inside_its_period_on_the_same_replica() -> None:
    start = datetime.now(UTC)
    ends = record("poi:ends", FACES[0]).model_copy(
        update={"valid_until": start + timedelta(hours=1)}
    )
    starts = record("ban:later", FACES[1]).model_copy(
        update={"source": WatchlistSource.BANNED, "valid_from": start + timedelta(hours=1)}
    )
    index = ReplicaIndex(make_snapshot().model_copy(update={"watchlist": (ends, starts)}))
    clock = [start]
    screen = WatchlistScreen(clock=lambda: clock[0])

    def entry(face: np.ndarray) -> str | None:
        seen = outcome_of(
            FaceMatch(seen=True, distance=0.3, encodings=(face + 0.005,)),
            None,
            face_ms=1.0,
            liveness_ms=None,
        )
        return screen.screen(index, seen).evidence.watchlist_entry_id

    assert (entry(FACES[0]), entry(FACES[1])) == ("poi:ends", None)
    # An hour on, with no resync: the first entry has ended, the ban has begun.
    clock[0] = start + timedelta(hours=1, seconds=1)
    assert (entry(FACES[0]), entry(FACES[1])) == (None, "ban:later")
    track = [FACES[1], FACES[1] + 0.001]  # a track hits when two of its frames agree
    assert [s.entry_id for s in screen.sightings(index, [(7, track)])] == ["ban:later"]


def test_the_entries_in_effect_and_the_next_instant_one_starts_or_ends() -> None:
    now = datetime.now(UTC)
    always = record("person:p1", FACES[0])
    ended = always.model_copy(update={"entry_id": "poi:old", "valid_until": now})
    coming = always.model_copy(
        update={"entry_id": "poi:new", "valid_from": now + timedelta(minutes=5)}
    )
    ending = always.model_copy(
        update={"entry_id": "ban:b1", "valid_until": now + timedelta(minutes=2)}
    )
    current, until = watchlist_in_effect((always, ended, coming, ending), now)
    assert [r.entry_id for r in current] == ["person:p1", "ban:b1"]
    assert until == now + timedelta(minutes=2)
    assert watchlist_in_effect((always,), now) == ([always], None)
