"""Face searches ahead of a credential: the real search on shipped photos, the worker thread."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from gate_agent.camera.frames import Frame
from gate_agent.face.presearch import FramePresearch, PresearchWorker
from testkit.faces import FACES
from testkit.polling import wait_until


def test_presearch_keeps_the_window_search_of_each_frame_and_skips_a_still_empty_scene() -> None:
    from biometrics import WINDOW_STREAM, FaceStream

    face = cv2.imread(str(FACES / "obama.jpg"), cv2.IMREAD_COLOR)
    face = np.ascontiguousarray(cv2.resize(face, (480, 600), interpolation=cv2.INTER_AREA))
    empty = np.full_like(face, 90)
    presearch = FramePresearch(keep=3)
    assert presearch.search(face) == 1
    assert presearch.found(face) == FaceStream(WINDOW_STREAM).search(face)
    assert presearch.has(face) and presearch.found(face.copy()) is None  # this very frame only
    assert presearch.search(empty) == 0 and presearch.found(empty) == []
    assert presearch.search(empty.copy()) is None  # nothing there and nothing changed
    assert presearch.search(face) == 1  # the scene changed
    assert presearch.search(face.copy()) == 1 and presearch.searched == 4
    for _ in range(3):
        presearch.search(np.ascontiguousarray(face[:, ::-1]))
    assert not presearch.has(face)  # only the last `keep` frames are kept


def test_a_frame_whose_search_is_under_way_is_waited_for_not_searched_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from biometrics import WINDOW_STREAM, FaceStream

    face = cv2.imread(str(FACES / "obama.jpg"), cv2.IMREAD_COLOR)
    face = np.ascontiguousarray(cv2.resize(face, (480, 600), interpolation=cv2.INTER_AREA))
    expected = FaceStream(WINDOW_STREAM).search(face)
    started, release = threading.Event(), threading.Event()
    search = FaceStream.search

    def held_search(stream: FaceStream, frame: np.ndarray) -> list[object]:
        started.set()
        release.wait(5)
        return search(stream, frame)  # type: ignore[return-value]

    monkeypatch.setattr(FaceStream, "search", held_search)
    presearch = FramePresearch()
    searching = threading.Thread(target=presearch.search, args=(face,))
    searching.start()
    assert started.wait(5)
    assert presearch.found(face.copy(), wait_s=1) is None  # another frame: no wait
    threading.Timer(0.1, release.set).start()
    assert presearch.found(face, wait_s=5) == expected
    searching.join(5)
    assert presearch.searched == 1
    assert presearch.found(face, wait_s=0) == expected


def test_a_frame_searched_soon_is_searched_once_on_a_searcher_thread() -> None:
    from biometrics import WINDOW_STREAM, FaceStream

    face = cv2.imread(str(FACES / "obama.jpg"), cv2.IMREAD_COLOR)
    face = np.ascontiguousarray(cv2.resize(face, (480, 600), interpolation=cv2.INTER_AREA))
    presearch = FramePresearch()
    presearch.search_soon(face)
    assert presearch.found(face, wait_s=5) == FaceStream(WINDOW_STREAM).search(face)
    presearch.search_soon(face)  # searched already: nothing to do
    time.sleep(0.2)
    assert presearch.searched == 1


def test_worker_searches_nothing_while_not_wanted() -> None:
    calls: list[float] = []
    wanted = threading.Event()

    def search(image: np.ndarray) -> bool:
        calls.append(time.monotonic())
        return True

    worker = PresearchWorker(frames=Frames(), search=search, interval_s=0.02, wanted=wanted.is_set)
    worker.start()
    try:
        time.sleep(0.2)
        assert calls == []  # a face track has judged every face in view
        wanted.set()
        time.sleep(0.2)
        assert len(calls) >= 5
    finally:
        worker.stop()


def test_worker_searches_nothing_while_a_face_window_holds_it() -> None:
    calls: list[float] = []

    def search(image: np.ndarray) -> bool:
        calls.append(time.monotonic())
        time.sleep(0.005)
        return True  # a face in view: the worker follows every frame

    worker = PresearchWorker(frames=Frames(), search=search, interval_s=0.02)
    worker.start()
    try:
        time.sleep(0.1)
        assert calls
        with worker.hold():
            time.sleep(0.05)  # searches already under way end
            held_at = len(calls)
            time.sleep(0.2)
            assert len(calls) == held_at
        time.sleep(0.2)
        assert len(calls) >= held_at + 5
    finally:
        worker.stop()


class Frames:
    """A camera whose newest frame changes every 10 ms."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def newest(self, *, after: float, timeout_s: float) -> Frame | None:
        now = time.monotonic()
        number = int((now - self.started) / 0.01)
        at = self.started + number * 0.01
        if at <= after:
            time.sleep(0.01)
            return None
        return Frame(image=np.zeros((2, 2, 3), np.uint8), number=number, at=at)

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        number = max(int((after - self.started) / 0.01 + 1e-6) + 1, 0)
        at = self.started + number * 0.01
        wait = at - time.monotonic()
        if wait > timeout_s:
            time.sleep(timeout_s)
            return None
        time.sleep(max(wait, 0.0))
        return Frame(image=np.zeros((2, 2, 3), np.uint8), number=number, at=at)


