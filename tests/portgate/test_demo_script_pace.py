"""The demo script's pace: the pause between steps is the caller's; a face never returns early.

The staff-gate camera must not show the same person's face again within the demo track's
window (3 s): the printed photo right after the live face would continue the live face's
track and its passed liveness. A short pause (the tests' --step-s 0.5) must not allow it.
Pure logic: the gate and camera are recording stand-ins.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from portgate.demo import script as script_module
from portgate.demo.people import DemoPerson
from portgate.demo.script import DemoScript, Scene

FACE = [np.zeros((4, 4, 3), dtype=np.uint8)]


class RecordingCamera:
    """Records each face (or None) shown."""

    def __init__(self) -> None:
        self.shown: list[bool] = []

    def show(self, frames: Any) -> None:
        self.shown.append(frames is not None)


class RecordingGate:
    """A staff gate that refuses at once (no lane opens)."""

    gate = "staff-1"

    def __init__(self) -> None:
        self.camera = RecordingCamera()
        self.badges: list[int] = []

    def present_badge(self, badge: int) -> None:
        self.badges.append(badge)

    def pass_through_if_opened(self, **_: Any) -> bool:
        return False


class Clock:
    """The script's monotonic clock; each wait the script asks for moves it on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return True


def _script(gate: RecordingGate, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> DemoScript:
    people = {
        role: DemoPerson(name=role, role=role, badge=n, enroll_photo=None, camera_photo=None)
        for n, role in enumerate(("granted", "face_mismatch", "revoked"), start=1)
    }
    scene = Scene(
        staff=gate,  # type: ignore[arg-type]
        truck=gate,  # type: ignore[arg-type]
        link=None,  # type: ignore[arg-type]
        people=people,
        faces={"granted": FACE, "revoked": FACE},
        pass_image=FACE[0],
        printed=FACE,
    )
    monkeypatch.setattr(script_module.time, "monotonic", clock.monotonic)
    script = DemoScript(scene, stop=threading.Event(), say=lambda _: None, step_s=0.0)
    monkeypatch.setattr(script, "_wait", clock.wait)
    return script


def test_the_same_persons_face_stays_off_the_camera_for_the_track_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate, clock = RecordingGate(), Clock()
    script = _script(gate, clock, monkeypatch)
    # The face-mismatch step shows "granted"'s face, then the print attack shows it again.
    script._badge("face_mismatch", face_of="granted", note="mismatch")
    clock.now += 0.7  # the steps between them (the truck lane) and a short pause
    script._badge("granted", face_of=None, shown=FACE, note="printed photo")
    # The walk-up (2.5 s), then the rest of the 3.5 s gap before the print is shown.
    assert clock.waits == [0.0, 2.5, pytest.approx(2.8), 2.5]
    assert gate.camera.shown == [True, False, True, False]
    assert gate.badges == [2, 1]


def test_another_persons_face_or_a_later_one_is_not_held_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate, clock = RecordingGate(), Clock()
    script = _script(gate, clock, monkeypatch)
    script._badge("granted", face_of="granted", note="granted")
    script._badge("revoked", face_of="revoked", note="revoked")  # another face: at once
    clock.now += 1.0  # granted's face left 3.5 s ago: the walk-up (2.5 s) and this
    script._badge("granted", face_of="granted", note="granted again")
    assert clock.waits == [0.0, 2.5, 0.0, 2.5, 0.0, 2.5]


def test_a_face_between_does_not_end_the_wait_for_the_same_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate, clock = RecordingGate(), Clock()
    script = _script(gate, clock, monkeypatch)
    script._badge("granted", face_of="granted", note="granted")
    clock.now += 0.2
    script._badge("revoked", face_of="revoked", note="revoked")
    # granted's face left 2.7 s ago (0.2 s, then revoked's walk-up): 0.8 s to go.
    script._badge("granted", face_of="granted", note="granted again")
    assert clock.waits == [0.0, 2.5, 0.0, 2.5, pytest.approx(0.8), 2.5]
