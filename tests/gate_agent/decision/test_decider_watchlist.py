"""The decider screens the face it encoded against the replica's watchlist, offline too."""

import base64
import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from gate_agent.camera.frame_pump import FramePump
from gate_agent.camera.frames import ReplayFrameSource
from gate_agent.decision.decider import FaceSettings, PresentationDecider, ReplicaView
from gate_agent.decision.presentation import Presentation
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_agent.face.step import FaceMatch
from gate_agent.face.track import FaceTracks, SeenFace
from gate_agent.face.tracker import FaceTracker
from gate_agent.links.api_client import ApiClient
from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Direction
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import (
    FaceTemplateRecord,
    ReplicaIndex,
    ReplicaSnapshot,
    WatchlistRecord,
    WatchlistSource,
)
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, make_snapshot
from testkit.agent.faces import ALICE, BOB, IMAGE, LIVE, CountingLiveness, near, seen


def b64(vector: np.ndarray) -> str:
    return base64.b64encode(vector.astype("<f4").tobytes()).decode()


class SeesBob:
    """The frames after the tap show Bob: far from the holder, his encoding reported."""

    def verify(self, images: Sequence[np.ndarray], templates: Sequence[bytes]) -> FaceMatch:
        return FaceMatch(seen=True, distance=0.9, encodings=(near(BOB, 0.1),))


class NoFaces:
    def faces(self, image: np.ndarray) -> list[SeenFace]:
        return []


@pytest.fixture
def pump() -> Iterator[FramePump]:
    pump = FramePump(
        source=ReplayFrameSource([IMAGE], fps=50), scanner=lambda i: [], on_code=lambda t, a: None
    )
    pump.start()
    yield pump
    pump.stop()


def snapshot(*watched: tuple[str, np.ndarray]) -> ReplicaSnapshot:
    """The test gate (face required), Alice holds the good badge; `watched` on the watchlist."""
    return make_snapshot(face_required=True).model_copy(
        update={
            "templates": (
                FaceTemplateRecord(template_id="T1", person_id="P1", encoding_b64=b64(ALICE)),
            ),
            "watchlist": tuple(
                WatchlistRecord(
                    entry_id=entry, source=WatchlistSource.BANNED, encoding_b64=b64(face)
                )
                for entry, face in watched
            ),
        }
    )


def decide(pump: FramePump, tracks: FaceTracks, replica: ReplicaSnapshot):  # type: ignore[no-untyped-def]
    view = ReplicaView(ReplicaIndex(replica), datetime.now(UTC))
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(lambda request: httpx.Response(503)),
    )
    liveness = CountingLiveness()
    tracker = FaceTracker(
        pump=pump, observer=NoFaces(), liveness=liveness, tracks=tracks, interval_s=1.0
    )
    face = FaceSettings(
        pump=pump,
        verifier=SeesBob(),
        liveness=liveness,
        burst_frames=3,
        burst_timeout_s=1.0,
        tracker=tracker,
    )
    decider = PresentationDecider(
        api=api, replica=lambda: view, face=face, clock=lambda: datetime.now(UTC)
    )
    tap = Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=datetime.now(UTC),
        started=time.monotonic(),
        badge_number=GOOD_BADGE,
    )
    return decider.decide(tap)


def test_a_watchlisted_face_with_alice_s_badge_is_denied_by_the_replica(pump: FramePump) -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    plain = decide(pump, tracks, snapshot())
    assert plain.verdict.reason is ReasonCode.FACE_MISMATCH  # without the watchlist
    decided = decide(pump, tracks, snapshot(("ban:7", BOB)))
    verdict = decided.verdict
    assert verdict.decided_by is DecidedBy.REPLICA and verdict.reason is ReasonCode.WATCHLIST
    assert AlarmKind.WATCHLIST in verdict.alarms
    assert decided.face is not None and decided.face.evidence.watchlist_entry_id == "ban:7"


def test_the_track_s_encodings_are_screened_when_the_track_verified_the_holder(
    pump: FramePump,
) -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=5, passed_keep_s=2.0)
    [track] = tracks.observe(seen(ALICE), image=IMAGE, at=time.monotonic() - 1.0)
    tracks.set_liveness(track, LIVE)
    decided = decide(pump, tracks, snapshot(("poi:9", near(ALICE, 0.05))))
    assert decided.face is not None and decided.face.track_age_s is not None
    assert decided.verdict.reason is ReasonCode.WATCHLIST


def test_the_watchlist_is_sealed_on_disk_with_the_replica(tmp_path: Path) -> None:
    replica = snapshot(("ban:7", BOB))
    store = ReplicaStore(tmp_path / "replica.json", key=os.urandom(32))
    store.save(StoredReplica(snapshot=replica, last_sync_at=datetime.now(UTC)))
    raw = (tmp_path / "replica.json").read_bytes()
    assert replica.watchlist[0].encoding_b64.encode() not in raw and b"ban:7" not in raw
    loaded = store.load()
    assert loaded is not None and loaded.snapshot.watchlist == replica.watchlist
