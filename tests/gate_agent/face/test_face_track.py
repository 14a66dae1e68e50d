"""The face track: faces seen before the credential, matched 1:1, spent once, forgotten fast."""

import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from biometrics import FaceBox
from gate_agent.camera.frame_pump import FramePump
from gate_agent.camera.frames import ReplayFrameSource
from gate_agent.face.step import LivenessChecker, LivenessResult
from gate_agent.face.track import FaceTracks, SeenFace, template_matrix
from gate_agent.face.tracker import FaceObserver, FaceTracker, _next_due
from testkit.agent.faces import ALICE, BOB, IMAGE, LIVE, CountingLiveness, near, seen
from testkit.polling import wait_until


def test_the_same_face_extends_one_track_and_another_face_opens_a_second() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, window_frames=2, passed_keep_s=2.0)
    first = tracks.observe(seen(ALICE), image=IMAGE, at=10.0)
    second = tracks.observe(seen(near(ALICE), BOB), image=IMAGE, at=10.2)
    assert second[0] == first[0] and second[1] != first[0]
    assert len(tracks) == 2
    assert tracks.faces_between(10.1, 10.3) == 2
    assert tracks.faces_between(9.0, 10.1) == 1
    [due] = list(tracks.due_for_liveness())
    assert due.track_id == first[0] and len(due.frames) == 2


def test_a_current_live_track_of_the_holder_matches_once() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0)
    tracks.set_liveness(track_id, LIVE)
    templates = np.stack([near(ALICE, 0.3)])
    match = tracks.match(templates, threshold=0.54, now=11.0, require_liveness=True)
    assert match is not None and match.track_id == track_id
    assert match.distance == pytest.approx(0.3, abs=1e-5)
    assert match.age_s == pytest.approx(1.0) and match.liveness == LIVE
    # One track decides one presentation: a second tap of the same badge must show the face.
    assert tracks.match(templates, threshold=0.54, now=11.1, require_liveness=True) is None


def test_a_track_without_passed_liveness_does_not_decide() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0)
    templates = np.stack([ALICE])
    assert tracks.match(templates, threshold=0.54, now=10.5, require_liveness=True) is None
    tracks.set_liveness(track_id, LivenessResult(passed=False, score=0.1))
    assert tracks.match(templates, threshold=0.54, now=10.5, require_liveness=True) is None
    assert tracks.match(templates, threshold=0.54, now=10.5, require_liveness=False) is not None


def test_a_face_in_view_awaits_liveness_until_it_passed() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    assert not tracks.awaiting_liveness(now=10.0)  # nobody in view
    [alice] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0)
    assert tracks.awaiting_liveness(now=10.1)
    tracks.set_liveness(alice, LivenessResult(passed=False, score=0.1))
    assert tracks.awaiting_liveness(now=10.1)  # judged, not passed: a tap goes to the window
    tracks.set_liveness(alice, LIVE)
    assert not tracks.awaiting_liveness(now=10.1)
    tracks.observe(seen(BOB), image=IMAGE, at=10.2)
    assert tracks.awaiting_liveness(now=10.3)
    assert not tracks.awaiting_liveness(now=11.5)  # Bob not seen for over a second


def test_a_track_older_than_the_window_is_not_used_and_its_encodings_are_gone() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0)
    tracks.set_liveness(track_id, LIVE)
    templates = np.stack([ALICE])
    assert tracks.match(templates, threshold=0.54, now=13.5, require_liveness=True) is None
    assert len(tracks) == 0 and tracks.snapshots(now=13.5) == []
    # Only the sighting time is kept, for the tailgating count.
    assert tracks.faces_between(9.0, 11.0) == 1


def test_someone_else_s_face_does_not_verify_the_claimed_person() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    [track_id] = tracks.observe(seen(BOB), image=IMAGE, at=10.0)
    tracks.set_liveness(track_id, LIVE)
    alice = np.stack([ALICE, near(ALICE)])
    assert tracks.match(alice, threshold=0.54, now=10.5, require_liveness=True) is None
    # Bob's track is not spent by the failed match: his own tap still finds it.
    bob = np.stack([BOB])
    assert tracks.match(bob, threshold=0.54, now=10.6, require_liveness=True) is not None


