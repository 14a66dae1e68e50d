"""Several camera lanes on one edge box: the largest N that keeps every lane's goals.

usage: .venv/bin/python bench/bench_lanes.py [--lanes 1,2,3,4] [--cycles C] [--idle-s S]
                                             [--track-ms MS] [--keep-s S] [--no-presearch]
                                             [--same-person]

One gate agent process per lane (an agent is the edge agent of one gate, and its dlib work
goes through one process-wide lock, `gate_agent.face.biometrics._DLIB`: lanes as threads
of one process would wait for each other there and for one GIL; processes let the box's
cores serve the lanes side by side). Each lane has its own broker, API stub and bridge
simulator (bench/neighbour_process.py, idle between taps) and the agent of the default
install with the real biometrics: the face track (one frame every `--track-ms`, 90 ms: the
10 fps goal with a tenth in hand, since a tracker set to exactly 10 fps measures 9.9 fps at
best over a span that ends mid-interval), the presearch, face and liveness required by the
gate's policy.

Each lane's camera (30 fps) first shows the empty lane for `--idle-s` seconds (the idle
CPU), then `--cycles` people, one every 3 s, four people in turn (bench.lane_people: each a
simulated live user made from one photo the demo ships and enrolled from another, with a
badge of their own): 0.4 s of empty lane, the person walking up for 1.8 s (the face growing
from 55% to full size, about 140 px wide), 0.8 s at the reader; the person's badge is read
0.25 s after they reach the reader. `--same-person` shows obama every cycle (the scene before
2026-12-07): the face track decides one presentation per face, so every tap after the first
then goes to the window after the tap. The lanes' cameras start together, once every lane
has made its scene and loaded its face models.

Per N: tracking fps per lane (frames the face track looked at per second of the walk-ups;
the slowest lane), after-tap p95 over every lane's reads (credential -> OpenCommand of the
granted reads: the gate requires face and liveness, so a grant is the live user verified,
by the window after the tap or by the track before it; the others are counted as refused,
with their reason on stderr), CPU per lane idle and busy (the agent process's CPU seconds
per wall second; 1.0 is one core), the face track thread's CPU per tracked frame and the
lane's CPU per person. The anchor, in the same run: the badge-only p50 of one lane (no face
step). Before the lanes, the face track's own work in thread CPU time, which the machine's
load does not set (bench/lane_track_cost.py), against the observer that encoded every
moving frame.
Goals (issue 24.2): every lane >= 10 fps of tracking and after-tap p95 <= 250 ms, 0 refused.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.agent_face_paths import from_track, pct
from bench.lane_people import LanePerson, lane_people, people_snapshot
from bench.lane_track_cost import track_cost

ROOT = Path(__file__).resolve().parents[1]

FPS = 30
CYCLE_S, EMPTY_S, WALK_S = 3.0, 0.4, 1.8
TAP_AFTER_S = 0.25
PEOPLE_IN_LANE = 4


def _placed(frame: Any, scale: float, background: Any) -> Any:
    """The frame scaled about its centre onto the empty lane (a person further away)."""
    height, width = frame.shape[:2]
    size = (max(round(width * scale), 1), max(round(height * scale), 1))
    small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    out = background.copy()
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    out[top : top + size[1], left : left + size[0]] = small
    return np.ascontiguousarray(out)


def lane_scene(idle_s: float, cycles: int, people: list[list[Any]]) -> tuple[list[Any], list[int]]:
    """The lane camera's frames and the frame numbers at which a badge is read.

    Cycle n shows `people[n % len(people)]` (their live frames, bench.lane_people).
    """
    background = np.full_like(people[0][0], 96)
    frames = [background] * round(idle_s * FPS)
    taps = []
    for cycle in range(cycles):
        live = people[cycle % len(people)]
        start = len(frames)
        frames += [background] * round(EMPTY_S * FPS)
        walk = round(WALK_S * FPS)
        for n in range(walk):
            frames.append(_placed(live[n % len(live)], 0.55 + 0.45 * n / walk, background))
        at_reader = round((CYCLE_S - EMPTY_S - WALK_S) * FPS)
        frames += [live[(walk + n) % len(live)] for n in range(at_reader)]
        taps.append(start + round((EMPTY_S + WALK_S + TAP_AFTER_S) * FPS))
    frames += [background] * FPS  # the run ends on an empty lane
    return frames, taps


def _cast(args: argparse.Namespace) -> list[LanePerson]:
    """The lane's people: one live person each cycle, or obama every time (--same-person)."""
    return lane_people(1 if args.same_person else PEOPLE_IN_LANE)


