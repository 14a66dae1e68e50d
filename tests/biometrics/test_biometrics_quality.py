"""Quality checks on the shipped photos: one reason per defect."""

import cv2
import numpy as np
import pytest

from biometrics import (
    FaceBox,
    FaceEncoder,
    HogDetector,
    QualityReason,
    QualitySettings,
    check_quality,
    detect_faces,
    estimate_pose,
    load_image,
)
from testkit.faces import FACES, face_photo


@pytest.fixture(scope="module")
def obama() -> tuple[np.ndarray, list[FaceBox], np.ndarray]:
    image = load_image(FACES / "obama.jpg")
    faces = detect_faces(image)
    landmarks = FaceEncoder(landmark_points=5).landmarks(image, faces[0])
    return image, faces, landmarks


def test_obama_is_ok(obama: tuple[np.ndarray, list[FaceBox], np.ndarray]) -> None:
    image, faces, landmarks = obama
    report = check_quality(image, faces, landmarks=landmarks)
    assert report.ok, report.reasons
    assert report.summary() == "ok"
    assert report.face == faces[0]
    assert report.pose is not None
    assert abs(report.pose.yaw) < 10
    assert abs(report.pose.pitch) < 10


def test_two_people_is_several_faces() -> None:
    image = load_image(FACES / "two_people.jpg")
    report = check_quality(image, detect_faces(image))
    assert report.reasons == [QualityReason.SEVERAL_FACES]
    assert "one person" in report.messages[0]


def test_dark_version_is_too_dark(obama: tuple[np.ndarray, list[FaceBox], np.ndarray]) -> None:
    image, faces, _ = obama
    dark = (image * 0.2).astype(np.uint8)
    report = check_quality(dark, faces)
    assert report.reasons == [QualityReason.TOO_DARK]
    assert report.summary() == "too_dark"


def test_bright_version_is_too_bright(
    obama: tuple[np.ndarray, list[FaceBox], np.ndarray],
) -> None:
    image, faces, _ = obama
    bright = np.clip(image.astype(np.int32) + 140, 0, 255).astype(np.uint8)
    assert check_quality(bright, faces).reasons == [QualityReason.TOO_BRIGHT]


def test_blurred_version_is_blurred(obama: tuple[np.ndarray, list[FaceBox], np.ndarray]) -> None:
    image, faces, _ = obama
    blurred = cv2.GaussianBlur(image, (0, 0), 4)
    report = check_quality(blurred, faces)
    assert report.reasons == [QualityReason.BLURRED]
    assert report.sharpness < QualitySettings().min_sharpness


def test_no_face_and_too_small() -> None:
    blank = np.full((100, 100, 3), 128, dtype=np.uint8)
    assert check_quality(blank, []).reasons == [QualityReason.NO_FACE]
    image = load_image(face_photo("obama-240p.jpg"))
    faces = detect_faces(image, detector=HogDetector(upsample=1))
    assert faces
    assert QualityReason.TOO_SMALL in check_quality(image, faces).reasons


def test_turned_away_from_the_landmarks(
    obama: tuple[np.ndarray, list[FaceBox], np.ndarray],
) -> None:
    image, faces, landmarks = obama
    turned = landmarks.copy()
    eye = float(np.linalg.norm(turned[0:2].mean(0) - turned[2:4].mean(0)))
    turned[4, 0] += 0.5 * eye  # the nose far off the eye midline: head turned
    assert estimate_pose(turned).yaw > 30
    report = check_quality(image, faces, landmarks=turned)
    assert report.reasons == [QualityReason.TURNED_AWAY]


def test_every_reason_has_a_message() -> None:
    for reason in QualityReason:
        assert reason.message.endswith(".")


def test_settings_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        QualitySettings(min_face=3)  # type: ignore[call-arg]
