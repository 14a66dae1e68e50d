"""FaceStream on camera-like frames built from the shipped photos, with the real dlib models."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from biometrics import (
    ENROLLMENT_PIPELINE,
    FaceBox,
    FaceStream,
    FaceTrack,
    HogDetector,
    LivenessChecker,
    LivenessReason,
    StreamSettings,
    load_image,
    select_primary_face,
)
from testkit.faces import FACES, face_photo


def scene() -> np.ndarray:
    """An empty lane, 1280 x 720: the lower quarter of biden.jpg (a suit, no face in it)."""
    image = cv2.imread(str(FACES / "biden.jpg"), cv2.IMREAD_COLOR)
    lower = image[-545:]
    return np.ascontiguousarray(cv2.resize(lower, (1280, 720), interpolation=cv2.INTER_LINEAR))


def noisy(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    """obama.jpg's head, BGR, the face about 230 px wide."""
    rgb = load_image(FACES / "obama.jpg")
    box = HogDetector(max_width=None).detect(rgb)[0]
    crop = rgb[max(box.top - box.height, 0) : box.bottom + box.height, :]
    scale = 230 / box.width
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)[:660, :900])


def with_face(background: np.ndarray, face: np.ndarray, dx: int) -> np.ndarray:
    frame = background.copy()
    h, w = face.shape[:2]
    frame[30 : 30 + h, 200 + dx : 200 + dx + w] = face
    return frame


@pytest.fixture(scope="module")
def templates() -> dict[str, np.ndarray]:
    found = {}
    for name in ("obama2.jpg", "biden.jpg"):
        face = ENROLLMENT_PIPELINE.encode_file(FACES / name)
        assert face is not None
        found[name] = face.encoding
    return found


def test_a_still_empty_scene_is_not_searched_again_until_it_changes() -> None:
    rng = np.random.default_rng(1)
    stream = FaceStream(StreamSettings(still_rescan=5))
    background = scene()
    for _ in range(4):
        assert stream.faces(noisy(background, rng)) == []
    assert stream.counters.full_scans == 1 and stream.counters.still_skips == 3
    moved = np.ascontiguousarray(np.roll(background, 40, axis=1))
    assert stream.faces(moved) == []
    assert stream.counters.full_scans == 2
    for _ in range(6):  # still again: searched once more after still_rescan skips
        stream.faces(noisy(moved, rng))
    assert stream.counters.full_scans == 3


def test_a_walking_face_is_followed_and_mirror_averaged(
    portrait: np.ndarray, templates: dict[str, np.ndarray]
) -> None:
    rng = np.random.default_rng(2)
    stream = FaceStream()
    background = scene()
    seen = [stream.faces(noisy(with_face(background, portrait, 4 * n), rng)) for n in range(8)]
    assert all(len(faces) == 1 for faces in seen)
    first, *rest = [faces[0] for faces in seen]
    assert not first.followed and not first.averaged and not first.mirrored
    assert all(f.followed and f.averaged for f in rest)
    assert [f.mirrored for f in rest[:3]] == [True, False, True]  # every other chip mirrored
    c = stream.counters
    assert c.full_scans == 2 and c.followed_scans == 6  # a full scan every 5th frame
    assert c.encodings == 8 and c.reused == 0  # 4 px a frame: encoded every frame
    for face in rest:
        assert face.landmarks.shape == (5, 2) and face.grey_face.ndim == 2
        moved = face.box.center[0] - first.box.center[0]
        assert abs(moved - 4 * (rest.index(face) + 1)) <= 15
        assert np.linalg.norm(face.encoding - templates["obama2.jpg"]) < 0.5
        assert np.linalg.norm(face.encoding - templates["biden.jpg"]) > 0.6


def test_a_followed_encoding_is_the_enrollment_alignment(portrait: np.ndarray) -> None:
    frame = with_face(scene(), portrait, 0)
    stream = FaceStream()
    stream.faces(frame)
    followed = stream.faces(frame)[0]
    rgb = np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    # The enrollment alignment without its jittered chips (those are enrollment's alone).
    aligned = replace(ENROLLMENT_PIPELINE.encoder, align_jitter=False)
    enrollment = aligned.encode(rgb, followed.box)
    assert followed.averaged
    assert np.linalg.norm(followed.encoding - enrollment.encoding) < 0.03
    jittered = ENROLLMENT_PIPELINE.encoder.encode(rgb, followed.box)
    assert 0 < np.linalg.norm(jittered.encoding - enrollment.encoding) < 0.1


def test_a_face_standing_still_keeps_its_encoding_a_few_frames(portrait: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    frame = with_face(scene(), portrait, 0)
    stream = FaceStream(StreamSettings(reuse_max=2, full_scan_every=100))
    faces = [stream.faces(noisy(frame, rng))[0] for _ in range(8)]
    # Frame 1 plain, frame 2 averaged; then kept twice, encoded again, kept twice...
    assert [f.reused for f in faces] == [0, 0, 1, 2, 0, 1, 2, 0]
    assert stream.counters.encodings == 4 and stream.counters.reused == 4
    assert faces[2].encoding is faces[1].encoding


def test_liveness_assesses_stream_faces_without_finding_them_again(portrait: np.ndarray) -> None:
    frame = with_face(scene(), portrait, 0)
    stream = FaceStream()
    tracks = [stream.faces(frame)[0].liveness_track() for _ in range(6)]
    checker = LivenessChecker()
    still = checker.assess(tracks)  # a still photo: refused
    assert not still.passed
    assert still.reason in (LivenessReason.NO_MOTION, LivenessReason.RIGID_MOTION)
    assert checker.assess(tracks[:2]).reason is LivenessReason.NO_FACE
    broken = [FaceTrack(landmarks=np.zeros((3, 2)), grey_face=t.grey_face) for t in tracks]
    verdict = checker.assess(broken)
    assert not verdict.passed and verdict.reason is LivenessReason.ERROR


def test_bad_frames_are_refused_grey_and_bgra_converted(portrait: np.ndarray) -> None:
    stream = FaceStream()
    with pytest.raises(ValueError, match="BGR uint8 frame"):
        stream.faces(np.zeros((720, 1280, 3), np.float32))
    with pytest.raises(ValueError, match="BGR uint8 frame"):
        stream.faces(np.zeros((720, 1280, 2), np.uint8))
    frame = with_face(scene(), portrait, 0)
    assert len(FaceStream().faces(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))) == 1
    assert len(FaceStream().faces(cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA))) == 1


