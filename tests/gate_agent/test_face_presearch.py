"""Face searches ahead of a credential: the real search on shared photos, the worker thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from gate_agent.face_presearch import FramePresearch, PresearchWorker
from gate_agent.frames import Frame

FACES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces"


@pytest.mark.skipif(not (FACES / "obama.jpg").is_file(), reason="../shared/data is absent")
def test_presearch_keeps_the_window_search_of_each_frame_and_skips_a_still_empty_scene() -> None:
    from biometrics import WINDOW_STREAM, FaceStream

    face = cv2.imread(str(FACES / "obama.jpg"), cv2.IMREAD_COLOR)
    face = np.ascontiguousarray(cv2.resize(face, (480, 600), interpolation=cv2.INTER_AREA))
    empty = np.full_like(face, 90)
    presearch = FramePresearch(lock=threading.Lock(), keep=3)
    assert presearch.search(face)
    assert presearch.found(face) == FaceStream(WINDOW_STREAM).search(face)
    assert presearch.has(face) and presearch.found(face.copy()) is None  # this very frame only
    assert presearch.search(empty) and presearch.found(empty) == []
    assert not presearch.search(empty.copy())  # nothing there and nothing changed
    assert presearch.search(face)  # the scene changed
    presearch.pause(for_s=5)
    assert not presearch.search(face.copy())
    presearch.resume()
    assert presearch.search(face.copy()) and presearch.searched == 4
    for _ in range(3):
        presearch.search(np.ascontiguousarray(face[:, ::-1]))
    assert not presearch.has(face)  # only the last `keep` frames are kept


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


def test_worker_searches_the_newest_frame_at_most_once_per_interval() -> None:
    calls: list[float] = []

    def search(image: np.ndarray) -> bool:
        calls.append(time.monotonic())
        return True

    worker = PresearchWorker(frames=Frames(), search=search, interval_s=0.05)
    worker.start()
    time.sleep(0.5)
    worker.stop()
    count = len(calls)
    assert 5 <= count <= 11  # about one per 50 ms, not one per 10 ms frame
    assert min(b - a for a, b in zip(calls, calls[1:], strict=False)) >= 0.045
    time.sleep(0.1)
    assert len(calls) == count  # stopped


@pytest.mark.skipif(not (FACES / "obama.jpg").is_file(), reason="../shared/data is absent")
def test_agent_searches_ahead_only_when_configured_and_no_face_track_runs(tmp_path: Path) -> None:
    from agent_support import GATE_KEY, agent_config

    from gate_agent.app import AgentApp
    from gate_agent.face_biometrics import BiometricFaceObserver, BiometricFaceVerifier

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
        assert plain.presearch is None  # face.presearch is off by default
        assert tracked.presearch is None and tracked.tracker is not None
    finally:
        for built in (ahead, plain, tracked):
            built.outbox.close()
