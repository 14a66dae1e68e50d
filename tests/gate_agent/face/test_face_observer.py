"""The face track's observer with the real dlib models: few encodings, a swap never missed."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from biometrics.detection import FaceBox
from biometrics.stream_frames import iou
from gate_agent.face.observer import FollowingObserver, FollowSettings
from testkit.faces import FACES

_SIZE = (480, 600)  # width, height of the simulated camera frame


def placed(name: str, *, face_px: int, centre: tuple[int, int] = (240, 260)) -> np.ndarray:
    """A grey-backed camera frame with the photo's face `face_px` wide at `centre` (BGR)."""
    from biometrics import HogDetector

    photo = cv2.imread(str(FACES / name))
    assert photo is not None
    rgb = np.ascontiguousarray(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB), np.uint8)
    box = max(HogDetector().detect(rgb), key=lambda b: b.width * b.height)
    scale = face_px / box.width
    moved = np.array(
        [
            [scale, 0, centre[0] - scale * (box.left + box.right) / 2],
            [0, scale, centre[1] - scale * (box.top + box.bottom) / 2],
        ],
        np.float32,
    )
    frame = cv2.warpAffine(photo, moved, _SIZE, borderValue=(96, 96, 96))
    return np.ascontiguousarray(frame, np.uint8)


@pytest.fixture(scope="module")
def frames() -> dict[str, np.ndarray]:
    return {
        "obama": placed("obama.jpg", face_px=120),
        "obama_big": placed("obama.jpg", face_px=160),
        "biden": placed("biden.jpg", face_px=120),
    }


def observer(**settings: float) -> FollowingObserver:
    return FollowingObserver(lock=threading.Lock(), settings=FollowSettings(**settings))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a.astype(np.float64) - b))


def test_a_followed_face_is_encoded_twice_then_keeps_its_encoding(
    frames: dict[str, np.ndarray],
) -> None:
    watch = observer()
    seen = [watch.faces(frames["obama"]) for _ in range(6)]
    assert all(len(faces) == 1 for faces in seen)
    # A chip, then the mirrored chip averaged with it; then the same encoding, no new work.
    assert watch.encodings == 2
    assert seen[2][0].encoding is seen[5][0].encoding
    assert distance(seen[0][0].encoding, seen[1][0].encoding) > 0  # averaged, not the chip
    assert watch.full_scans == 2  # the whole frame once, then again after full_scan_every


def test_a_followed_face_is_encoded_again_after_reencode_every_frames(
    frames: dict[str, np.ndarray],
) -> None:
    watch = observer(reencode_every=3)
    for _ in range(5):
        watch.faces(frames["obama"])
    assert watch.encodings == 3  # frames 1 and 2, then the third frame after the second


def test_a_face_grown_by_a_quarter_is_encoded_again(frames: dict[str, np.ndarray]) -> None:
    watch = observer()
    for name in ("obama", "obama", "obama", "obama_big"):
        [face] = watch.faces(frames[name])
    assert watch.encodings == 3
    assert face.box is not None and face.box.width >= 150


def test_another_person_at_the_same_place_is_encoded_as_a_new_face(
    frames: dict[str, np.ndarray],
) -> None:
    watch = observer()
    [first] = watch.faces(frames["obama"])
    [obama] = watch.faces(frames["obama"])
    [biden] = watch.faces(frames["biden"])
    assert obama.box is not None and biden.box is not None
    # The box did not jump: only the look check tells the two apart.
    assert iou(obama.box, biden.box) >= 0.3
    assert watch.encodings == 3
    assert distance(biden.encoding, obama.encoding) > 0.6  # biden's own encoding
    assert distance(first.encoding, obama.encoding) < 0.3


def test_without_the_look_check_the_swap_would_keep_the_first_encoding(
    frames: dict[str, np.ndarray],
) -> None:
    # The guard is what catches the swap above: turned off, biden gets obama's encoding.
    watch = observer(look_min=-1.0)
    watch.faces(frames["obama"])
    [obama] = watch.faces(frames["obama"])
    [biden] = watch.faces(frames["biden"])
    assert biden.encoding is obama.encoding


