"""Liveness on generated sequences (simulated attacks and a simulated live user)."""

import cv2
import numpy as np
import pytest

from biometrics import (
    FaceBox,
    FaceEncoder,
    LivenessChecker,
    LivenessReason,
    LivenessSettings,
    detect_faces,
    load_image,
)
from biometrics.liveness import FaceTrack, assess_liveness
from biometrics.liveness_cues import (
    blink_strength,
    closure_strength,
    eye_patches,
    flow_residuals,
    moire_score,
    nonrigid_residual,
    nonrigid_residuals,
)
from testkit.faces import FACES
from testkit.liveness_sim import live_sequence, photo_attack, screen_attack, static_attack


@pytest.fixture(scope="module")
def subject() -> tuple[np.ndarray, np.ndarray]:
    image = load_image(FACES / "obama.jpg")
    image = np.ascontiguousarray(cv2.resize(image, (400, 500), interpolation=cv2.INTER_AREA))
    face = detect_faces(image)[0]
    return image, FaceEncoder(landmark_points=68).landmarks(image, face)


@pytest.fixture(scope="module")
def checker() -> LivenessChecker:
    return LivenessChecker()


def test_identical_frames_are_refused(
    subject: tuple[np.ndarray, np.ndarray], checker: LivenessChecker
) -> None:
    verdict = checker.check(static_attack(subject[0], frames=6))
    assert not verdict.passed
    assert verdict.reason == LivenessReason.NO_MOTION
    assert verdict.details["motion"] == 0.0


def test_photo_moved_as_a_plane_is_refused(
    subject: tuple[np.ndarray, np.ndarray], checker: LivenessChecker
) -> None:
    verdict = checker.check(photo_attack(subject[0], rng=np.random.default_rng(1), frames=6))
    assert not verdict.passed
    assert verdict.reason == LivenessReason.RIGID_MOTION
    assert verdict.details["motion"] > checker.settings.still_motion
    assert verdict.score < 0.5


def test_screen_replay_is_refused_for_its_moire(
    subject: tuple[np.ndarray, np.ndarray], checker: LivenessChecker
) -> None:
    verdict = checker.check(screen_attack(subject[0], rng=np.random.default_rng(2), frames=6))
    assert not verdict.passed
    assert verdict.reason == LivenessReason.SCREEN_TEXTURE
    assert verdict.details["moire"] > checker.settings.max_moire


def test_simulated_live_user_passes(
    subject: tuple[np.ndarray, np.ndarray], checker: LivenessChecker
) -> None:
    image, landmarks = subject
    frames = live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=6)
    verdict = checker.check(frames)
    assert verdict.passed, verdict.details
    assert verdict.reason is None
    assert verdict.score >= 0.5


def test_too_few_frames_and_no_face_fail_with_a_reason(checker: LivenessChecker) -> None:
    blank = np.full((120, 160, 3), 90, dtype=np.uint8)
    assert checker.check([blank] * 2).reason == LivenessReason.TOO_FEW_FRAMES
    verdict = checker.check([blank] * 6)
    assert not verdict.passed
    assert verdict.reason == LivenessReason.NO_FACE


class _BrokenDetector:
    def detect(self, image: np.ndarray) -> list[FaceBox]:
        raise RuntimeError("camera driver exploded")


def test_an_error_is_a_failed_verdict_not_an_exception() -> None:
    checker = LivenessChecker(detector=_BrokenDetector())
    frames = [np.zeros((50, 50, 3), dtype=np.uint8)] * 6
    verdict = checker.check(frames)
    assert not verdict.passed
    assert verdict.reason == LivenessReason.ERROR


def _face_points(rng: np.random.Generator) -> np.ndarray:
    points = rng.uniform(80, 220, (68, 2))
    points[36:42] = [[100, 120], [108, 115], [116, 115], [124, 120], [116, 125], [108, 125]]
    points[42:48] = [[176, 120], [184, 115], [192, 115], [200, 120], [192, 125], [184, 125]]
    return points


