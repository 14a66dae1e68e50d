"""The face window after a credential: pre-roll frames, then frames as they come, early stop."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pytest

from gate_agent.camera.frames import Frame
from gate_agent.face.step import FaceMatch, LivenessChecker, LivenessResult, WindowVerifier
from gate_agent.face.window import WindowPlan, preroll, run_face_window


def frame(number: int, at: float) -> Frame:
    return Frame(image=np.full((4, 4, 3), number, dtype=np.uint8), number=number, at=at)


class Feed:
    """Frames every 0.1 s from t=9.0; `following` hands out the later ones one after another."""

    def __init__(self, *, before: int, after: int, at: float = 10.0, first_s: float = 0.0) -> None:
        # `at`: the credential's time; `first_s`: when the first frame after it comes.
        self.ring = [frame(n, at - 0.1 * (before - n)) for n in range(before)]
        self.coming = [frame(100 + n, at + first_s + 0.1 * n) for n in range(after)]

    def burst(self, *, count: int, since: float, timeout_s: float) -> list[Frame]:
        fresh = [f for f in self.ring if f.at >= since]
        return (fresh or self.ring)[-count:]

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        later = [f for f in self.coming if f.at > after]
        return later[0] if later else None


class Window:
    """Settles once `settle_after` frames were fed; records what it was fed."""

    def __init__(self, settle_after: int, verdict: LivenessResult | None) -> None:
        self.fed: list[int] = []
        self.settle_after = settle_after
        self.verdict = verdict

    def feed(self, image: np.ndarray) -> bool:
        self.fed.append(int(image[0, 0, 0]))
        return len(self.fed) >= self.settle_after

    def result(self) -> tuple[FaceMatch, LivenessResult | None]:
        return FaceMatch(seen=bool(self.fed), distance=0.3), self.verdict


class Verifier:
    def __init__(self, window: Window) -> None:
        self.window = window
        self.opened: list[tuple[int, bool]] = []

    def verify(self, images: Sequence[np.ndarray], templates: Sequence[bytes]) -> FaceMatch:
        raise AssertionError("a window verifier is not asked for a burst")

    def open_window(
        self, *, templates: Sequence[bytes], liveness: LivenessChecker | None
    ) -> Window:
        self.opened.append((len(templates), liveness is not None))
        return self.window


class Live:
    def check(self, images: Sequence[np.ndarray]) -> LivenessResult:
        return LivenessResult(passed=True, score=0.9)


LIVE = LivenessResult(passed=True, score=0.8)


def run(
    feed: Feed, window: Window, plan: WindowPlan, *, since: float = 10.0
) -> tuple[Verifier, object]:
    verifier = Verifier(window)
    assert isinstance(verifier, WindowVerifier)
    outcome = run_face_window(
        feed=feed,
        since=since,
        verifier=verifier,
        templates=[b"t" * 512],
        liveness=Live(),
        plan=plan,
    )
    return verifier, outcome


def test_preroll_takes_only_recent_frames_from_before_the_credential() -> None:
    feed = Feed(before=10, after=0)
    got = preroll(feed, since=10.0, plan=WindowPlan(preroll_frames=3, preroll_s=0.5))
    assert [f.number for f in got] == [7, 8, 9]
    old = preroll(feed, since=12.0, plan=WindowPlan(preroll_frames=3, preroll_s=0.5))
    assert old == []  # nothing within half a second before the credential
    assert preroll(feed, since=10.0, plan=WindowPlan(preroll_frames=0)) == []


def test_window_is_fed_preroll_then_new_frames_and_stops_once_settled() -> None:
    window = Window(settle_after=5, verdict=LIVE)
    verifier, outcome = run(Feed(before=10, after=10), window, WindowPlan(preroll_frames=3))
    assert window.fed == [7, 8, 9, 100, 101]  # oldest first, then as the camera delivers
    assert verifier.opened == [(1, True)]
    evidence = outcome.evidence  # type: ignore[attr-defined]
    assert evidence.seen and evidence.distance == 0.3 and evidence.liveness_passed is True


def test_window_stops_at_the_frame_budget() -> None:
    window = Window(settle_after=99, verdict=LIVE)
    run(Feed(before=2, after=30), window, WindowPlan(preroll_frames=6, max_frames=6))
    assert window.fed == [0, 1, 100, 101, 102, 103]


def test_an_inconclusive_window_fails_liveness_with_its_reason() -> None:
    inconclusive = LivenessResult(passed=False, score=0.0, reason="too_few_frames")
    window = Window(settle_after=99, verdict=inconclusive)
    _, outcome = run(Feed(before=0, after=3), window, WindowPlan())
    assert window.fed == [100, 101, 102]  # the camera stopped delivering: no more frames
    assert outcome.evidence.liveness_passed is False  # type: ignore[attr-defined]
    assert outcome.note == "liveness failed: too_few_frames (to the guard)"  # type: ignore[attr-defined]


def test_a_failing_window_reports_no_face_seen() -> None:
    class Broken(Window):
        def feed(self, image: np.ndarray) -> bool:
            raise RuntimeError("dlib fell over")

    _, outcome = run(Feed(before=1, after=1), Broken(1, LIVE), WindowPlan())
    assert outcome.evidence.seen is False  # type: ignore[attr-defined]


@pytest.mark.parametrize("timeout_s", [0.0])
def test_no_wait_beyond_the_deadline(timeout_s: float) -> None:
    now = time.monotonic()
    window = Window(settle_after=99, verdict=None)
    # The camera's next frames come a second after the credential, past the deadline.
    feed = Feed(before=2, after=5, at=now, first_s=1.0)
    run(feed, window, WindowPlan(timeout_s=timeout_s), since=now)
    assert window.fed == [0, 1]  # the pre-roll is there already; no new frame is awaited


class Slow(Window):
    """A window whose work on each frame takes `work_s` (a busy CPU)."""

    def __init__(self, settle_after: int, verdict: LivenessResult | None, work_s: float) -> None:
        super().__init__(settle_after, verdict)
        self.work_s = work_s

    def feed(self, image: np.ndarray) -> bool:
        time.sleep(self.work_s)
        return super().feed(image)


def test_frames_delivered_in_time_are_worked_on_after_the_deadline() -> None:
    # The pre-roll's work alone outlasts the deadline, while the camera delivered the frames
    # after the credential within it: refusing then sent live users to the guard.
    now = time.monotonic()
    window = Slow(settle_after=8, verdict=LIVE, work_s=0.08)
    feed = Feed(before=2, after=10, at=now, first_s=0.001)
    feed.coming = [frame(100 + n, now + 0.001 * (n + 1)) for n in range(10)]
    _, outcome = run(feed, window, WindowPlan(timeout_s=0.1, late_s=60.0), since=now)
    assert window.fed == [0, 1, 100, 101, 102, 103, 104, 105]
    assert outcome.evidence.liveness_passed is True  # type: ignore[attr-defined]


def test_a_window_late_beyond_late_s_stops() -> None:
    now = time.monotonic()
    window = Slow(settle_after=8, verdict=None, work_s=0.08)
    feed = Feed(before=2, after=10, at=now)
    feed.coming = [frame(100 + n, now + 0.001 * (n + 1)) for n in range(10)]
    run(feed, window, WindowPlan(timeout_s=0.1, late_s=0.0), since=now)
    assert window.fed == [0, 1]  # the pre-roll took past the deadline; nothing more is taken


class Ring:
    """A camera ring of `size` frames that moves on `per_feed` frames while the window works.

    Counted in frames, not seconds: a window slower than the camera, on any machine.
    """

    def __init__(self, at: float, *, size: int = 3, per_feed: int = 2) -> None:
        self.frames = [frame(100 + n, at + 0.001 * (n + 1)) for n in range(40)]
        self.size, self.per_feed, self.shown = size, per_feed, 1

    def advance(self) -> None:
        self.shown += self.per_feed

    def ring(self) -> list[Frame]:
        return self.frames[max(0, self.shown - self.size) : self.shown]

    def burst(self, *, count: int, since: float, timeout_s: float) -> list[Frame]:
        fresh = [f for f in self.ring() if f.at >= since]
        return (fresh or self.ring())[-count:]

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        return next((f for f in self.ring() if f.at > after), None)


def test_a_window_slower_than_the_ring_still_gets_consecutive_frames() -> None:
    now = time.monotonic()
    ring = Ring(now)

    class Moving(Window):
        def feed(self, image: np.ndarray) -> bool:
            ring.advance()  # two frames come while the window works on one
            return super().feed(image)

    window = Moving(settle_after=8, verdict=LIVE)
    run(ring, window, WindowPlan(preroll_frames=0, timeout_s=30.0), since=now)  # type: ignore[arg-type]
    assert window.fed == list(range(100, 108))  # none skipped, though the ring moved on


class Presearching(Verifier):
    """A window verifier that searches frames ahead of a credential."""

    def searches_ahead(self) -> bool:
        return True

    def presearch_frame(self, image: np.ndarray) -> bool:
        return True


def test_preroll_takes_the_last_frames_before_the_credential() -> None:
    feed = Feed(before=10, after=0)  # frames 5-9 lie within the 0.5 s before t=10
    last = preroll(feed, since=10.0, plan=WindowPlan(preroll_frames=3, preroll_s=0.5))
    assert [f.number for f in last] == [7, 8, 9]
    all_ = preroll(feed, since=10.0, plan=WindowPlan(preroll_frames=6, preroll_s=0.5))
    assert [f.number for f in all_] == [5, 6, 7, 8, 9]


def test_a_presearching_verifier_still_gets_consecutive_frames() -> None:
    # Frames picked for having been searched ahead were unevenly spaced, and the liveness
    # check, calibrated on consecutive frames, refused live users.
    window = Window(settle_after=99, verdict=LIVE)
    verifier = Presearching(window)
    run_face_window(
        feed=Feed(before=10, after=2),
        since=10.0,
        verifier=verifier,
        templates=[b"t"],
        liveness=Live(),
        plan=WindowPlan(preroll_frames=2, preroll_s=0.5),
    )
    assert window.fed == [8, 9, 100, 101]


class Prefetching(Window):
    """Records, in one list, the frames it is asked to prefetch and those it is fed."""

    def __init__(self, settle_after: int, verdict: LivenessResult | None) -> None:
        super().__init__(settle_after, verdict)
        self.story: list[str] = []

    def prefetch(self, images: Sequence[np.ndarray]) -> None:
        self.story.append("prefetch " + " ".join(str(int(i[0, 0, 0])) for i in images))

    def feed(self, image: np.ndarray) -> bool:
        self.story.append(f"feed {int(image[0, 0, 0])}")
        return super().feed(image)


class Arriving(Feed):
    """A camera that delivers `per_frame` new frames while the window works on each one."""

    def __init__(self, *, before: int, after: int, per_frame: int) -> None:
        super().__init__(before=before, after=after)
        self.arrived = 0
        self.per_frame = per_frame

    def tick(self) -> None:
        self.arrived = min(self.arrived + self.per_frame, len(self.coming))

    def burst(self, *, count: int, since: float, timeout_s: float) -> list[Frame]:
        # As FramePump: the newest `count`, older ones than `since` if too few are fresh.
        ring = self.ring + self.coming[: self.arrived]
        fresh = [f for f in ring if f.at >= since]
        return (fresh if len(fresh) >= count else ring)[-count:]

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        later = [f for f in self.coming[: self.arrived] if f.at > after]
        return later[0] if later else None


class Ticking(Prefetching):
    def __init__(self, feed: Arriving, settle_after: int) -> None:
        super().__init__(settle_after, LIVE)
        self.camera = feed

    def feed(self, image: np.ndarray) -> bool:
        settled = super().feed(image)
        self.camera.tick()
        return settled


@pytest.mark.parametrize(
    ("per_frame", "story"),
    [
        (
            1,
            [
                "prefetch 8 9",
                "feed 8",
                "prefetch 100",  # arrived while frame 8 was worked on: asked for at once
                "feed 9",
                "prefetch 101",
                "feed 100",
                "prefetch 102",
                "feed 101",
                "prefetch 103",
                "feed 102",
            ],
        ),
        (
            2,
            ["prefetch 8 9", "feed 8", "prefetch 100 101", "feed 9", "prefetch 102 103"]
            + ["feed 100", "feed 101", "feed 102"],
        ),
    ],
)
def test_every_frame_after_the_credential_is_searched_ahead_once_as_it_arrives(
    per_frame: int, story: list[str]
) -> None:
    camera = Arriving(before=10, after=4, per_frame=per_frame)
    window = Ticking(camera, settle_after=5)
    run(camera, window, WindowPlan(preroll_frames=2, preroll_s=0.5))
    assert window.story == story