def test_template_matrix_skips_bad_templates() -> None:
    good = ALICE.astype("<f4").tobytes()
    bad = np.full(128, np.nan, "<f4").tobytes()
    matrix = template_matrix([good, bad, b"short", bytes(512)])
    assert matrix.shape == (1, 128) and np.array_equal(matrix[0], ALICE)
    assert template_matrix([]).shape == (0, 128)


def tracker_of(observer: FaceObserver, liveness: LivenessChecker) -> FaceTracker:
    """A tracker (not started) of a camera showing IMAGE at 50 fps, judging 3-frame windows."""
    pump = FramePump(
        source=ReplayFrameSource([IMAGE], fps=50), scanner=lambda i: [], on_code=lambda t, a: None
    )
    tracks = FaceTracks(window_s=3.0, liveness_frames=3, window_frames=3, passed_keep_s=2.0)
    return FaceTracker(
        pump=pump, observer=observer, liveness=liveness, tracks=tracks, interval_s=0.02
    )


@contextlib.contextmanager
def started(tracker: FaceTracker) -> Iterator[None]:
    """The tracker and its camera running, stopped on the way out."""
    tracker._pump.start()
    tracker.start()
    try:
        yield
    finally:
        tracker.stop()
        tracker._pump.stop()


class CountingObserver:
    """Every frame shows ALICE (slightly different each time)."""

    def __init__(self) -> None:
        self.calls = 0

    def faces(self, image: np.ndarray) -> list[SeenFace]:
        self.calls += 1
        return seen(near(ALICE, 0.05))


def test_tracker_thread_files_frames_runs_liveness_and_holds_off_when_asked() -> None:
    observer, liveness = CountingObserver(), CountingLiveness()
    tracker = tracker_of(observer, liveness)
    tracks = tracker.tracks
    with started(tracker):
        deadline = time.monotonic() + 5
        while not liveness.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        assert liveness.calls and liveness.calls[0] == 3
        match = tracks.match(
            np.stack([ALICE]), threshold=0.54, now=time.monotonic(), require_liveness=True
        )
        assert match is not None
        with tracker.hold():
            time.sleep(0.1)
            calls = observer.calls
            time.sleep(0.2)
            assert observer.calls == calls


class HoldingObserver(CountingObserver):
    """Sees ALICE; a credential arrives (the tracker is held) while the frame is worked on."""

    def __init__(self, held: list[contextlib.AbstractContextManager[None]]) -> None:
        super().__init__()
        self.held = held

    def faces(self, image: np.ndarray) -> list[SeenFace]:
        if self.calls == 2:
            self.held[0].__enter__()
        return super().faces(image)


def test_a_tracker_held_mid_frame_leaves_the_due_liveness_check_for_later() -> None:
    held: list[contextlib.AbstractContextManager[None]] = []
    observer, liveness = HoldingObserver(held), CountingLiveness()
    tracker = tracker_of(observer, liveness)
    tracks = tracker.tracks
    held.append(tracker.hold())
    for k in range(3):
        tracker._track(IMAGE, at=10.0 + k / 10)  # the third frame completes the window
    tracker.judge_due(liveness)  # the judge thread's pass
    assert liveness.calls == []  # held before it could be judged
    assert len(tracks.due_for_liveness()) == 1  # still due
    held[0].__exit__(None, None, None)
    tracker._track(IMAGE, at=10.3)
    tracker.judge_due(liveness)
    assert liveness.calls == [3]


class SlowLiveness(CountingLiveness):
    """A liveness check that takes half a second (eight whole-frame searches on a busy box)."""

    def check(self, images: Sequence[np.ndarray]) -> LivenessResult:
        time.sleep(0.5)
        return super().check(images)


def test_the_tracker_keeps_tracking_while_a_slow_liveness_check_runs() -> None:
    observer, liveness = CountingObserver(), SlowLiveness()
    tracker = tracker_of(observer, liveness)
    with started(tracker):
        assert wait_until(lambda: tracker.frames_tracked >= 3, 5)
        time.sleep(0.05)  # the judge is now in its half-second check
        before = observer.calls
        time.sleep(0.3)
        during = observer.calls - before
        assert wait_until(lambda: tracker.verdicts >= 1, 5)
    assert during >= 5  # 0.3 s at 50 fps a frame every 20 ms: tracked on, not stopped
    assert liveness.calls and liveness.calls[0] == 3


