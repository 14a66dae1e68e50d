"""Credential -> open command with the holder's face already tracked, against waiting for frames.

usage: .venv/bin/python bench/bench_face_track.py [--taps N]

A real mosquitto on a free port, the HTTP API stub (it answers the decision) and a simulated
bridge; the real detector and encoder (biometrics, GATE_PIPELINE) on the shared photo
obama.jpg, replayed at 10 fps; the template comes from obama2.jpg. Liveness is a stand-in
that passes in both runs (a replayed still photo is rightly refused by the real check), so
the figures are the face step's and the pipeline's, not the liveness check's.

1. Face in the track: the camera replays the face for 1.6 s, then an empty frame for 0.8 s,
   so each appearance opens a new track (a track decides one presentation). Each badge read
   is sent once the tracker holds a live, unspent track, and timed from the bridge
   publishing CredentialPresented to the bridge holding the OpenCommand.
2. Baseline in the same run: the same agent without a track (face.track_window_s 0): the
   face window after the badge read (gate_agent.face.window: the frames of the 0.5 s before
   it, then new ones as they come, 8 with the face for liveness, two encoded). Ratio = 1 / 2
   (p50).
The issue's goal: <= 50 ms p95 when the face was verified before the tap.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.neighbour_process import gate_neighbours
from biometrics import GATE_PIPELINE, dlib_build_info, template_to_bytes
from gate_agent.app import AgentApp
from gate_agent.camera.frames import ReplayFrameSource
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_agent.face.biometrics import BiometricFaceObserver, BiometricFaceVerifier
from gate_agent.face.step import LivenessResult
from gate_protocol.replica import FaceTemplateRecord
from testkit.agent.doubles import GATE_KEY, agent_config, make_snapshot

ROOT = Path(__file__).resolve().parents[1]

FACES = ROOT.parent / "shared" / "data" / "faces"


class PassingLiveness:
    """A liveness stand-in that passes (the same in both runs)."""

    def check(self, images: Sequence[Any]) -> LivenessResult:
        """Always live."""
        return LivenessResult(passed=True, score=0.9)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(tmp: Path, *, track: bool, taps: int) -> list[float]:
    import base64

    encoding = GATE_PIPELINE.encode_file(FACES / "obama2.jpg")
    if encoding is None:
        raise SystemExit("no face found in obama2.jpg")
    template = base64.b64encode(template_to_bytes(encoding.encoding)).decode()
    snapshot = make_snapshot(face_required=True).model_copy(
        update={
            "templates": (
                FaceTemplateRecord(template_id="T1", person_id="P1", encoding_b64=template),
            )
        }
    )
    tmp.mkdir()
    ReplicaStore(tmp / "replica.json").save(
        StoredReplica(snapshot=snapshot, last_sync_at=datetime.now(UTC))
    )
    face = cv2.imread(str(FACES / "obama.jpg"), cv2.IMREAD_COLOR)
    blank = np.zeros_like(face)
    # 1.6 s of face: the track needs 8 frames (biometrics.WINDOW_FRAMES) before its liveness.
    frames = [face] * 16 + [blank] * 8 if track else [face]
    # The API stub and the bridge in processes of their own, as at a gate.
    with gate_neighbours(tmp, snapshot) as (port, api_url, bridge):
        config = agent_config(
            tmp,
            mqtt_port=port,
            api_url=api_url,
            face={
                "burst_frames": 3,
                "track_window_s": 0.5 if track else 0,
                "track_interval_ms": 100,
            },
        )
        app = AgentApp(
            config,
            gate_key=GATE_KEY,
            verifier=BiometricFaceVerifier(max_frames=1),
            liveness=PassingLiveness(),
            observer=BiometricFaceObserver(),
            scanner=lambda image: [],
            frame_source=ReplayFrameSource(frames, fps=10),
        )
        app.start()
        times: list[float] = []
        try:
            deadline = time.monotonic() + 10
            while not app.agent.subscribed and time.monotonic() < deadline:
                time.sleep(0.02)
            for _ in range(taps):
                if track:
                    wait_for_live_track(app)
                else:
                    time.sleep(0.6)
                ms, _ = bridge.call("tap", open_timeout=10, event_timeout=10)
                if ms is not None:
                    times.append(ms)
            details = [e.reason_detail or "" for e in bridge.call("events")]
            from_track = sum("before the credential" in d for d in details)
            mode = "track" if track else "frames"
            print(f"  ({mode}: {from_track} of {len(details)} decided from the track)")
        finally:
            app.stop()
    return times


def wait_for_live_track(app: AgentApp) -> None:
    tracker = app.tracker
    if tracker is None:
        raise SystemExit("the agent has no face tracker")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = time.monotonic()
        if any(t.liveness is not None and not t.used for t in tracker.tracks.snapshots(now=now)):
            return
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=10, help="badge reads per run")
    args = parser.parse_args()
    print(f"dlib: {dlib_build_info()}")
    with tempfile.TemporaryDirectory() as name:
        tracked = run(Path(name) / "track", track=True, taps=args.taps)
        burst = run(Path(name) / "burst", track=False, taps=args.taps)
    base, p50 = statistics.median(burst), statistics.median(tracked)
    print(f"credential -> open command, {args.taps} badge reads each, face required:")
    print(f"  frames after the tap (baseline): p50 {base:7.1f} ms  p95 {pct(burst, 0.95):7.1f} ms")
    print(
        f"  face already in the track:      p50 {p50:7.1f} ms  p95 {pct(tracked, 0.95):7.1f} ms"
        f"  ratio {p50 / base:.3f}"
    )


if __name__ == "__main__":
    main()