def _homography(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    mapped = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    return mapped[:, :2] / mapped[:, 2:3]


def test_plane_motion_leaves_no_residual_but_deformation_does() -> None:
    points = _face_points(np.random.default_rng(4))
    tilt = np.array([[1.05, 0.1, 4.0], [-0.05, 0.95, -3.0], [2e-4, -1e-4, 1.0]])
    assert nonrigid_residual(points, _homography(points, tilt)) < 1e-6
    deformed = points.copy()
    deformed[27:36, 0] += 8.0  # the nose moves against the rest: not a plane
    assert nonrigid_residual(points, deformed) > 0.05


def test_every_pair_fitted_at_once_equals_each_pair_fitted_alone() -> None:
    rng = np.random.default_rng(6)
    base = _face_points(rng)
    tilt = np.array([[1.02, 0.03, 2.0], [-0.02, 0.99, -1.0], [1e-4, -5e-5, 1.0]])
    frames = [
        _homography(base, tilt * (1 + k / 50)) + rng.normal(0, 1.5, base.shape) for k in range(6)
    ]
    frames[3][27:36, 0] += 6.0  # one frame whose nose moved against the plane
    pairwise = [nonrigid_residual(a, b) for i, a in enumerate(frames) for b in frames[i + 1 :]]
    assert len(pairwise) == 15
    assert nonrigid_residuals(frames) == pytest.approx(pairwise, rel=1e-9, abs=1e-12)
    assert max(pairwise) > 0.05 and min(pairwise) < 0.05  # the pairs differ: order matters
    assert nonrigid_residuals(frames[:1]) == [] and nonrigid_residuals([]) == []


def test_blink_strength_sees_closing_eyes() -> None:
    points = _face_points(np.random.default_rng(5))
    closed = points.copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        closed[upper] = closed[lower] - [0, 1]
    assert blink_strength([points, points]) == 0.0
    assert blink_strength([points, points, closed, points]) > 0.8


def test_moire_score_rises_with_a_pixel_grid() -> None:
    rng = np.random.default_rng(6)
    smooth = cv2.GaussianBlur(rng.uniform(0, 255, (160, 160)), (0, 0), 6)
    smooth = cv2.normalize(smooth, None, 40, 220, cv2.NORM_MINMAX).astype(np.uint8)
    xx = np.indices((160, 160))[1]
    grid = np.clip(smooth * (1 + 0.2 * np.sin(xx * 2 * np.pi / 4.0)), 0, 255).astype(np.uint8)
    assert moire_score(smooth) < LivenessSettings().max_moire < moire_score(grid)


def test_assess_liveness_is_pure_over_tracks() -> None:
    rng = np.random.default_rng(7)
    points = _face_points(rng)
    face = cv2.GaussianBlur(rng.uniform(0, 255, (120, 120)), (0, 0), 5).astype(np.uint8)
    shift = np.array([[1.0, 0, 3.0], [0, 1.0, 2.0], [0, 0, 1.0]])
    rigid = [FaceTrack(_homography(points, shift * (k / 5) + np.eye(3)), face) for k in range(6)]
    settings = LivenessSettings()
    assert assess_liveness(rigid, settings).reason == LivenessReason.RIGID_MOTION
    talking = []
    for k in range(6):
        moved = points.copy()
        moved[48:68, 1] += 6.0 * (k % 2)
        moved[27:36, 0] += 5.0 * (k % 3)
        talking.append(FaceTrack(moved, face))
    assert assess_liveness(talking, settings).passed
    assert assess_liveness(talking[:3], settings).reason == LivenessReason.NO_FACE


def test_ring_peak_equals_a_ring_by_ring_median_loop() -> None:
    from biometrics.liveness_cues import _RINGS, ring_peak

    rng = np.random.default_rng(3)
    for n in range(60):
        spectrum = rng.gamma(2.0, 1.5, 128 * 128)
        if n % 2:
            spectrum = np.round(spectrum, 1)  # many ties, even-sized rings
        expected = max(float((spectrum[r] - np.median(spectrum[r])).max()) for r in _RINGS)
        assert ring_peak(spectrum) == expected
    # Only rings 12-60 count: a peak outside the band changes nothing.
    spectrum = np.zeros(128 * 128)
    spectrum[64 * 128 + 64 + 3] = 50.0
    assert ring_peak(spectrum) == 0.0
    spectrum[64 * 128 + 64 + 30] = 5.0
    assert ring_peak(spectrum) == 5.0


def _five_points(nose_x: float = 150.0) -> np.ndarray:
    # dlib's 5-point order: one eye's two corners, the other eye's two, the nose base.
    return np.array([[100, 120], [124, 120], [200, 120], [176, 120], [nose_x, 175]], float)


def _texture(rng: np.random.Generator) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.uniform(0, 255, (160, 160)), (0, 0), 2.5)
    return cv2.normalize(noise, None, 20, 235, cv2.NORM_MINMAX).astype(np.uint8)


def test_flow_residual_ignores_plane_motion_but_sees_a_part_moving() -> None:
    face = _texture(np.random.default_rng(10))
    tilt = np.array([[1.03, 0.04, 2.0], [-0.02, 0.98, -1.5], [1e-4, -5e-5, 1.0]])
    plane = [cv2.warpPerspective(face, tilt * (1 + k / 40), (160, 160)) for k in range(4)]
    # Crops of other sizes and offsets, as the detector's boxes are: a shift and a scale.
    crops = [p[10 + k : 150 - k, 8 + k : 152 - 2 * k] for k, p in enumerate(plane)]
    assert max(flow_residuals(crops)) < 0.3
    moved = face.copy()
    moved[60:110, 55:105] = face[60:110, 47:97]  # a "nose" 8 px to the side, the rest still
    assert max(flow_residuals([face, moved])) > LivenessSettings().min_flow_residual
    assert flow_residuals([face]) == []
    assert flow_residuals([np.full((80, 80), 90, np.uint8)] * 3) == [0.0, 0.0]  # no texture


