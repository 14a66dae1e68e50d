"""BiometricFaceWindow with the real dlib models on simulated camera frames (shipped photos)."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from gate_agent.face.step import LivenessResult
from testkit.faces import FACES


@pytest.fixture(scope="module")
def portrait() -> tuple[np.ndarray, np.ndarray]:
    from biometrics import FaceEncoder, HogDetector, load_image, select_primary_face

    image = load_image(FACES / "obama.jpg")
    size = (480, round(image.shape[0] * 480 / image.shape[1]))
    image = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    box = select_primary_face(HogDetector().detect(image), height=size[1], width=size[0])
    assert box is not None
    return image, FaceEncoder(landmark_points=68).landmarks(image, box)


def bgr(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [np.ascontiguousarray(cv2.cvtColor(f, cv2.COLOR_RGB2BGR)) for f in frames]


def template(name: str) -> bytes:
    from biometrics import ENROLLMENT_PIPELINE, template_to_bytes

    encoding = ENROLLMENT_PIPELINE.encode_file(FACES / name)
    assert encoding is not None
    return template_to_bytes(encoding.encoding)


def feed_all(window: object, frames: list[np.ndarray]) -> int:
    for fed, image in enumerate(frames, start=1):
        if window.feed(image):  # type: ignore[attr-defined]
            return fed
    return len(frames)


def test_live_holder_settles_after_the_window_with_match_and_liveness(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from biometrics import WINDOW_FRAMES
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=12))
    window = BiometricFaceVerifier().open_window(
        templates=[template("obama2.jpg")], liveness=BiometricLiveness()
    )
    assert feed_all(window, frames) == WINDOW_FRAMES  # certain once the window is full
    match, verdict = window.result()
    assert match.seen and match.distance is not None and match.distance < 0.54
    assert verdict is not None and verdict.passed and verdict.reason is None


def test_still_photo_fails_liveness_with_a_reason(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness
    from testkit.liveness_sim import static_attack

    image, _ = portrait
    window = BiometricFaceVerifier().open_window(
        templates=[template("obama2.jpg")], liveness=BiometricLiveness()
    )
    feed_all(window, bgr(static_attack(image, frames=10)))
    match, verdict = window.result()
    assert match.seen and match.distance is not None and match.distance < 0.54
    assert (
        verdict is not None
        and not verdict.passed
        and verdict.reason in {"no_motion", "rigid_motion"}
    )


def test_another_persons_live_face_is_a_mismatch_with_liveness_judged(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from biometrics import WINDOW_FRAMES
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=10))
    window = BiometricFaceVerifier().open_window(
        templates=[template("biden.jpg")], liveness=BiometricLiveness()
    )
    # Not cut short at the mismatch: the denial's reason must say mismatch, not liveness.
    assert feed_all(window, frames) == WINDOW_FRAMES
    match, verdict = window.result()
    assert match.distance is not None and match.distance > 0.54
    assert verdict is not None and verdict.passed


def test_too_few_frames_is_inconclusive_and_fails(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=5))
    window = BiometricFaceVerifier().open_window(
        templates=[template("obama2.jpg")], liveness=BiometricLiveness()
    )
    assert feed_all(window, frames) == 5  # never certain: the budget ends it
    _, verdict = window.result()
    assert verdict is not None and not verdict.passed and verdict.reason == "too_few_frames"


def test_the_track_liveness_refuses_a_burst_shorter_than_the_window() -> None:
    from gate_agent.face.biometrics import BiometricLiveness

    frames = [np.zeros((60, 80, 3), np.uint8)] * 5
    assert BiometricLiveness().check(frames) == LivenessResult(False, 0.0, "too_few_frames")


def test_track_liveness_judges_the_tracks_face_not_the_larger_one_beside_it(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    """A live user below a larger still photo: each face judged on its own boxes."""
    from biometrics import load_image
    from gate_agent.face.biometrics import BiometricFaceObserver, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    photo = load_image(FACES / "biden.jpg")
    size = (480, round(photo.shape[0] * 480 / photo.shape[1]))
    photo = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    live = live_sequence(image, landmarks, rng=np.random.default_rng(0), frames=8)
    frames = bgr([np.vstack([photo, frame]) for frame in live])
    observer = BiometricFaceObserver()
    seen = [observer.faces(frame) for frame in frames]
    assert all(len(faces) == 2 for faces in seen)
    assert all(faces[0].box is not None and faces[0].box.top < 400 for faces in seen)
    live_boxes = [max(faces, key=lambda f: f.box.top).box for faces in seen]  # type: ignore[union-attr]
    photo_boxes = [faces[0].box for faces in seen]  # the largest: the photo
    liveness = BiometricLiveness()
    assert liveness.check_track(frames, live_boxes).passed
    still = liveness.check_track(frames, photo_boxes)
    assert not still.passed and still.reason == "no_motion"
    # Judging the largest face of each frame, as before, sees only the photo here.
    assert not liveness.check(frames).passed


def test_frames_searched_ahead_give_the_same_outcome(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=10))
    templates = [template("obama2.jpg")]
    plain = BiometricFaceVerifier().open_window(templates=templates, liveness=BiometricLiveness())
    feed_all(plain, frames)
    assert not BiometricFaceVerifier().presearch_frame(frames[0])  # off by default
    ahead = BiometricFaceVerifier(presearch=True)
    assert ahead.searches_ahead() and ahead.presearch is not None
    assert all(ahead.presearch_frame(frame) for frame in frames[:6])
    assert ahead.presearch.has(frames[5]) and not ahead.presearch.has(frames[6])
    window = ahead.open_window(templates=templates, liveness=BiometricLiveness())
    assert ahead.presearch_frame(frames[7])  # it goes on while a window runs
    feed_all(window, frames)
    assert ahead.presearch.used == 7  # the seven frames were not searched again
    assert window.result() == plain.result()


def test_a_window_whose_frames_are_searched_on_other_threads_decides_alike(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import (
        BiometricFaceVerifier,
        BiometricFaceWindow,
        BiometricLiveness,
    )
    from gate_agent.face.presearch import FramePresearch
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(5), frames=10))
    templates = [template("obama2.jpg")]
    plain = BiometricFaceVerifier().open_window(templates=templates, liveness=BiometricLiveness())
    feed_all(plain, frames)
    searcher = FramePresearch()
    ahead = BiometricFaceWindow(
        templates=templates, liveness=BiometricLiveness(), searcher=searcher
    )
    ahead.prefetch(frames[:6])
    # Under load a search ahead can outlast the window's short wait, and the window then
    # searches the frame itself; this test is about the results, so it lets them finish.
    deadline = time.monotonic() + 120
    while not all(searcher.has(f) for f in frames[:6]) and time.monotonic() < deadline:
        time.sleep(0.02)
    fed = feed_all(ahead, frames)
    assert ahead.result() == plain.result()
    assert searcher.searched == 6 and searcher.used == 6  # none searched twice
    assert fed == 8  # the liveness window: the rest were not needed


def test_a_window_takes_the_encoding_made_ahead_and_encodes_nothing_after_the_tap(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=10))
    templates = [template("obama2.jpg")]
    plain = BiometricFaceVerifier().open_window(templates=templates, liveness=BiometricLiveness())
    feed_all(plain, frames)
    ahead = BiometricFaceVerifier(presearch=True)
    assert ahead.presearch is not None and ahead.presearch.ahead is not None
    for n, frame in enumerate(frames[:6]):  # followed by the presearch worker before the tap
        ahead.file_frame(frame, n / 30)
        assert ahead.presearch_frame(frame)
    assert ahead.presearch.ahead.encoded == 2  # the first frame's chip, the second's mirror
    window = ahead.open_window(templates=templates, liveness=BiometricLiveness())
    feed_all(window, frames)
    assert window._stream.counters.encodings == 0  # type: ignore[attr-defined]
    # The same two chips the window would have encoded: the same outcome, to the bit.
    assert window.result() == plain.result()
    assert plain._stream.counters.encodings == 2  # type: ignore[attr-defined]


def test_a_window_whose_face_was_not_followed_ahead_encodes_it_itself(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceVerifier, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=10))
    ahead = BiometricFaceVerifier(presearch=True)
    assert ahead.presearch is not None and ahead.presearch.ahead is not None
    for n, frame in enumerate(frames[:2]):
        ahead.file_frame(frame, n * 1.0)  # a second apart: not one face followed
        assert ahead.presearch_frame(frame)
    assert ahead.presearch.encoding_for(frames[1]) is None
    window = ahead.open_window(templates=[template("obama2.jpg")], liveness=BiometricLiveness())
    feed_all(window, frames)
    assert window._stream.counters.encodings == 2  # type: ignore[attr-defined]
    match, verdict = window.result()
    assert match.distance is not None and match.distance < 0.54


def test_track_liveness_encodes_nothing_and_searches_each_frame_once(
    portrait: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-check searches only its new frames; the verdicts are the full search's."""
    import biometrics.face_stream as face_stream
    from biometrics import BURST_STREAM, FaceStream
    from gate_agent.face.biometrics import BiometricFaceObserver, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=12))
    observer = BiometricFaceObserver()
    boxes = [observer.faces(frame)[0].box for frame in frames]

    def expected(start: int) -> LivenessResult:
        # What the check did before: one stream over the window, encodings and all.
        stream = FaceStream(BURST_STREAM)
        tracks = [
            face.liveness_track()
            for frame, box in zip(frames[start : start + 8], boxes[start : start + 8], strict=True)
            for face in stream.faces(frame, near=box)
        ]
        verdict = BiometricLiveness().checker.assess(tracks)
        reason = None if verdict.reason is None else str(verdict.reason)
        return LivenessResult(verdict.passed, float(verdict.score), reason)

    wanted = [expected(0), expected(4)]
    encodings = [0]
    from biometrics.models import face_recognizer as real_recognizer

    def counting_recognizer() -> object:
        encodings[0] += 1
        return real_recognizer()

    monkeypatch.setattr(face_stream, "face_recognizer", counting_recognizer)
    liveness = BiometricLiveness()
    first = liveness.check_track(frames[:8], boxes[:8])
    assert (liveness.searched, encodings[0]) == (8, 0)
    again = liveness.check_track(frames[4:12], boxes[4:12])
    assert (liveness.searched, encodings[0]) == (12, 0)  # frames 4-7 were judged in the first
    assert [first, again] == wanted and first.passed


def test_track_frames_prepared_as_they_come_leave_the_check_nothing_to_search(
    portrait: tuple[np.ndarray, np.ndarray],
) -> None:
    """The judge's preparation gives the check's own verdict, with no search at the check."""
    from gate_agent.face.biometrics import BiometricFaceObserver, BiometricLiveness
    from testkit.liveness_sim import live_sequence

    image, landmarks = portrait
    frames = bgr(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=8))
    observer = BiometricFaceObserver()
    boxes = [observer.faces(frame)[0].box for frame in frames]
    unprepared = BiometricLiveness().check_track(frames, boxes)
    liveness = BiometricLiveness()
    for frame, box in zip(frames, boxes, strict=True):
        liveness.prepare_track_frame(frame, box)
    assert liveness.searched == 8
    assert liveness.check_track(frames, boxes) == unprepared
    assert liveness.searched == 8  # the check searched nothing of its own
    other = frames[0].copy()  # the same pixels in another frame: searched anew
    liveness.prepare_track_frame(other, boxes[0])
    assert liveness.searched == 9
