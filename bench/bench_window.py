"""The face work left after a tap in one face window, with and without encodings made ahead.

usage: .venv/bin/python bench/bench_window.py [--windows N]

The end-to-end after-tap figures (bench_agent, bench_lanes) depend on the machine's load
more than on the agent; this script times the agent's own work after a tap in one thread
with the camera's frames already there, so the two ways can be compared in one run.
A simulated live user (bench_agent's frames: obama.jpg warped by testkit.liveness_sim,
480 px wide), the holder's template from obama2.jpg, real biometrics. Each window:

* the presearch (`BiometricFaceVerifier(presearch=True)`) searched the six pre-roll frames
  before the tap, as the agent's presearch worker does;
* anchor ("before"): the frames were searched only (the window encodes two chips itself);
* "encoded ahead": the worker also filed them (`file_frame`), so the presearch encoded
  the face's first frame and the next one's mirrored chip (gate_agent.face.ahead);
* then the window is fed its eight frames (the six pre-roll, two after the tap that
  nobody searched yet) until it is certain; timed: wall and thread CPU of the feeds.

Both ways decide with the same distance (the same two chips) and the same liveness
verdict: checked per window. Also printed: the liveness judgement once the last frame came,
the whole assessment (`assess_liveness`, as before) against the sequence measured frame by
frame (`LivenessSequence.verdict`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from bench.agent_face_paths import FACES, live_frames, pct


def _template() -> bytes:
    from biometrics import ENROLLMENT_PIPELINE, template_to_bytes

    encoding = ENROLLMENT_PIPELINE.encode_file(FACES / "obama2.jpg")
    if encoding is None:
        raise SystemExit("no face in obama2.jpg")
    return template_to_bytes(encoding.encoding)


def one_window(frames: list[Any], template: bytes, *, ahead: bool) -> tuple[float, float, Any]:
    """(wall ms, thread CPU ms, result) of one window's feeds after its pre-roll was searched."""
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness

    verifier = BiometricFaceVerifier(presearch=True)
    for n, frame in enumerate(frames[:6]):
        if ahead:
            verifier.file_frame(frame, n / 30)
        verifier.presearch_frame(frame)
    window = verifier.open_window(templates=[template], liveness=BiometricLiveness())
    wall, cpu = time.perf_counter(), time.thread_time()
    for frame in frames[:8]:
        if window.feed(frame):
            break
    wall_ms = (time.perf_counter() - wall) * 1000
    cpu_ms = (time.thread_time() - cpu) * 1000
    return wall_ms, cpu_ms, window.result()


def liveness_tail(frames: list[Any], repeats: int) -> tuple[list[float], list[float]]:
    """Time of the judgement after the last frame (ms): whole assessment, sequence measured."""
    from biometrics import WINDOW_STREAM, FaceStream
    from biometrics.liveness import LivenessSequence, LivenessSettings, assess_liveness

    stream = FaceStream(WINDOW_STREAM)
    tracks = [face.liveness_track() for frame in frames[:8] for face in stream.faces(frame)]
    whole, tail = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        assess_liveness(tracks, LivenessSettings())
        whole.append((time.perf_counter() - started) * 1000)
        sequence = LivenessSequence(LivenessSettings())
        for track in tracks:
            sequence.add(track)
        started = time.perf_counter()
        sequence.verdict()
        tail.append((time.perf_counter() - started) * 1000)
    return whole, tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=6, help="windows per way")
    args = parser.parse_args()
    if not (FACES / "obama.jpg").is_file():
        print("window: skipped (../shared/data/faces is absent)")
        return
    frames, template = live_frames(24), _template()
    print(f"load average {os.getloadavg()[0]:.1f} at the start, {os.cpu_count()} CPUs")
    ways: dict[bool, tuple[list[float], list[float]]] = {False: ([], []), True: ([], [])}
    for n in range(args.windows):  # alternated, so that the load falls on both alike
        start = (n * 3) % 16
        window_frames = frames[start : start + 8]
        results = []
        for ahead in (False, True):
            wall, cpu, result = one_window(window_frames, template, ahead=ahead)
            ways[ahead][0].append(wall)
            ways[ahead][1].append(cpu)
            results.append(result)
        if results[0] != results[1]:
            raise SystemExit(f"the two ways decided differently: {results}")
    before, after = ways[False], ways[True]
    for label, (walls, cpus) in (("before (anchor)", before), ("encoded ahead", after)):
        print(
            f"  window after the tap, {label}: wall p50 {statistics.median(walls):7.1f} ms"
            f"  p95 {pct(walls, 0.95):7.1f} ms, thread CPU p50 {statistics.median(cpus):7.1f} ms"
        )
    whole, tail = liveness_tail(frames, args.windows)
    print(
        f"  liveness after the last frame: whole assessment p50 {statistics.median(whole):.1f} ms,"
        f" sequence measured frame by frame p50 {statistics.median(tail):.2f} ms"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    b, a = statistics.median(before[1]), statistics.median(after[1])
    print(f"FIGURE window|face work after the tap, encoded ahead (thread CPU p50)|{a:.1f}|ms|"
          f"the same, before: the window encodes (same run)|{b:.1f}||")  # fmt: skip
    bw, aw = statistics.median(before[0]), statistics.median(after[0])
    print(f"FIGURE window|face work after the tap, encoded ahead (wall p50)|{aw:.1f}|ms|"
          f"the same, before (same run)|{bw:.1f}||")  # fmt: skip
    print(f"FIGURE window|liveness left after the last frame (p50)|{statistics.median(tail):.2f}"
          f"|ms|whole assessment, as before|{statistics.median(whole):.2f}||")  # fmt: skip


if __name__ == "__main__":
    main()