def test_the_next_frame_is_due_on_a_fixed_rate_and_never_in_a_burst() -> None:
    assert _next_due(10.0, 0.1, now=10.03) == pytest.approx(10.1)  # on time: wait
    assert _next_due(10.0, 0.1, now=10.15) == pytest.approx(10.1)  # late: the next at once
    assert _next_due(10.0, 0.1, now=10.5) == 10.5  # far behind: the schedule starts afresh


def test_a_verdict_worked_out_beside_the_tracker_counts_only_the_frames_it_judged() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=3, window_frames=3, passed_keep_s=2.0)
    for k in range(3):
        [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0 + k / 10)
    [judged] = tracks.due_for_liveness()
    for k in range(2):  # filed while the judge worked
        tracks.observe(seen(ALICE), image=IMAGE, at=10.3 + k / 10)
    tracks.set_liveness(track_id, LivenessResult(passed=False, score=0.1), judged=judged)
    assert tracks.due_for_liveness() == []  # 2 new frames, 3 needed to try again
    tracks.observe(seen(ALICE), image=IMAGE, at=10.5)
    assert [t.track_id for t in tracks.due_for_liveness()] == [track_id]


def test_a_verdict_on_frames_from_before_the_face_left_is_dropped() -> None:
    tracks = FaceTracks(window_s=5.0, liveness_frames=3, window_frames=3, passed_keep_s=2.0)
    for k in range(3):
        [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0 + k / 10)
    [judged] = tracks.due_for_liveness()
    # While the check ran, the face left and came back (a photo of it, perhaps).
    tracks.observe(seen(ALICE), image=IMAGE, at=12.0)
    tracks.set_liveness(track_id, LIVE, judged=judged)
    match = tracks.match(np.stack([ALICE]), threshold=0.54, now=12.1, require_liveness=True)
    assert match is None  # the live verdict of the first presentation does not carry over
    [snapshot] = tracks.snapshots(now=12.1)
    assert snapshot.liveness is None


def test_liveness_waits_for_a_full_window_then_rechecks_after_new_frames() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, window_frames=4, passed_keep_s=0.0)
    for k in range(3):
        [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0 + k / 10)
    assert tracks.due_for_liveness() == []  # 3 frames: shorter than the calibrated window
    tracks.observe(seen(ALICE), image=IMAGE, at=10.3)
    [due] = tracks.due_for_liveness()
    assert due.track_id == track_id and len(due.frames) == 4
    tracks.set_liveness(track_id, LIVE)
    for k in range(3):
        tracks.observe(seen(ALICE), image=IMAGE, at=10.4 + k / 10)
    # Passed: judged again only on a window of new frames, not after `liveness_frames`.
    assert tracks.due_for_liveness() == []
    tracks.observe(seen(ALICE), image=IMAGE, at=10.7)
    [again] = tracks.due_for_liveness()
    assert len(again.frames) == 4  # the newest window, not a longer one
    tracks.set_liveness(track_id, LivenessResult(passed=False, score=0.1))
    tracks.observe(seen(ALICE), image=IMAGE, at=10.8)
    assert tracks.due_for_liveness() == []
    tracks.observe(seen(ALICE), image=IMAGE, at=10.9)
    assert len(tracks.due_for_liveness()) == 1  # failed: another try after 2 new frames