def test_eye_patches_lose_contrast_when_the_lids_close() -> None:
    rng = np.random.default_rng(8)
    grey = np.full((240, 300), 150, np.uint8)
    points = _five_points()
    shut = grey.copy()
    for x0 in (100, 176):  # an iris between the corners, and a bright sclera around it
        cv2.rectangle(grey, (x0 + 2, 114), (x0 + 22, 126), 230, -1)
        cv2.circle(grey, (x0 + 12, 120), 6, 30, -1)
    noisy = [np.clip(g + rng.normal(0, 2, g.shape), 0, 255).astype(np.uint8) for g in (grey, shut)]
    open_eyes, closed = (eye_patches(g, points) for g in noisy)
    assert open_eyes.shape == (2, 14, 28) and open_eyes.dtype == np.float32
    assert closure_strength([open_eyes, open_eyes, open_eyes]) == 0.0
    assert closure_strength([open_eyes, closed, open_eyes]) > 0.8


def test_assess_liveness_with_five_points() -> None:
    rng = np.random.default_rng(9)
    face = cv2.GaussianBlur(rng.uniform(0, 255, (120, 120)), (0, 0), 5).astype(np.uint8)
    eyes = np.stack([rng.uniform(0, 255, (14, 28))] * 2).astype(np.float32)
    settings = LivenessSettings()
    rigid = [FaceTrack(_five_points() + [3.0 * k, 2.0 * k], face, eyes) for k in range(6)]
    verdict = assess_liveness(rigid, settings)
    assert verdict.reason == LivenessReason.RIGID_MOTION and verdict.details["nonrigid"] < 0.1
    texture = _texture(rng)
    turning = []
    for k, track in enumerate(rigid):
        moved = texture.copy()
        moved[50:120, 45:115] = texture[50:120, 45 - 8 * (k % 3) : 115 - 8 * (k % 3)]
        turning.append(FaceTrack(track.landmarks, moved, eyes))
    assert assess_liveness(turning, settings).passed
    blinking = [
        FaceTrack(t.landmarks, face, eyes * (0.2 if k == 3 else 1.0)) for k, t in enumerate(rigid)
    ]
    verdict = assess_liveness(blinking, settings)
    assert verdict.passed and verdict.details["blink"] > 0.7


def _stream_tracks(frames: list[np.ndarray]) -> list[FaceTrack]:
    from biometrics import WINDOW_STREAM, FaceStream

    stream = FaceStream(WINDOW_STREAM)
    bgr = [np.ascontiguousarray(cv2.cvtColor(f, cv2.COLOR_RGB2BGR)) for f in frames]
    return [face.liveness_track() for f in bgr for face in stream.faces(f)]


def _no_flow(*args: object) -> float:
    raise AssertionError("flow measured after the last frame")


def test_a_sequence_fed_frame_by_frame_measures_as_it_goes_and_judges_alike(
    subject: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    import biometrics.liveness as liveness
    from biometrics.liveness import LivenessSequence, LivenessSettings
    from biometrics.liveness_cues import flow_residuals, moire_score

    image, landmarks = subject
    rng = np.random.default_rng(3)
    for frames in (
        live_sequence(image, landmarks, rng=rng, frames=8),
        photo_attack(image, rng=rng, frames=8),
        screen_attack(image, rng=rng, frames=8),
    ):
        tracks = _stream_tracks(frames)
        assert len(tracks) == 8 and len(tracks[0].landmarks) == 5
        sequence = LivenessSequence(LivenessSettings())
        for track in tracks:
            sequence.add(track)
        expected = assess_liveness(tracks, LivenessSettings())
        with monkeypatch.context() as patched:
            # Every frame's flow was measured when it came: none is left for the verdict.
            patched.setattr(liveness, "flow_residual", _no_flow)
            verdict = sequence.verdict()
        assert verdict == expected and verdict.reason != LivenessReason.ERROR
        residuals = flow_residuals([t.grey_face for t in tracks])
        assert verdict.details["nonrigid"] == float(np.quantile(residuals, 0.75))
        assert verdict.details["moire"] == max(moire_score(t.grey_face) for t in tracks)


def test_a_sequence_that_fails_to_measure_a_frame_is_an_error_not_a_pass(
    subject: tuple[np.ndarray, np.ndarray],
) -> None:
    from biometrics.liveness import LivenessSequence, LivenessSettings

    image, landmarks = subject
    tracks = _stream_tracks(live_sequence(image, landmarks, rng=np.random.default_rng(3), frames=8))
    sequence = LivenessSequence(LivenessSettings())
    sequence.add(FaceTrack(tracks[0].landmarks, np.zeros((0, 0), np.uint8), tracks[0].eyes))
    for track in tracks[1:]:
        sequence.add(track)
    verdict = sequence.verdict()
    assert not verdict.passed and verdict.reason == LivenessReason.ERROR
    short = LivenessSequence(LivenessSettings())
    short.add(tracks[0])
    assert short.verdict().reason == LivenessReason.NO_FACE
