"""The face paths of bench_agent: credential -> open command with face and liveness.

Imported by bench/bench_agent.py (its docstring, part 3, says what each path measures).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.biometric_parsers import (
    AFTER_TAP_PLAIN,
    AFTER_TAP_PRESEARCH,
    AFTER_TAP_TRACKING,
    TRACKED,
)
from bench.neighbour_process import gate_neighbours
from gate_agent.app import AgentApp
from gate_agent.camera.frames import ReplayFrameSource
from testkit.agent.doubles import GATE_KEY, agent_config

__all__ = ["FACES", "bench_face", "face_gate", "from_track", "live_frames"]

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def live_frames(count: int = 24) -> list[Any]:
    """BGR frames of a simulated live user (obama.jpg warped by liveness_sim)."""
    from biometrics import FaceEncoder, HogDetector, load_image, select_primary_face
    from testkit.liveness_sim import live_sequence

    image = load_image(FACES / "obama.jpg")
    size = (480, round(image.shape[0] * 480 / image.shape[1]))
    image = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    box = select_primary_face(HogDetector().detect(image), height=size[1], width=size[0])
    assert box is not None  # noqa: S101 - a known portrait
    landmarks = FaceEncoder(landmark_points=68).landmarks(image, box)
    frames = live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=count)
    return [np.ascontiguousarray(cv2.cvtColor(f, cv2.COLOR_RGB2BGR)) for f in frames]


def there_and_back(frames: list[Any]) -> list[Any]:
    """The frames forward, then back: a camera looping them shows no jump.

    Looped as they are, the last frame's face is followed by the first's (another place,
    another head turn): about a third of 8-frame windows then held that jump, and the
    liveness check refused the simulated live user for rigid motion, a figure of the
    replay, not of the agent.
    """
    return [*frames, *frames[-2:0:-1]]


def face_snapshot() -> Any:
    """The test replica with face and liveness required and P1's template from obama2.jpg."""
    import base64

    from biometrics import ENROLLMENT_PIPELINE, template_to_bytes
    from gate_protocol.replica import FaceTemplateRecord
    from testkit.agent.doubles import make_snapshot

    encoding = ENROLLMENT_PIPELINE.encode_file(FACES / "obama2.jpg")
    assert encoding is not None  # noqa: S101 - a known portrait
    template = base64.b64encode(template_to_bytes(encoding.encoding)).decode()
    record = FaceTemplateRecord(template_id="T1", person_id="P1", encoding_b64=template)
    return make_snapshot(face_required=True).model_copy(update={"templates": (record,)})


def face_gate(
    tmp: Path,
    port: int,
    api_url: str,
    frames: list[Any],
    fps: float,
    track: bool,
    ahead: bool = False,
    track_ms: int | None = None,
    keep_s: float | None = None,
) -> Any:
    """A started agent with the real biometrics and the replay camera (ahead: face.presearch).

    `track_ms`: the face track's interval (face.track_interval_ms; None: the default);
    `keep_s`: how long a passed verdict holds (face.track_liveness_keep_s; None: the default).
    """
    from gate_agent.face.biometrics import (
        BiometricFaceObserver,
        BiometricFaceVerifier,
        BiometricLiveness,
    )

    tmp.mkdir(parents=True, exist_ok=True)
    face: dict[str, Any] = {} if track_ms is None else {"track_interval_ms": track_ms}
    if keep_s is not None:
        face["track_liveness_keep_s"] = keep_s
    extra = {"face": face} if face else {}
    config = agent_config(tmp, mqtt_port=port, api_url=api_url, **extra)
    verifier = BiometricFaceVerifier(max_frames=config.face.verify_frames, presearch=ahead)
    observer = BiometricFaceObserver() if track else None
    if observer is not None:
        verifier.share_track(observer)  # as gate_agent.app.build_app wires them
    app = AgentApp(
        config,
        gate_key=GATE_KEY,
        verifier=verifier,
        liveness=BiometricLiveness(),
        observer=observer,
        scanner=lambda image: [],
        frame_source=ReplayFrameSource(there_and_back(frames), fps=fps),
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
    with (
        tempfile.TemporaryDirectory() as tmp,
        gate_neighbours(Path(tmp), snapshot) as (port, api_url, bridge),
    ):
        for label, track, ahead, wait in (
            (AFTER_TAP_PLAIN, False, False, False),
            (AFTER_TAP_PRESEARCH, False, True, False),
            (AFTER_TAP_TRACKING, True, True, False),
            (TRACKED, True, True, True),
        ):
            times: list[float] = []
            faces: list[Any] = []
            refused = 0
            app = None
            for n in range(reads):
                if app is None or track:
                    app = face_gate(
                        Path(tmp) / f"{track}{ahead}{wait}{n}",
                        port,
                        api_url,
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
                ms, event = bridge.call("tap")
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