def run_worker(search_s: float, *, face: bool, max_lag_s: float = 0.15) -> list[int]:
    """The frame numbers a worker searched in 0.5 s (frames every 10 ms, interval 50 ms)."""
    frames = Frames()
    numbers: list[int] = []
    seen: dict[int, int] = {}

    def search(image: np.ndarray) -> bool:
        numbers.append(seen[id(image)])
        time.sleep(search_s)
        return face

    class Numbered:
        def newest(self, *, after: float, timeout_s: float) -> Frame | None:
            return self._keep(frames.newest(after=after, timeout_s=timeout_s))

        def following(self, *, after: float, timeout_s: float) -> Frame | None:
            return self._keep(frames.following(after=after, timeout_s=timeout_s))

        def _keep(self, frame: Frame | None) -> Frame | None:
            if frame is not None:
                seen[id(frame.image)] = frame.number
            return frame

    worker = PresearchWorker(frames=Numbered(), search=search, interval_s=0.05, max_lag_s=max_lag_s)
    worker.start()
    time.sleep(0.5)
    worker.stop()
    return numbers


def test_worker_follows_every_frame_in_camera_order_while_a_face_is_in_view() -> None:
    numbers = run_worker(0.002, face=True)
    assert len(numbers) >= 30  # about every 10 ms frame, not one per 50 ms
    assert all(b == a + 1 for a, b in zip(numbers[1:], numbers[2:], strict=False))


def test_worker_that_falls_behind_the_camera_jumps_to_the_newest_frame() -> None:
    numbers = run_worker(0.03, face=True, max_lag_s=0.05)  # 3 frames come per search
    steps = [b - a for a, b in zip(numbers[1:], numbers[2:], strict=False)]
    assert steps and max(steps) > 1, "it did not stay ever further behind"
    assert numbers[-1] >= 40  # close to the newest of about 50 frames


def test_worker_searches_the_newest_frame_at_most_once_per_interval_while_no_face_shows() -> None:
    calls: list[float] = []

    def search(image: np.ndarray) -> bool:
        calls.append(time.monotonic())
        return False

    worker = PresearchWorker(frames=Frames(), search=search, interval_s=0.05)
    worker.start()
    time.sleep(0.5)
    worker.stop()
    count = len(calls)
    assert 5 <= count <= 11  # about one per 50 ms, not one per 10 ms frame
    # Each loop turn starts an interval after the last one; when the search itself starts on
    # its thread varies with the machine's load, so one gap may be shorter, not the pace.
    assert (calls[-1] - calls[0]) / (count - 1) >= 0.04
    time.sleep(0.1)
    assert len(calls) == count  # stopped


def test_agent_searches_ahead_only_when_configured(tmp_path: Path) -> None:
    from gate_agent.app import AgentApp
    from gate_agent.face.biometrics import BiometricFaceObserver, BiometricFaceVerifier
    from testkit.agent.doubles import GATE_KEY, agent_config

    def app(observer: BiometricFaceObserver | None, name: str, *, ahead: bool) -> AgentApp:
        config = agent_config(
            tmp_path / name,
            mqtt_port=1,
            api_url="http://127.0.0.1:1",
            camera={"type": "file", "path": str(FACES / "obama.jpg"), "fps": 10},
        )
        return AgentApp(
            config,
            gate_key=GATE_KEY,
            verifier=BiometricFaceVerifier(presearch=ahead),
            observer=observer,
            scanner=lambda image: [],
        )

    ahead = app(None, "ahead", ahead=True)
    plain = app(None, "plain", ahead=False)
    tracked = app(BiometricFaceObserver(), "tracked", ahead=True)
    try:
        assert ahead.presearch is not None and ahead.tracker is None
        assert plain.presearch is None  # a verifier built without presearch
        assert tracked.presearch is not None and tracked.tracker is not None  # both
    finally:
        for built in (ahead, plain, tracked):
            built.outbox.close()


def test_worker_files_each_frame_with_its_time_before_its_search_starts() -> None:
    frames = Frames()
    filed: list[tuple[int, float]] = []
    searched: list[int] = []

    def file(image: np.ndarray, at: float) -> None:
        filed.append((id(image), at))

    def search(image: np.ndarray) -> bool:
        assert id(image) in {key for key, _ in filed}  # filed first
        searched.append(id(image))
        time.sleep(0.002)
        return True

    worker = PresearchWorker(frames=frames, search=search, interval_s=0.05, file=file)
    worker.start()
    time.sleep(0.3)
    worker.stop()
    assert len(searched) >= 5
    times = [at for _, at in filed]
    assert times == sorted(times)  # in camera order, with the frames' own times
    assert all(
        abs(at - frames.started - round((at - frames.started) / 0.01) * 0.01) < 1e-6 for at in times
    )


@pytest.mark.skipif(sys.platform != "linux", reason="nice values per thread are Linux's")
def test_the_searches_run_below_the_agents_other_threads_and_the_caller_is_untouched() -> None:
    nices: list[int] = []
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def search(image: np.ndarray) -> bool:
        nices.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return False

    worker = PresearchWorker(frames=Frames(), search=search, interval_s=0.02, nice=5)
    worker.start()
    try:
        assert wait_until(lambda: len(nices) >= 2, 5)
    finally:
        worker.stop()
    assert set(nices) == {min(before + 5, 19)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
