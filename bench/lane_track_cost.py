"""The face track's own work on one lane's walk-ups, in CPU time: what the load does not set.

Imported by bench/bench_lanes.py. The lane camera's frames (`lane_scene`), one in three
(10 fps, the tracking goal), go through the face track's observer on this thread, and the
thread's CPU time is read (`time.thread_time`), so a starved process measures the same work
as a quiet one. The anchor, in the same run: the observer before issue 24.2's second pass, a
`FaceStream` that encodes each moving face in every frame (`StreamSettings(max_faces=3)`).
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["track_cost"]


def _every_frame(stream: Any) -> Any:
    from gate_agent.face.track import SeenFace

    def faces(image: Any) -> list[Any]:
        return [SeenFace(encoding=f.encoding, box=f.box) for f in stream.faces(image)]

    return faces


def _cpu_per_frame(observe: Any, frames: list[Any]) -> tuple[float, int]:
    started = time.thread_time()
    seen = sum(1 for image in frames if observe(image))
    return (time.thread_time() - started) * 1000 / len(frames), seen


def track_cost(frames: list[Any]) -> dict[str, float]:
    """CPU ms per tracked frame (10 fps) of the observer and of the every-frame anchor."""
    from biometrics import FaceStream, StreamSettings
    from gate_agent.face.observer import FollowingObserver

    tracked = frames[::3]
    observer = FollowingObserver(lock=threading.Lock())
    new_ms, new_seen = _cpu_per_frame(observer.faces, tracked)
    anchor = _every_frame(FaceStream(StreamSettings(max_faces=3)))
    old_ms, old_seen = _cpu_per_frame(anchor, tracked)
    return {
        "frames": float(len(tracked)),
        "ms": new_ms,
        "anchor_ms": old_ms,
        "encodings": float(observer.encodings),
        "seen": float(new_seen),
        "anchor_seen": float(old_seen),
    }
