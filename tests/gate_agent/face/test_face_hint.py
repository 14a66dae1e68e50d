"""The lane's face-position hint from real frames (gate_agent.face.hint, issue 26.1).

Frames are the shipped photos (testkit.faces) made too dark, too bright, too far or
turned away (testkit.face_variants); the thresholds were tuned on LFW dev images only, so
none of these frames took part in choosing them. Each frame's faces are what the agent's
window after a credential finds (`WINDOW_STREAM`, landmarks only: no encoding needed).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from biometrics.quality import QualityReason
from gate_agent.camera.frames import Frame, read_bgr_image
from gate_agent.face.hint import FaceHints, HintSettings, SeenFace, faces_seen, frame_hint
from gate_agent.face.window import WindowPlan, run_face_window
from testkit.face_variants import turned_photo
from testkit.faces import FACES

PHOTOS = ("obama.jpg", "biden.jpg", "people/rose_leslie/img1.jpg")


def window_faces(image: np.ndarray) -> list[SeenFace]:
    from biometrics import WINDOW_STREAM, FaceStream

    found = FaceStream(WINDOW_STREAM).faces(image, known=np.zeros(128, np.float32))
    return [SeenFace(face.box, face.landmarks) for face in found]


def photo(name: str) -> np.ndarray:
    return read_bgr_image(FACES / name)


def darker(image: np.ndarray, factor: float) -> np.ndarray:
    return np.asarray(image * factor, dtype=np.uint8)


def brighter(image: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(image.astype(np.int16) + 140, 0, 255), dtype=np.uint8)


def far_away(image: np.ndarray) -> np.ndarray:
    """The photo at 40% in a wider frame of a plain wall (the face about a ninth of its width)."""
    small = cv2.resize(image, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    frame = np.full((960, 1280, 3), 110, np.uint8)
    top, left = (960 - small.shape[0]) // 2, (1280 - small.shape[1]) // 2
    frame[top : top + small.shape[0], left : left + small.shape[1]] = small
    return frame


def hint_of(image: np.ndarray) -> QualityReason | None:
    return frame_hint(image, window_faces(image))


@pytest.mark.parametrize("name", PHOTOS)
def test_a_good_face_gets_no_hint(name: str) -> None:
    assert hint_of(photo(name)) is None


@pytest.mark.parametrize("name", PHOTOS)
def test_a_darkened_face_is_too_dark_and_a_brightened_one_too_bright(name: str) -> None:
    assert hint_of(darker(photo(name), 0.25)) is QualityReason.TOO_DARK
    assert hint_of(brighter(photo(name))) is QualityReason.TOO_BRIGHT


def test_a_frame_too_dark_to_find_a_face_in_is_too_dark_not_just_no_face() -> None:
    frame = darker(photo("biden.jpg"), 0.05)
    assert window_faces(frame) == []
    assert frame_hint(frame, []) is QualityReason.TOO_DARK


def test_a_face_far_from_the_camera_is_told_to_come_closer() -> None:
    frame = far_away(photo("obama.jpg"))
    faces = window_faces(frame)
    assert faces and faces[0].box.width < 0.15 * frame.shape[1]
    assert frame_hint(frame, faces) is QualityReason.TOO_SMALL


@pytest.mark.parametrize(("name", "degrees"), [("people/rose_leslie/img2.jpg", 45.0)])
def test_a_head_turned_away_is_told_to_look_straight(name: str, degrees: float) -> None:
    frontal = read_bgr_image(FACES / name)
    assert hint_of(frontal) is None  # the same photo as shipped: no hint
    turned = cv2.imdecode(np.frombuffer(turned_photo(name, degrees), np.uint8), cv2.IMREAD_COLOR)
    assert turned is not None
    assert hint_of(np.asarray(turned, np.uint8)) is QualityReason.TURNED_AWAY


def test_a_frame_with_nobody_asks_to_look_at_the_camera() -> None:
    wall = np.full((480, 640, 3), 120, np.uint8)
    assert hint_of(wall) is QualityReason.NO_FACE


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_hint_is_pushed_once_steady_and_cleared_when_the_face_is_good() -> None:
    pushed: list[tuple[int, QualityReason | None]] = []
    clock = Clock()
    hints = FaceHints(2, lambda lane, reason: pushed.append((lane, reason)), clock=clock)
    good = photo("obama.jpg")
    dark, faces = darker(good, 0.25), window_faces(good)
    dark_faces = window_faces(dark)
    for _ in range(2):
        hints.see(dark, dark_faces)
        clock.now += 0.05
    assert pushed == []  # two frames: not yet steady
    hints.see(dark, dark_faces)
    assert pushed == [(2, QualityReason.TOO_DARK)]
    for _ in range(4):  # the same hint again: nothing new on the screen
        hints.see(dark, dark_faces)
    for _ in range(3):
        hints.see(good, faces)
    assert pushed == [(2, QualityReason.TOO_DARK), (2, None)]


def test_a_flickering_answer_pushes_nothing_until_it_holds_long_enough() -> None:
    pushed: list[QualityReason | None] = []
    clock = Clock()
    settings = HintSettings(steady_frames=3, steady_s=0.3)
    hints = FaceHints(0, lambda lane, reason: pushed.append(reason), settings, clock=clock)
    good = photo("biden.jpg")
    bright, faces = brighter(good), window_faces(good)
    bright_faces = window_faces(bright)
    for _ in range(4):  # glare on every other frame: the screen stays as it is
        hints.see(bright, bright_faces)
        hints.see(good, faces)
        clock.now += 0.1
    assert pushed == []
    hints.see(bright, bright_faces)
    clock.now += 0.35  # a slow camera: the second frame of the same answer, 0.35 s on
    hints.see(bright, bright_faces)
    assert pushed == [QualityReason.TOO_BRIGHT]


def test_a_window_that_cannot_tell_its_faces_gets_no_hint() -> None:
    pushed: list[QualityReason | None] = []
    hints = FaceHints(0, lambda lane, reason: pushed.append(reason), HintSettings(steady_frames=1))
    wall = np.full((48, 64, 3), 5, np.uint8)
    hints.see(wall, faces_seen(object()))
    assert pushed == []


class Feed:
    """Dark frames before the credential at t=10, then dark and good frames after it."""

    def __init__(self, before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> None:
        self.ring = [Frame(img, n, 9.6 + 0.1 * n) for n, img in enumerate(before)]
        self.coming = [Frame(img, 100 + n, 10.0 + 0.1 * n) for n, img in enumerate(after)]

    def burst(self, *, count: int, since: float, timeout_s: float) -> list[Frame]:
        return [f for f in self.ring + self.coming if f.at >= since][:count]

    def following(self, *, after: float, timeout_s: float) -> Frame | None:
        later = [f for f in self.coming if f.at > after]
        return later[0] if later else None


def test_the_real_window_feeds_the_hint_from_the_faces_it_found() -> None:
    from gate_agent.face.biometrics import BiometricFaceVerifier

    good = photo("obama.jpg")
    dark = darker(good, 0.03)  # too dark for the detector: the window waits
    pushed: list[QualityReason | None] = []
    verifier = BiometricFaceVerifier()
    outcome = run_face_window(
        feed=Feed([dark] * 4, [dark, dark, good, good, good]),
        since=10.0,
        verifier=verifier,
        templates=[],
        liveness=None,
        plan=WindowPlan(timeout_s=5.0),
        hints=FaceHints(0, lambda lane, reason: pushed.append(reason)),
    )
    # Dark from the pre-roll on; the good face then ends the step (and clears the hint
    # if the step is still open on its third frame).
    assert pushed[0] is QualityReason.TOO_DARK and pushed[1:] in ([], [None])
    assert outcome.evidence.seen
    window = verifier.open_window(templates=[], liveness=None)
    assert faces_seen(window) == []  # nothing fed yet
    window.feed(good)
    seen = faces_seen(window)
    assert seen is not None and len(seen) == 1 and seen[0].landmarks is not None
    assert seen[0].landmarks.shape == (5, 2)  # the 5-point model: no 68-point model loaded
