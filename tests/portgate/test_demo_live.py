"""The demo's staff-gate camera: synthesised live sessions pass liveness, the print does not.

Made from the shipped photos with dlib's 5-point landmarks only; judged by the liveness
check with its default thresholds, every window of 8 consecutive frames of the loop (the
camera replays the loop round and round, and the gate may start judging at any frame).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from biometrics import WINDOW_FRAMES, LivenessChecker, bgr_to_rgb
from biometrics.liveness import LivenessVerdict
from portgate.demo.frames import ScriptedCamera, read_image
from portgate.demo.live.scenes import SESSION_FRAMES, StaffGateScenes, make_scenes
from portgate.demo.live.session import live_session
from portgate.demo.people import default_faces_dir, demo_people

STAFF_GATE_ROLES = ("granted", "expired_competency", "revoked")


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    people, _ = demo_people(default_faces_dir())
    return {
        p.role: read_image(p.camera_photo)
        for p in people
        if p.role in STAFF_GATE_ROLES and p.camera_photo is not None
    }


@pytest.fixture(scope="module")
def scenes(photos: dict[str, np.ndarray]) -> Iterator[StaffGateScenes]:
    from biometrics.models import shape_predictor

    asked: list[int] = []

    def recording(points: int) -> object:
        asked.append(points)
        return shape_predictor(points)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("biometrics.encoding.shape_predictor", recording)
        made = make_scenes(photos)
    # The 68-point model's licence excludes commercial use: the demo never loads it.
    assert asked and set(asked) == {5}
    yield made


def verdicts(frames: list[np.ndarray]) -> Iterator[LivenessVerdict]:
    """The check's verdict on every run of WINDOW_FRAMES consecutive frames of the loop.

    Each frame's face is found once (`track`), then each window is judged as `check` does.
    """
    checker = LivenessChecker()
    tracks = checker.track([bgr_to_rgb(f) for f in frames])
    assert len(tracks) == len(frames), "a face in every frame"
    for start in range(len(tracks)):
        yield checker.assess([tracks[(start + k) % len(tracks)] for k in range(WINDOW_FRAMES)])


def test_every_window_of_each_live_session_passes_the_default_liveness_check(
    scenes: StaffGateScenes,
) -> None:
    assert sorted(scenes.live) == sorted(STAFF_GATE_ROLES)
    for role, frames in scenes.live.items():
        assert len(frames) == SESSION_FRAMES
        for verdict in verdicts(frames):
            assert verdict.passed, (role, verdict)
            assert verdict.details["landmarks"] == 5.0


def test_the_still_photo_itself_is_refused(photos: dict[str, np.ndarray]) -> None:
    # Why the sessions exist: the camera photo replayed as it is fails liveness.
    verdict = LivenessChecker().check([bgr_to_rgb(photos["granted"])] * WINDOW_FRAMES)
    assert not verdict.passed and verdict.reason is not None


def test_every_window_of_the_printed_photo_is_refused(scenes: StaffGateScenes) -> None:
    assert len(scenes.printed) == SESSION_FRAMES
    for verdict in verdicts(scenes.printed):
        assert not verdict.passed, verdict
        assert verdict.score < 0.5


def test_the_same_photo_gives_the_same_session(photos: dict[str, np.ndarray]) -> None:
    from portgate.demo.live.scenes import _landmarks

    image = photos["revoked"]
    points = _landmarks(image)
    assert points is not None and points.shape == (5, 2)
    first = live_session(image, points, rng=np.random.default_rng(4), frames=4)
    again = live_session(image, points, rng=np.random.default_rng(4), frames=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], first[1]), "the face moves from frame to frame"


def test_landmarks_of_another_model_are_refused_with_a_clear_error() -> None:
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="expected dlib's 5 landmarks, got an array of"):
        live_session(image, np.zeros((68, 2)), rng=np.random.default_rng(0))


def test_the_camera_replays_a_loop_in_order_and_the_empty_lane_after_it() -> None:
    camera = ScriptedCamera(fps=200.0, size=(4, 4))
    loop = [np.full((4, 4, 3), value, np.uint8) for value in (10, 20, 30)]
    try:
        camera.show(loop)
        seen = []
        for _ in range(7):
            frame = camera.read()
            assert frame is not None
            seen.append(int(frame.image[0, 0, 0]))
        start = seen.index(10)
        assert seen[start : start + 4] == [10, 20, 30, 10]
        camera.show(None)
        frame = camera.read()
        assert frame is not None and int(frame.image[0, 0, 0]) == 96
        camera.show(loop[1])  # a still (the QR pass) stays as it is
        assert {int(f.image[0, 0, 0]) for f in (camera.read(), camera.read()) if f} == {20}
    finally:
        camera.close()
    assert camera.read() is None