def test_a_passed_verdict_holds_for_its_keep_time_then_is_judged_on_new_frames() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, window_frames=4, passed_keep_s=1.0)
    for k in range(4):
        [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0 + k / 10)
    assert len(tracks.due_for_liveness()) == 1
    tracks.set_liveness(track_id, LIVE)  # judged on the frame of 10.3
    for k in range(1, 10):
        tracks.observe(seen(ALICE), image=IMAGE, at=10.3 + k / 10)
    # Nine new frames, but the verdict is 0.9 s old: it holds, nothing is searched.
    assert tracks.due_for_liveness() == []
    match = tracks.match(np.stack([ALICE]), threshold=0.54, now=11.2, require_liveness=True)
    assert match is not None and match.liveness == LIVE
    tracks.observe(seen(ALICE), image=IMAGE, at=11.3)
    [again] = tracks.due_for_liveness()  # 1.0 s old: judged again, on the newest window
    assert again.track_id == track_id and len(again.frames) == 4
    tracks.set_liveness(track_id, LivenessResult(passed=False, score=0.1, reason="motion"))
    tracks.observe(seen(ALICE), image=IMAGE, at=11.4)
    assert tracks.due_for_liveness() == []
    tracks.observe(seen(ALICE), image=IMAGE, at=11.5)
    # A failed verdict has no keep time: another try after `liveness_frames` new frames.
    assert len(tracks.due_for_liveness()) == 1


def test_a_face_back_after_leaving_the_camera_is_judged_afresh_on_new_frames() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, window_frames=4, passed_keep_s=2.0)
    for k in range(4):
        [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0 + k / 10)
    tracks.set_liveness(track_id, LIVE)
    # Gone 0.9 s (a stalled tracker, a missed detection): the same presentation goes on.
    tracks.observe(seen(ALICE), image=IMAGE, at=11.2)
    assert not tracks.awaiting_liveness(now=11.2)
    templates = np.stack([ALICE])
    # Gone 1.5 s, then the same person's face again (a photo of them, say): the track and
    # its sightings go on, its live verdict does not, and no tap is decided by the track.
    [back] = tracks.observe(seen(near(ALICE)), image=IMAGE, at=12.7)
    assert back == track_id and len(tracks) == 1
    assert tracks.awaiting_liveness(now=12.7)
    assert tracks.match(templates, threshold=0.54, now=12.7, require_liveness=True) is None
    for k in range(1, 3):
        tracks.observe(seen(ALICE), image=IMAGE, at=12.7 + k / 10)
    assert tracks.due_for_liveness() == []  # 3 frames since it came back: not a window yet
    tracks.observe(seen(ALICE), image=IMAGE, at=13.0)
    [due] = tracks.due_for_liveness()
    assert due.track_id == track_id and len(due.frames) == 4 and due.liveness is None
    # Its time in view counts from its return, not from the first sighting before the gap.
    assert due.first_at == 12.7
    tracks.set_liveness(track_id, LIVE)
    match = tracks.match(templates, threshold=0.54, now=13.1, require_liveness=True)
    assert match is not None and match.age_s == pytest.approx(0.4)


def test_the_agents_track_keeps_a_passed_verdict_as_its_config_says(tmp_path: Path) -> None:
    from gate_agent.app import AgentApp
    from gate_agent.face.biometrics import BiometricFaceVerifier
    from testkit.agent.doubles import GATE_KEY, agent_config
    from testkit.faces import FACES

    for keep, due_again in ((0, True), (5, False)):
        config = agent_config(
            tmp_path / f"keep{keep}",
            mqtt_port=1,
            api_url="http://127.0.0.1:1",
            camera={"type": "file", "path": str(FACES / "obama.jpg"), "fps": 10},
            face={"track_liveness_keep_s": keep},
        )
        app = AgentApp(
            config,
            gate_key=GATE_KEY,
            verifier=BiometricFaceVerifier(),
            observer=CountingObserver(),
            scanner=lambda image: [],
        )
        try:
            assert app.tracker is not None
            tracks = app.tracker.tracks
            for k in range(8):
                [track_id] = tracks.observe(seen(ALICE), image=IMAGE, at=10.0 + k / 10)
            tracks.set_liveness(track_id, LIVE)
            for k in range(8):
                tracks.observe(seen(ALICE), image=IMAGE, at=11.0 + k / 10)
            assert bool(tracks.due_for_liveness()) is due_again
        finally:
            app.outbox.close()


def test_a_negative_keep_time_is_refused() -> None:
    with pytest.raises(ValueError, match="passed_keep_s"):
        FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=-1.0)


