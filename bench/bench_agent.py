"""Gate agent figures: frame-loop throughput and credential -> open-ack latency.

usage: .venv/bin/python bench/bench_agent.py [--seconds S] [--reads N] [--face-reads F] [--fps R]

1. Frame loop: the agent's FramePump (camera thread + scan worker, drop-oldest slot) replays
   the shared QR photos as fast as it can for S seconds with the real scanner
   (gate_agent.code_scanner, no retries). Baseline in the same run: scan_codes called in a
   plain loop over the same images (no threads, no queue). Ratio = pump fps / plain fps.
2. Credential -> open-ack: a real mosquitto on a free port, the HTTP API stub and a
   simulated bridge; N badge reads, timed from the bridge publishing CredentialPresented to
   the bridge holding the OpenCommand (p50/p95), and to the AccessEvent. Baseline in the same
   run: an MQTT echo (publish -> echo client republishes -> receive) on the same broker, two
   hops like credential -> agent -> cmd/open. Ratio = agent p50 / echo p50.
3. Credential -> open command at a gate whose policy requires face and liveness, with the
   real biometrics (gate_agent.face_biometrics) and a camera replaying, at R fps, a
   simulated live user made from ../shared/data/faces/obama.jpg (biometrics.liveness_sim:
   blink, mouth, head-turn parallax; 480 px wide, the face about 135 px); the enrolled
   template comes from another photo (obama2.jpg, enrollment pipeline). Two paths:
   * "after the tap, no track, no presearch": the agent's face window
     (gate_agent.face_window): the frames of the 0.5 s before the credential (at most 6),
     then each new frame as it arrives, worked on one by one (search + 68 landmarks; two
     encoded; the searches on two searcher threads, ahead of the window's own work),
     liveness over 8 frames with the face, stop once certain; then the API;
   * "after the tap, no track, presearch": the same window with face.presearch on (the
     default; gate_agent.face_presearch follows every frame while a face is in view, so the
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
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests" / "gate_agent"))
from agent_support import GATE_KEY, ApiStub, BridgeSim, agent_config  # noqa: E402
from mosquitto_fixture import start_mosquitto  # noqa: E402

from gate_agent.app import AgentApp  # noqa: E402
from gate_agent.frame_pump import FramePump, load_code_scanner  # noqa: E402
from gate_agent.frames import ReplayFrameSource  # noqa: E402

QR_PHOTOS = ROOT.parent / "shared" / "data" / "qr-photos"
FACES = ROOT.parent / "shared" / "data" / "faces"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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
    with tempfile.TemporaryDirectory() as tmp:
        broker = start_mosquitto(
            Path(tmp),
            conf_text="listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n",
        )
        api = ApiStub()
        bridge = BridgeSim(broker.port)
        config = agent_config(Path(tmp), mqtt_port=broker.port, api_url=api.url)
        app = AgentApp(config, gate_key=GATE_KEY)
        app.start()
        try:
            deadline = time.monotonic() + 10
            while not app.agent.subscribed and time.monotonic() < deadline:
                time.sleep(0.02)
            to_command, to_event = [], []
            for _ in range(reads):
                sent = time.perf_counter()
                ms, event = bridge.tap(open_timeout=3, event_timeout=3)
                if ms is not None:
                    to_command.append(ms)
                if event is not None:
                    to_event.append((time.perf_counter() - sent) * 1000)
            baseline = echo_baseline(broker.port, reads)
        finally:
            app.stop()
            bridge.close()
            api.stop()
            broker.stop()
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


def live_frames(count: int = 24) -> list[Any]:
    """BGR frames of a simulated live user (obama.jpg warped by liveness_sim)."""
    from biometrics import FaceEncoder, HogDetector, load_image, select_primary_face
    from biometrics.liveness_sim import live_sequence

    image = load_image(FACES / "obama.jpg")
    size = (480, round(image.shape[0] * 480 / image.shape[1]))
    image = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    box = select_primary_face(HogDetector().detect(image), height=size[1], width=size[0])
    assert box is not None  # noqa: S101 - a known portrait
    landmarks = FaceEncoder(landmark_points=68).landmarks(image, box)
    frames = live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=count)
    return [np.ascontiguousarray(cv2.cvtColor(f, cv2.COLOR_RGB2BGR)) for f in frames]


def face_snapshot() -> Any:
    """The test replica with face and liveness required and P1's template from obama2.jpg."""
    import base64

    from agent_support import make_snapshot

    from biometrics import ENROLLMENT_PIPELINE, template_to_bytes
    from gate_protocol.replica import FaceTemplateRecord

    encoding = ENROLLMENT_PIPELINE.encode_file(FACES / "obama2.jpg")
    assert encoding is not None  # noqa: S101 - a known portrait
    template = base64.b64encode(template_to_bytes(encoding.encoding)).decode()
    record = FaceTemplateRecord(template_id="T1", person_id="P1", encoding_b64=template)
    return make_snapshot(face_required=True).model_copy(update={"templates": (record,)})