def test_an_empty_still_scene_is_not_searched_again() -> None:
    empty = np.full((_SIZE[1], _SIZE[0], 3), 96, np.uint8)
    watch = observer(still_rescan=5)
    for _ in range(4):
        assert watch.faces(empty) == []
    assert watch.full_scans == 1


def test_a_frame_that_is_not_an_image_is_refused_and_changes_nothing(
    frames: dict[str, np.ndarray],
) -> None:
    watch = observer()
    watch.faces(frames["obama"])
    with pytest.raises(ValueError, match="uint8"):
        watch.faces(frames["obama"].astype(np.float32))
    [face] = watch.faces(frames["obama"])
    assert watch.encodings == 2 and isinstance(face.box, FaceBox)


def test_a_window_takes_the_tracks_encoding_of_the_face_it_follows(
    frames: dict[str, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceWindow

    watch = observer()
    watch.faces(frames["obama"])
    [followed] = watch.faces(frames["obama"])  # averaged with the mirrored chip
    window = BiometricFaceWindow(templates=[], liveness=None, track=watch)
    assert window.feed(frames["obama"].copy())  # settled at once: no chips to encode
    match, _ = window.result()
    assert window.from_track == 1
    assert match.encodings[0] is followed.encoding
    assert watch.encodings == 2  # nobody encoded for the window


def test_a_window_encodes_a_face_the_track_did_not_follow_there(
    frames: dict[str, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceWindow

    watch = observer()
    watch.faces(frames["obama"])
    [obama] = watch.faces(frames["obama"])
    # Someone else at the same place: the look check keeps obama's encoding from biden.
    window = BiometricFaceWindow(templates=[], liveness=None, track=watch)
    window.feed(frames["biden"])
    window.feed(frames["biden"])
    match, _ = window.result()
    assert window.from_track == 0
    assert distance(match.encodings[0], obama.encoding) > 0.6


def test_the_track_shares_only_an_averaged_recent_encoding(
    frames: dict[str, np.ndarray],
) -> None:
    watch = observer()
    [first] = watch.faces(frames["obama"])
    assert first.box is not None
    assert watch.encoding_near(frames["obama"], first.box) is None  # one plain chip only
    [second] = watch.faces(frames["obama"])
    assert watch.encoding_near(frames["obama"], first.box) is second.encoding
    stale = observer(share_s=0.0)
    stale.faces(frames["obama"])
    stale.faces(frames["obama"])
    assert stale.encoding_near(frames["obama"], first.box) is None  # too old to share


def test_nothing_is_encoded_ahead_while_the_shared_track_follows(
    frames: dict[str, np.ndarray],
) -> None:
    from gate_agent.face.biometrics import BiometricFaceObserver, BiometricFaceVerifier

    verifier = BiometricFaceVerifier(presearch=True)
    track = BiometricFaceObserver()
    assert verifier.share_track(track) is track and verifier.track is track.following
    assert verifier.presearch is not None and verifier.presearch.ahead is not None
    track.faces(frames["obama"])  # the tracker looked at the camera just now
    for n in range(2):
        frame = frames["obama"].copy()  # two frames of the camera
        verifier.file_frame(frame, n / 30)
        assert verifier.presearch_frame(frame)
    assert verifier.presearch.ahead.encoded == 0  # the track's encodings serve the window
    stopped = BiometricFaceVerifier(presearch=True)
    stopped.share_track(BiometricFaceObserver())  # a track that never looked at a frame
    for n in range(2):
        frame = frames["obama"].copy()
        stopped.file_frame(frame, n / 30)
        assert stopped.presearch_frame(frame)
    assert stopped.presearch is not None and stopped.presearch.ahead is not None
    assert stopped.presearch.ahead.encoded == 2  # a chip and the next frame's mirror