def test_grey_hog_finds_the_same_face() -> None:
    image = load_image(face_photo("obama-720p.jpg"))
    rgb_box = select_primary_face(HogDetector().detect(image), height=720, width=1280)
    grey_box = select_primary_face(HogDetector(grey=True).detect(image), height=720, width=1280)
    assert rgb_box is not None and grey_box is not None
    # The same face, perhaps at the next pyramid level (a box about a fifth smaller).
    assert abs(rgb_box.center[0] - grey_box.center[0]) <= 20
    assert abs(rgb_box.center[1] - grey_box.center[1]) <= 20
    assert 0.75 <= grey_box.width / rgb_box.width <= 1.33


def test_a_kept_scan_scale_finds_still_frames_alike_and_falls_back_when_the_face_is_lost(
    portrait: np.ndarray,
) -> None:
    from biometrics import WINDOW_STREAM

    rng = np.random.default_rng(5)
    background = scene()
    stream = FaceStream(WINDOW_STREAM.model_copy(update={"scan_face_px": 96}))
    frames = [noisy(with_face(background, portrait, dx), rng) for dx in (0, 4, 8)]
    found = [stream.faces(frame) for frame in frames]
    assert all(len(faces) == 1 for faces in found)
    # The first frame is searched twice (at max_width, then again at the kept scale).
    assert stream.counters.full_scans == 4 and stream.counters.encodings == 2
    kept = 96 / found[0][0].box.width
    assert stream._scan_scale is not None and abs(stream._scan_scale - kept) < 0.1
    # The same still frame gives the same box at the kept scale: a still photo's landmarks
    # do not jitter from one frame to the next (the liveness check's no-motion cue).
    again = stream.faces(frames[2])[0]
    assert again.box == found[2][0].box
    assert np.allclose(again.landmarks, found[2][0].landmarks)
    assert stream.faces(noisy(background, rng)) == []  # lost: a search at max_width too
    assert stream._scan_scale is None


def test_window_stream_searches_every_frame_whole_and_encodes_two(portrait: np.ndarray) -> None:
    from biometrics import BURST_STREAM, WINDOW_STREAM

    rng = np.random.default_rng(6)
    background = scene()
    frames = [noisy(with_face(background, portrait, dx), rng) for dx in (0, 3, 6, 9)]
    window, burst = FaceStream(WINDOW_STREAM), FaceStream(BURST_STREAM)
    for frame in frames:
        [a], [b] = window.faces(frame), burst.faces(frame)
        # The boxes and landmarks the liveness thresholds were calibrated on.
        assert a.box == b.box and np.array_equal(a.landmarks, b.landmarks)
    assert window.counters.full_scans == 4 and window.counters.encodings == 2


def test_near_picks_the_face_at_a_given_place_not_the_largest(portrait: np.ndarray) -> None:
    small = cv2.resize(portrait, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[: portrait.shape[0], : portrait.shape[1]] = portrait
    frame[200 : 200 + small.shape[0], 900 : 900 + small.shape[1]] = small[:, :380]
    settings = StreamSettings(max_faces=1, full_scan_every=1, max_width=1280)
    big, other = FaceStream(settings.model_copy(update={"max_faces": 3})).faces(frame)
    assert big.box.left < 640 <= other.box.left
    [largest] = FaceStream(settings).faces(frame)
    assert largest.box == big.box
    # Where another search found the smaller face, a little off: that face, not the largest.
    shifted = FaceBox(
        top=other.box.top + 6,
        right=other.box.right + 6,
        bottom=other.box.bottom + 6,
        left=other.box.left + 6,
    )
    [followed] = FaceStream(settings).faces(frame, near=shifted)
    assert followed.box == other.box
    nowhere = FaceBox(top=500, right=860, bottom=700, left=660)
    assert FaceStream(settings).faces(frame, near=nowhere) == []


def test_boxes_searched_ahead_give_the_same_faces_without_searching_again(
    portrait: np.ndarray,
) -> None:
    from biometrics import WINDOW_STREAM

    rng = np.random.default_rng(8)
    background = scene()
    frames = [noisy(with_face(background, portrait, dx), rng) for dx in (0, 4, 8)]
    ahead = FaceStream(WINDOW_STREAM)
    found = [ahead.search(frame) for frame in frames]
    plain, given = FaceStream(WINDOW_STREAM), FaceStream(WINDOW_STREAM)
    for frame, boxes in zip(frames, found, strict=True):
        [a], [b] = plain.faces(frame), given.faces(frame, found=boxes)
        assert a.box == b.box and np.array_equal(a.landmarks, b.landmarks)
        assert np.array_equal(a.encoding, b.encoding) and np.array_equal(a.grey_face, b.grey_face)
    assert plain.counters.full_scans == 3 and given.counters.full_scans == 0
    assert given.counters.encodings == 2
    with pytest.raises(ValueError, match="scan_face_px"):
        FaceStream(StreamSettings(scan_face_px=96)).search(frames[0])
