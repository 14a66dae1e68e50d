import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from gate_agent.camera.frame_pump import FramePump
from gate_agent.camera.frames import Frame, FrameSourceError, ReplayFrameSource, open_frame_source
from gate_agent.config import FileCameraConfig, FolderCameraConfig
from testkit.image_bombs import no_pixels_decoded, png_bomb
from testkit.polling import wait_until


def frames(n: int) -> list[np.ndarray]:
    return [np.full((4, 4, 3), i, dtype=np.uint8) for i in range(n)]


class Collector:
    def __init__(self) -> None:
        self.codes: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, text: str, at: float) -> None:
        with self.lock:
            self.codes.append(text)


def test_replay_source_loops_and_numbers_frames() -> None:
    source = ReplayFrameSource(frames(2), fps=0)
    read = [source.read() for _ in range(5)]
    assert [f.number for f in read if f] == [0, 1, 2, 3, 4]
    assert [int(f.image[0, 0, 0]) for f in read if f] == [0, 1, 0, 1, 0]


def test_replay_source_without_loop_ends() -> None:
    source = ReplayFrameSource(frames(1), fps=0, loop=False)
    assert source.read() is not None and source.read() is None


def test_slow_scanner_drops_oldest_frames_and_never_blocks_the_camera() -> None:
    release = threading.Event()

    def slow_scan(image: np.ndarray) -> list[str]:
        release.wait(2)
        return []

    pump = FramePump(
        source=ReplayFrameSource(frames(3), fps=0), scanner=slow_scan, on_code=Collector()
    )
    pump.start()
    try:
        assert wait_until(lambda: pump.counters.frames_read > 200, 3)
        assert pump.counters.frames_dropped > 150
        assert pump.counters.frames_scanned <= 1
    finally:
        release.set()
        pump.stop()


def test_codes_are_reported_once_within_the_dedup_window() -> None:
    collector = Collector()
    pump = FramePump(
        source=ReplayFrameSource(frames(1), fps=200),
        scanner=lambda image: ["PG1:ABC"],
        on_code=collector,
        dedup_s=60,
    )
    pump.start()
    try:
        assert wait_until(lambda: pump.counters.frames_scanned > 10, 3)
    finally:
        pump.stop()
    assert collector.codes == ["PG1:ABC"]


def test_scanner_errors_are_counted_and_the_worker_goes_on() -> None:
    calls = {"n": 0}

    def flaky(image: np.ndarray) -> list[str]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("decoder crashed")
        return ["X"]

    collector = Collector()
    pump = FramePump(source=ReplayFrameSource(frames(1), fps=100), scanner=flaky, on_code=collector)
    pump.start()
    try:
        assert wait_until(lambda: collector.codes == ["X"], 3)
    finally:
        pump.stop()
    assert pump.counters.scan_errors == 1


def test_burst_waits_for_fresh_frames() -> None:
    pump = FramePump(
        source=ReplayFrameSource(frames(4), fps=100), scanner=lambda i: [], on_code=Collector()
    )
    pump.start()
    try:
        since = time.monotonic()
        burst = pump.burst(count=3, since=since, timeout_s=2)
    finally:
        pump.stop()
    assert len(burst) == 3 and all(isinstance(f, Frame) and f.at >= since for f in burst)


def test_following_hands_out_the_next_frame_not_the_newest() -> None:
    pump = FramePump(
        source=ReplayFrameSource(frames(5), fps=0, loop=False),
        scanner=lambda i: [],
        on_code=Collector(),
    )
    pump.start()
    try:
        kept = pump.burst(count=5, since=0.0, timeout_s=2)
        assert [f.number for f in kept] == [0, 1, 2, 3, 4]  # the camera is past them all
        after_first = pump.following(after=kept[0].at, timeout_s=0)
        newest = pump.newest(after=kept[0].at, timeout_s=0)
        none_yet = pump.following(after=kept[-1].at, timeout_s=0.05)
    finally:
        pump.stop()
    assert after_first is not None and after_first.number == 1
    assert newest is not None and newest.number == 4
    assert none_yet is None  # nothing after the last frame: waited, then gave up


def test_burst_gives_what_there_is_on_timeout() -> None:
    pump = FramePump(
        source=ReplayFrameSource(frames(1), fps=5), scanner=lambda i: [], on_code=Collector()
    )
    pump.start()
    try:
        burst = pump.burst(count=10, since=time.monotonic(), timeout_s=0.3)
    finally:
        pump.stop()
    assert 1 <= len(burst) < 10


def test_file_and_folder_sources(tmp_path: Path) -> None:
    for n in range(2):
        cv2.imwrite(str(tmp_path / f"{n}.png"), np.full((6, 6, 3), n * 100, dtype=np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    folder = open_frame_source(FolderCameraConfig(path=tmp_path, fps=100))
    values = [int(f.image[0, 0, 0]) for f in (folder.read(), folder.read()) if f]
    assert values == [0, 100]
    single = open_frame_source(FileCameraConfig(path=tmp_path / "1.png", fps=100))
    frame = single.read()
    assert frame is not None and frame.image.shape == (6, 6, 3)


def test_bad_sources_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FrameSourceError, match="does not exist"):
        open_frame_source(FileCameraConfig(path=tmp_path / "none.png"))
    with pytest.raises(FrameSourceError, match="no images"):
        open_frame_source(FolderCameraConfig(path=tmp_path))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(FrameSourceError, match="cannot read"):
        open_frame_source(FileCameraConfig(path=tmp_path / "broken.png"))


def test_opencv_source_reads_a_video_file_to_its_end(tmp_path: Path) -> None:
    from gate_agent.config import OpenCVCameraConfig

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG")
    for n in range(4):
        writer.write(np.full((24, 32, 3), n * 40, dtype=np.uint8))
    writer.release()
    source = open_frame_source(OpenCVCameraConfig(device=str(path)))
    read = []
    while (frame := source.read()) is not None:
        read.append(frame)
    source.close()
    assert [f.number for f in read] == [0, 1, 2, 3]
    assert read[0].image.shape == (24, 32, 3)


def test_opencv_source_that_cannot_open_is_an_error(tmp_path: Path) -> None:
    from gate_agent.config import OpenCVCameraConfig

    with pytest.raises(FrameSourceError, match="cannot open camera"):
        open_frame_source(OpenCVCameraConfig(device=str(tmp_path / "no-such-stream.avi")))


def test_a_replayed_file_is_bgr_and_a_png_bomb_is_refused_by_its_header(tmp_path: Path) -> None:
    bgr = np.zeros((4, 4, 3), dtype=np.uint8)
    bgr[:, :, 0] = 200  # blue, in OpenCV's order
    cv2.imwrite(str(tmp_path / "blue.png"), bgr)
    frame = open_frame_source(FileCameraConfig(path=tmp_path / "blue.png", fps=100)).read()
    assert frame is not None and frame.image[0, 0].tolist() == [200, 0, 0]
    (tmp_path / "bomb.png").write_bytes(png_bomb(30000, 30000))
    with no_pixels_decoded(), pytest.raises(FrameSourceError, match="too many pixels"):
        open_frame_source(FileCameraConfig(path=tmp_path / "bomb.png", fps=100))