def _load_face_models(frame: Any) -> None:
    """Load this process's face models (detector, landmarks, encoder) on one face."""
    from biometrics import BURST_STREAM, FaceStream

    if not FaceStream(BURST_STREAM).faces(frame):
        raise SystemExit("a lane person's first frame shows no face")


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def _thread_cpu_s(name: str) -> float:
    """CPU seconds of this process's thread called `name` so far (0 if there is none)."""
    import threading

    for thread in threading.enumerate():
        if thread.name == name and thread.ident is not None:
            return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    return 0.0


def _wait_frame(app: Any, number: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame = app.pump.newest(after=0.0, timeout_s=0.2)
        if frame is not None and frame.number >= number:
            return
        time.sleep(0.01)


def worker(args: argparse.Namespace) -> None:
    """One lane: run its agent through the scene and print its figures as one JSON line."""
    from bench.agent_face_paths import face_gate
    from bench.neighbour_process import gate_neighbours
    from gate_protocol.messages import Decision

    people = pickle.loads(Path(args.people).read_bytes())  # noqa: S301 - our own file
    frames, taps = lane_scene(args.idle_s, args.cycles, [p.frames for p in people])
    holders = {p.badge: p.person_id for p in people}
    with (
        tempfile.TemporaryDirectory() as tmp,
        gate_neighbours(Path(tmp), people_snapshot(people), holders) as (port, url, bridge),
    ):
        # Every lane starts its camera at once, its face models loaded: a lane still making
        # its scene or loading models (an agent's start-up, once a boot) would take CPU
        # from the others' measured walk-ups.
        _load_face_models(people[0].frames[0])
        print("READY", flush=True)
        sys.stdin.readline()
        app = face_gate(
            Path(tmp) / "agent", port, url, frames, FPS, track=True,
            ahead=not args.no_presearch, track_ms=args.track_ms, keep_s=args.keep_s,
        )  # fmt: skip
        try:
            _wait_frame(app, 0, 30)
            idle_wall, idle_cpu = time.monotonic(), _cpu_s()
            _wait_frame(app, round(args.idle_s * FPS) - 1, 60)
            idle = (_cpu_s() - idle_cpu) / max(time.monotonic() - idle_wall, 1e-6)
            busy_wall, busy_cpu = time.monotonic(), _cpu_s()
            tracked = app.tracker.frames_tracked
            track_cpu = _thread_cpu_s("agent-track")
            times, refused, tracked_grants = [], 0, 0
            for cycle, number in enumerate(taps):
                _wait_frame(app, number, 60)
                badge = people[cycle % len(people)].badge
                # A window may work up to WindowPlan.late_s past its 1.5 s on a busy box: a
                # grant that late is slow (the p95 says so), not a live user refused.
                ms, event = bridge.call("tap", badge=badge, open_timeout=6, event_timeout=6)
                # The gate's policy requires face and liveness: a grant is a live user let
                # through, whether the window or the track (before the tap) verified the face.
                ok = event is not None and event.decision is Decision.GRANTED
                if ms is not None and ok:
                    times.append(ms)
                    tracked_grants += from_track(event)
                else:
                    refused += 1
                    why = "no event" if event is None else str(event.reason_detail or event.reason)
                    print(f"  lane refused a live user: {why}", file=sys.stderr)
            _wait_frame(app, taps[-1] + round(0.5 * FPS), 30)
            busy_s = max(time.monotonic() - busy_wall, 1e-6)
            busy = (_cpu_s() - busy_cpu) / busy_s
            tracked = app.tracker.frames_tracked - tracked
            fps = tracked / busy_s
            per_frame = (_thread_cpu_s("agent-track") - track_cpu) / max(tracked, 1)
            per_person = busy * busy_s / max(len(taps), 1)
        finally:
            app.stop()
    figures = {"times": times, "refused": refused, "fps": fps, "idle": idle, "busy": busy}
    figures |= {"from_track": tracked_grants}
    figures |= {"track_ms": per_frame * 1000, "person_s": per_person}
    print(json.dumps(figures))


def run_lanes(count: int, args: argparse.Namespace, people: Path) -> list[dict[str, Any]]:
    """Start `count` lane processes, let their cameras start together, collect their figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--people", str(people)]
    command += ["--idle-s", str(args.idle_s), "--cycles", str(args.cycles)]
    command += ["--track-ms", str(args.track_ms)]
    if args.same_person:
        command += ["--same-person"]
    if args.keep_s is not None:
        command += ["--keep-s", str(args.keep_s)]
    if args.no_presearch:
        command += ["--no-presearch"]
    lanes = [
        subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )  # the lanes' stderr (refusals, the agents' warnings) goes to this script's
        for _ in range(count)
    ]
    for lane in lanes:
        assert lane.stdout is not None  # noqa: S101 - a pipe was asked for
        if lane.stdout.readline().strip() != "READY":
            raise SystemExit("a lane process failed before its camera started")
    for lane in lanes:
        assert lane.stdin is not None  # noqa: S101
        lane.stdin.write("GO\n")
        lane.stdin.flush()
    results = []
    for lane in lanes:
        out, _ = lane.communicate(timeout=900)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if lane.returncode != 0 or not lines:
            raise SystemExit(f"a lane process failed (exit {lane.returncode})")
        results.append(json.loads(lines[-1]))
    return results


def badge_anchor(reads: int) -> float:
    """Badge-only credential -> OpenCommand p50 of one lane (bench_agent's part 2)."""
    from bench.bench_agent import bench_open

    p50 = bench_open(reads)
    if p50 is None:
        raise SystemExit("no badge-only read was timed")
    return p50


def report(count: int, results: list[dict[str, Any]], badge_p50: float) -> bool:
    """Print one N's figures; returns whether every lane met both goals."""
    times = [t for r in results for t in r["times"]]
    refused = sum(r["refused"] for r in results)
    reads = len(times) + refused
    fps = min(r["fps"] for r in results)
    p95 = pct(times, 0.95) if times else float("nan")
    idle = statistics.mean(r["idle"] for r in results)
    busy = statistics.mean(r["busy"] for r in results)
    met = bool(times) and fps >= 10 and p95 <= 250 and refused == 0
    print(f"{count} lanes on one box, {reads} badge reads, {refused} live users refused:")
    before = sum(r["from_track"] for r in results)
    print(f"  decided before the tap by the face track: {before} of {len(times)} grants")
    print(f"  tracking per lane (slowest): {fps:6.2f} fps  (goal >= 10)")
    ratio = p95 / badge_p50 if times else float("nan")
    print(
        f"  after the tap: p50 {statistics.median(times) if times else float('nan'):7.1f} ms"
        f"  p95 {p95:7.1f} ms  (goal <= 250)  ratio {ratio:.1f} to badge-only p50"
    )
    print(f"  CPU per lane: idle {idle:.2f} cores, busy {busy:.2f} cores")
    # What the machine's load does not set: the work itself (a starved lane does less of
    # it per second, not less per frame or per person).
    track_ms = statistics.mean(r["track_ms"] for r in results)
    person_s = statistics.mean(r["person_s"] for r in results)
    print(f"  face track CPU per tracked frame {track_ms:.1f} ms")
    print(f"  lane CPU per person {person_s:.2f} s (one every 3 s)")
    print(f"  goals {'met' if met else 'missed'}")
    yes = {True: "yes", False: "no"}
    anchor = "badge-only p50, 1 lane"
    print(
        f"FIGURE lanes|{count} lanes: after-tap p95|{p95:.1f}|ms|{anchor}|{badge_p50:.2f}"
        f"|<= 250 ms|{yes[bool(times) and p95 <= 250]}"
    )
    print(
        f"FIGURE lanes|{count} lanes: slowest lane tracking|{fps:.1f}|fps|||>= 10 fps"
        f"|{yes[fps >= 10]}"
    )
    print(f"FIGURE lanes|{count} lanes: live users refused|{refused}|reads|||0|{yes[refused == 0]}")
    print(f"FIGURE lanes|{count} lanes: CPU per lane idle|{idle:.2f}|cores|||")
    print(f"FIGURE lanes|{count} lanes: CPU per lane busy|{busy:.2f}|cores|||")
    print(f"FIGURE lanes|{count} lanes: face track CPU per frame|{track_ms:.1f}|ms|||")
    print(f"FIGURE lanes|{count} lanes: lane CPU per person|{person_s:.2f}|s|||")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", default="1,2,3,4", help="lane counts to try, ascending")
    parser.add_argument("--cycles", type=int, default=4, help="people per lane (one per 3 s)")
    parser.add_argument("--idle-s", type=float, default=3.0, help="empty lane before them")
    parser.add_argument("--track-ms", type=int, default=90, help="face track interval")
    parser.add_argument("--reads", type=int, default=30, help="badge-only reads (anchor)")
    parser.add_argument(
        "--keep-s",
        type=float,
        default=None,
        help="face.track_liveness_keep_s (0: a passed face judged again on every 8 frames, "
        "as before 2026-12-07; default: the config's)",
    )
    parser.add_argument(
        "--no-presearch", action="store_true", help="face.presearch off (default: on)"
    )
    parser.add_argument(
        "--same-person",
        action="store_true",
        help="the same person every cycle (the scene before 2026-12-07: every tap after the "
        "first goes to the window after the tap, as the track decides once per face)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--people", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    keep = "config default" if args.keep_s is None else f"{args.keep_s} s"
    print(f"face.track_liveness_keep_s: {keep}; face.presearch: {not args.no_presearch}")
    cast = _cast(args)
    print(f"people in the lane, in turn: {', '.join(p.name for p in cast)}")
    cost = track_cost(lane_scene(0.0, 2, [p.frames for p in cast])[0])
    ratio = cost["ms"] / cost["anchor_ms"]
    print(
        f"face track CPU per tracked frame, 2 walk-ups at 10 fps ({cost['frames']:.0f} frames):"
        f" {cost['ms']:.1f} ms ({cost['encodings']:.0f} encodings), anchor (every moving frame"
        f" encoded) {cost['anchor_ms']:.1f} ms, ratio {ratio:.2f}; frames with a face"
        f" {cost['seen']:.0f} / anchor {cost['anchor_seen']:.0f}"
    )
    print(
        f"FIGURE lanes|face track CPU per tracked frame (thread CPU)|{cost['ms']:.1f}|ms"
        f"|every moving frame encoded|{cost['anchor_ms']:.1f}||"
    )
    badge_p50 = badge_anchor(args.reads)
    best = 0
    with tempfile.TemporaryDirectory() as tmp:
        people = Path(tmp) / "people.pickle"
        people.write_bytes(pickle.dumps(cast))
        for count in (int(n) for n in args.lanes.split(",")):
            if report(count, run_lanes(count, args, people), badge_p50):
                best = count
    print(f"largest N meeting both goals: {best} (goal >= 4)")
    met = "yes" if best >= 4 else "no"
    print(f"FIGURE lanes|largest N: every lane >= 10 fps, p95 <= 250 ms|{best}|lanes|||>= 4|{met}")
    print(f"machine load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