class TwoPeopleObserver:
    """Every frame shows ALICE on the left and BOB, nearer the centre, on the right."""

    def faces(self, image: np.ndarray) -> list[SeenFace]:
        return [
            SeenFace(
                encoding=near(BOB, 0.05), box=FaceBox(top=10, right=300, bottom=110, left=200)
            ),
            SeenFace(
                encoding=near(ALICE, 0.05), box=FaceBox(top=20, right=120, bottom=120, left=20)
            ),
        ]


class TrackLiveness:
    """Records the boxes it was asked to judge; the plain check must not be used."""

    def __init__(self) -> None:
        self.boxes: list[tuple[FaceBox | None, ...]] = []

    def check(self, images: Sequence[np.ndarray]) -> LivenessResult:
        raise AssertionError("a track's face is judged at its own boxes")

    def check_track(
        self, images: Sequence[np.ndarray], boxes: Sequence[FaceBox | None]
    ) -> LivenessResult:
        assert len(images) == len(boxes)
        self.boxes.append(tuple(boxes))
        return LIVE


def test_tracker_judges_each_tracks_own_face_where_the_observer_found_it() -> None:
    liveness = TrackLiveness()
    tracker = tracker_of(TwoPeopleObserver(), liveness)
    tracks = tracker.tracks
    with started(tracker):
        deadline = time.monotonic() + 5
        while len(liveness.boxes) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    lefts = {box.left for boxes in liveness.boxes[:2] for box in boxes if box is not None}
    assert lefts == {20, 200}  # one check per track, each on its own face
    assert all(len({b.left for b in boxes if b is not None}) == 1 for boxes in liveness.boxes)
    assert [len(t.boxes) for t in tracks.snapshots(now=time.monotonic())] == [3, 3]


def test_a_kept_encoding_is_filed_once_so_the_earlier_ones_stay() -> None:
    tracks = FaceTracks(window_s=3.0, liveness_frames=2, passed_keep_s=2.0)
    first, second = near(ALICE, 0.05), near(ALICE, 0.05)
    tracks.observe(seen(first), image=IMAGE, at=10.0)
    for k in range(6):  # the observer hands the same object while it keeps the encoding
        [track_id] = tracks.observe(seen(second), image=IMAGE, at=10.1 + k / 10)
    [snapshot] = tracks.snapshots(now=10.7)
    assert snapshot.track_id == track_id
    assert [e is first for e in snapshot.encodings] == [True, False]
    assert len(snapshot.frames) == 7  # every frame is still filed


class PreparingLiveness(TrackLiveness):
    """Records the frames it was asked to prepare ahead of its checks."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared: list[tuple[int, FaceBox | None]] = []

    def prepare_track_frame(self, image: np.ndarray, box: FaceBox | None) -> None:
        self.prepared.append((id(image), box))


def test_the_judge_works_on_each_frame_of_a_track_awaiting_a_verdict_as_it_comes() -> None:
    liveness = PreparingLiveness()
    tracker = tracker_of(TwoPeopleObserver(), liveness)
    frames = [IMAGE.copy() for _ in range(4)]
    tracker._track(frames[0], at=10.0)
    tracker.judge_due(liveness)
    assert {key[0] for key in liveness.prepared} == {id(frames[0])}  # both faces, before due
    assert liveness.boxes == []
    for k in (1, 2):
        tracker._track(frames[k], at=10.0 + k / 10)
        tracker.judge_due(liveness)
    assert len(liveness.boxes) == 2  # both tracks judged on their third frame, and passed
    prepared = len(liveness.prepared)
    tracker._track(frames[3], at=10.3)
    tracker.judge_due(liveness)
    assert len(liveness.prepared) == prepared  # passed tracks need no frame worked on


def test_a_decision_holds_the_judge_while_the_tracker_goes_on_filing_faces() -> None:
    observer, liveness = CountingObserver(), CountingLiveness()
    tracker = tracker_of(observer, liveness)
    with tracker.hold_judge():
        assert not tracker._held()  # the tracker's loop is not held
        for k in range(4):
            tracker._track(IMAGE, at=10.0 + k / 10)
        tracker.judge_due(liveness)
        assert observer.calls == 4 and liveness.calls == []  # filed, not judged
    tracker.judge_due(liveness)
    assert liveness.calls == [3]
