"""Gate agent figures: frame-loop throughput and credential -> open-ack latency.

usage: .venv/bin/python bench/bench_agent.py [--seconds S] [--reads N] [--face-reads F] [--fps R]

1. Frame loop: the agent's FramePump (camera thread + scan worker, drop-oldest slot) replays
   the shared QR photos as fast as it can for S seconds with the real scanner
   (gate_agent.camera.code_scanner, no retries). Baseline in the same run: scan_codes called in a
   plain loop over the same images (no threads, no queue). Ratio = pump fps / plain fps.
2. Credential -> open-ack: a real mosquitto on a free port, the HTTP API stub and a
   simulated bridge, each in a process of its own as at a gate (bench/neighbour_process.py:
   in the agent's process they waited for its GIL, and it for theirs); N badge reads, timed
   from the bridge publishing CredentialPresented to the bridge holding the OpenCommand
   (p50/p95), and to the AccessEvent. Baseline in the same run: an MQTT echo (publish ->
   echo client republishes -> receive) on the same broker, two hops like credential ->
   agent -> cmd/open. Ratio = agent p50 / echo p50.
3. Credential -> open command at a gate whose policy requires face and liveness, with the
   real biometrics (gate_agent.face.biometrics) and a camera replaying, at R fps, a
   simulated live user made from ../shared/data/faces/obama.jpg (testkit.liveness_sim:
   blink, mouth, head-turn parallax; 480 px wide, the face about 135 px); the enrolled
   template comes from another photo (obama2.jpg, enrollment pipeline). Two paths:
   * "after the tap, no track, no presearch": the agent's face window
     (gate_agent.face.window): the frames of the 0.5 s before the credential (at most 6),
     then each new frame as it arrives, worked on one by one (search + 5 landmarks; two
     encoded; the searches on two searcher threads, ahead of the window's own work),
     liveness over 8 frames with the face, stop once certain; then the API;
   * "after the tap, no track, presearch": the same window with face.presearch on (the
     default; gate_agent.face.presearch follows every frame while a face is in view, so the
     window's pre-roll frames are searched before the tap);
   * "after the tap, track not judged yet, presearch": the defaults (face track and
     presearch), the badge read 0.5 s after the agent starts, before the track has the 8
     frames its liveness check needs (reads the track decided anyway are skipped);
   * "face verified before the tap": the agent's face track (tracker thread) has encoded
     the face and passed liveness before the badge is read (a fresh agent per read: a
     track decides one presentation).
   Only reads whose AccessEvent shows the face matched and liveness passed are counted.
   Baseline in the same run: the badge-only p50 of part 2 (ratio = face p50 / badge p50).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.agent_face_paths import bench_face, pct
from bench.neighbour_process import gate_neighbours
from gate_agent.app import AgentApp
from gate_agent.camera.frame_pump import FramePump, load_code_scanner
from gate_agent.camera.frames import ReplayFrameSource
from testkit.agent.doubles import GATE_KEY, agent_config

ROOT = Path(__file__).resolve().parents[1]

QR_PHOTOS = ROOT.parent / "shared" / "data" / "qr-photos"


def load_photos(limit: int = 24) -> list[Any]:
    paths = sorted(p for p in QR_PHOTOS.rglob("*") if p.suffix.lower() in {".png", ".jpg"})
    images = []
    for path in paths[:limit]:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None:
            images.append(np.ascontiguousarray(image))
    return images


def bench_frames(seconds: float) -> None:
    images = load_photos()
    if not images:
        print("frame loop: skipped (../shared/data/qr-photos is absent)")
        return
    scan = load_code_scanner()
    started, plain = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        scan(images[plain % len(images)])
        plain += 1
    plain_fps = plain / (time.perf_counter() - started)

    codes: list[str] = []
    camera_fps = max(30.0, 2 * plain_fps)  # faster than the scanner: the slot must drop
    pump = FramePump(
        source=ReplayFrameSource(images, fps=camera_fps),
        scanner=scan,
        on_code=lambda text, at: codes.append(text),
        dedup_s=0,
    )
    pump.start()
    time.sleep(seconds)
    counters = pump.counters
    scanned, read, dropped = counters.frames_scanned, counters.frames_read, counters.frames_dropped
    pump.stop()
    pump_fps = scanned / seconds
    mean_px = statistics.mean(i.shape[0] * i.shape[1] for i in images) / 1e6
    print(
        f"frame loop over {len(images)} QR photos (mean {mean_px:.2f} Mpx), {seconds:.0f} s,"
        f" camera at {camera_fps:.0f} fps:"
    )
    print(f"  plain scan_codes loop (baseline): {plain_fps:8.1f} frames/s")
    ratio = pump_fps / plain_fps
    print(f"  agent FramePump scanned:          {pump_fps:8.1f} frames/s  ratio {ratio:.2f}")
    print(f"  camera frames read {read}, dropped (oldest) {dropped}, codes reported {len(codes)}")


def nodelay(client: Any, userdata: Any, sock: Any) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def echo_baseline(port: int, count: int) -> list[float]:
    arrived: dict[str, float] = {}
    done = threading.Event()

    def echo_on_message(client: Any, userdata: Any, message: Any) -> None:
        client.publish("bench/echo/out", message.payload, qos=1)

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        arrived[message.payload.decode()] = time.perf_counter()
        done.set()

    echo = mqtt.Client(CallbackAPIVersion.VERSION2)
    echo.on_socket_open = nodelay
    echo.on_message = echo_on_message
    echo.connect("127.0.0.1", port)
    echo.subscribe("bench/echo/in", qos=1)
    echo.loop_start()
    probe = mqtt.Client(CallbackAPIVersion.VERSION2)
    probe.on_socket_open = nodelay
    probe.on_message = on_message
    probe.connect("127.0.0.1", port)
    probe.subscribe("bench/echo/out", qos=1)
    probe.loop_start()
    time.sleep(0.5)
    times = []
    for n in range(count):
        done.clear()
        sent = time.perf_counter()
        probe.publish("bench/echo/in", str(n).encode(), qos=1)
        done.wait(2)
        if str(n) in arrived:
            times.append((arrived[str(n)] - sent) * 1000)
    for c in (echo, probe):
        c.disconnect()
        c.loop_stop()
    return times


def bench_open(reads: int) -> float | None:
    with tempfile.TemporaryDirectory() as tmp, gate_neighbours(Path(tmp)) as (port, url, bridge):
        config = agent_config(Path(tmp), mqtt_port=port, api_url=url)
        app = AgentApp(config, gate_key=GATE_KEY)
        app.start()
        try:
            deadline = time.monotonic() + 10
            while not app.agent.subscribed and time.monotonic() < deadline:
                time.sleep(0.02)
            to_command, to_event = [], []
            for _ in range(reads):
                sent = time.perf_counter()
                ms, event = bridge.call("tap", open_timeout=3, event_timeout=3)
                if ms is not None:
                    to_command.append(ms)
                if event is not None:
                    to_event.append((time.perf_counter() - sent) * 1000)
            baseline = echo_baseline(port, reads)
        finally:
            app.stop()
    base = statistics.median(baseline)
    p50 = statistics.median(to_command)
    print(f"credential -> open command, {len(to_command)} of {reads} badge reads:")
    print(
        f"  MQTT echo, two hops (baseline): p50 {base:6.2f} ms  p95 {pct(baseline, 0.95):6.2f} ms"
    )
    print(
        f"  agent (HTTP decision + outbox):  p50 {p50:6.2f} ms  p95 {pct(to_command, 0.95):6.2f} ms"
        f"  ratio {p50 / base:.1f}"
    )
    print(
        f"  credential -> AccessEvent (ack + passage + fsync'd outbox): "
        f"p50 {statistics.median(to_event):6.2f} ms  p95 {pct(to_event, 0.95):6.2f} ms"
    )
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="frame loop duration")
    parser.add_argument("--reads", type=int, default=100, help="badge reads to time")
    parser.add_argument("--face-reads", type=int, default=12, help="reads per face path (0: none)")
    parser.add_argument("--fps", type=float, default=30.0, help="replay camera rate, face paths")
    args = parser.parse_args()
    bench_frames(args.seconds)
    badge_p50 = bench_open(args.reads)
    if args.face_reads > 0:
        bench_face(args.face_reads, args.fps, badge_p50)


if __name__ == "__main__":
    main()