def face_gate(
    tmp: Path, port: int, api: Any, frames: list[Any], fps: float, track: bool, ahead: bool = False
) -> Any:
    """A started agent with the real biometrics and the replay camera (ahead: face.presearch)."""
    from gate_agent.face_biometrics import (
        BiometricFaceObserver,
        BiometricFaceVerifier,
        BiometricLiveness,
    )

    tmp.mkdir(parents=True, exist_ok=True)
    config = agent_config(tmp, mqtt_port=port, api_url=api.url)
    app = AgentApp(
        config,
        gate_key=GATE_KEY,
        verifier=BiometricFaceVerifier(max_frames=config.face.verify_frames, presearch=ahead),
        liveness=BiometricLiveness(),
        observer=BiometricFaceObserver() if track else None,
        scanner=lambda image: [],
        frame_source=ReplayFrameSource(frames, fps=fps),
    )
    app.start()
    deadline = time.monotonic() + 10
    while not app.agent.subscribed and time.monotonic() < deadline:
        time.sleep(0.02)
    return app


def track_ready(app: Any, timeout: float) -> bool:
    """Wait until the face track holds a face whose liveness passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tracks = app.tracker.tracks.snapshots(now=time.monotonic())
        if any(t.liveness is not None and t.liveness.passed for t in tracks):
            return True
        time.sleep(0.05)
    return False


def bench_face(reads: int, fps: float, badge_p50: float | None) -> None:
    """Credential -> open command with face and liveness: after the tap, and tracked before."""
    from biometrics import DEFAULT_VERIFY_THRESHOLD, dlib_build_info

    if not (FACES / "obama.jpg").is_file():
        print("face paths: skipped (../shared/data/faces is absent)")
        return
    frames = live_frames()
    snapshot = face_snapshot()
    print(f"dlib build: {dlib_build_info()}")
    with tempfile.TemporaryDirectory() as tmp:
        broker = start_mosquitto(
            Path(tmp),
            conf_text="listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n",
        )
        api = ApiStub(snapshot)
        bridge = BridgeSim(broker.port)
        try:
            for label, track, ahead, wait in (
                ("face + liveness after the tap, no track, no presearch", False, False, False),
                ("face + liveness after the tap, no track, presearch", False, True, False),
                (
                    "face + liveness after the tap, track not judged yet, presearch",
                    True,
                    True,
                    False,
                ),
                ("face verified before the tap (track)", True, True, True),
            ):
                times: list[float] = []
                faces: list[Any] = []
                refused = 0
                app = None
                for n in range(reads):
                    if app is None or track:
                        app = face_gate(
                            Path(tmp) / f"{track}{ahead}{wait}{n}",
                            broker.port,
                            api,
                            frames,
                            fps,
                            track,
                            ahead,
                        )
                        time.sleep(0.5)  # the camera's first frames
                    if wait and not track_ready(app, 15):
                        refused += 1
                        app.stop()
                        continue
                    ms, event = bridge.tap()
                    if track and not wait and event is not None and from_track(event):
                        app.stop()  # the track was quicker than the tap: not this path
                        time.sleep(0.3)
                        continue
                    ok = (
                        event is not None
                        and event.face_score is not None
                        and event.face_score < DEFAULT_VERIFY_THRESHOLD
                        and bool(event.liveness_score is not None and event.liveness_score >= 0.5)
                    )
                    if ms is not None and ok:
                        times.append(ms)
                        faces.append(event.latency)
                    else:
                        refused += 1
                        why = "no event" if event is None else str(event.reason_detail or "")
                        why = why or (str(event.reason) if event is not None else "")
                        print(f"  refused: {why} (face score {getattr(event, 'face_score', None)})")
                    if track:
                        app.stop()
                    time.sleep(0.3)  # the turnstile cycle ends
                if app is not None and not track:
                    app.stop()
                report_face(label, times, faces, refused, reads, badge_p50)
        finally:
            bridge.close()
            api.stop()
            broker.stop()


def from_track(event: Any) -> bool:
    """Whether the face track decided the event (its detail says so)."""
    return "before the credential" in str(event.reason_detail or "")


def report_face(
    label: str,
    times: list[float],
    latencies: list[Any],
    refused: int,
    reads: int,
    badge_p50: float | None,
) -> None:
    """Print one face path's figures."""
    print(f"credential -> open command, {label}: {len(times)} of {reads} reads ({refused} refused)")
    print(f"  live-user rejection on this path: {refused}/{reads} = {refused / max(reads, 1):.1%}")
    if not times:
        return
    p50, p95 = statistics.median(times), pct(times, 0.95)
    face = [x.face_ms for x in latencies if x is not None and x.face_ms is not None]
    live = [x.liveness_ms for x in latencies if x is not None and x.liveness_ms is not None]
    ratio = f"  ratio {p50 / badge_p50:.1f} to badge-only" if badge_p50 else ""
    print(f"  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms{ratio}")
    print(
        f"  in the agent: face step median {statistics.median(face) if face else 0:.1f} ms,"
        f" liveness median {statistics.median(live) if live else 0:.1f} ms"
    )


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
