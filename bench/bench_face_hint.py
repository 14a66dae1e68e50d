"""What the lane's face-position hint adds to each frame of the face window (issue 26.1).

usage: .venv/bin/python bench/bench_face_hint.py [--windows N]

The hint (`gate_agent.face.hint.FaceHints.see`) judges each frame the window after a tap
was fed, from the box and 5-point landmarks the window found. Timed in thread CPU (the
load does not set it) per frame, against the anchor measured in the same run: the window's
own work on the same frame (`BiometricFaceWindow.feed`: the search, landmarks, the first
two encodings). Frames: obama.jpg 480 px wide, moved a few pixels from frame to frame
(no liveness simulation: that needs the opt-in 68-point model), lit, at a quarter of
their light (a face too dark: the box's crop is measured), and nearly black (no face
found: the frame's sparse mean).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import numpy as np

from bench.agent_face_paths import FACES, pct

_REPEATS = 50  # the hint of one frame is well under a millisecond: timed over many calls


def moving_frames(count: int) -> list[Any]:
    """obama.jpg at 480 px wide (BGR), shifted 2 px further right in each frame."""
    import cv2

    from gate_agent.camera.frames import read_bgr_image

    image = read_bgr_image(FACES / "obama.jpg")
    size = (480, round(image.shape[0] * 480 / image.shape[1]))
    image = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    return [np.ascontiguousarray(np.roll(image, 2 * n, axis=1)) for n in range(count)]


def window_and_hint(frames: list[Any]) -> tuple[list[float], list[float]]:
    """Thread CPU ms per frame: the window's feed, and the hint judged after it."""
    from gate_agent.face.biometrics import BiometricFaceVerifier
    from gate_agent.face.hint import FaceHints, faces_seen

    window = BiometricFaceVerifier().open_window(templates=[], liveness=None)
    hints = FaceHints(0, lambda lane, reason: None)
    feeds, judged = [], []
    for frame in frames:
        started = time.thread_time()
        window.feed(frame)
        feeds.append((time.thread_time() - started) * 1000)
        faces = faces_seen(window)
        started = time.thread_time()
        for _ in range(_REPEATS):
            hints.see(frame, faces)
        judged.append((time.thread_time() - started) * 1000 / _REPEATS)
    return feeds, judged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=3, help="windows per kind of frame")
    args = parser.parse_args()
    if not (FACES / "obama.jpg").is_file():
        print("face_hint: skipped (../shared/data/faces is absent)")
        return
    live = moving_frames(8 * args.windows)
    kinds = {
        "lit": live,
        "a quarter of the light": [np.asarray(f * 0.25, np.uint8) for f in live],
        "nearly black, no face": [np.asarray(f * 0.03, np.uint8) for f in live],
    }
    print(f"load average {os.getloadavg()[0]:.1f} at the start, {os.cpu_count()} CPUs")
    all_feeds, all_hints = [], []
    for kind, frames in kinds.items():
        feeds, hints = [], []
        for n in range(args.windows):
            fed, judged = window_and_hint(frames[8 * n : 8 * n + 8])
            feeds += fed
            hints += judged
        all_feeds += feeds
        all_hints += hints
        print(
            f"  {kind:24}: window feed p50 {statistics.median(feeds):7.2f} ms,"
            f" hint p50 {statistics.median(hints):.3f} ms p95 {pct(hints, 0.95):.3f} ms"
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    h, w = statistics.median(all_hints), statistics.median(all_feeds)
    print(f"FIGURE face_hint|face hint per window frame (thread CPU p50)|{h:.3f}|ms|"
          f"the window's own work on the frame (same run)|{w:.2f}|tiny beside the window|"
          f"{'yes' if h < 0.05 * w else 'no'}")  # fmt: skip
    print(f"FIGURE face_hint|face hint per window frame (thread CPU p95)|{pct(all_hints, 0.95):.3f}"
          f"|ms|the window's own work (p95, same run)|{pct(all_feeds, 0.95):.2f}||")  # fmt: skip


if __name__ == "__main__":
    main()
