"""Detection and encoding with the real dlib models on the shipped face photos."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from biometrics import (
    DEFAULT_VERIFY_THRESHOLD,
    ENROLLMENT_PIPELINE,
    GATE_PIPELINE,
    FaceBox,
    HogDetector,
    ImageError,
    ModelFileError,
    YuNetDetector,
    detect_faces,
    dlib_build_info,
    encode_face,
    load_image,
    select_primary_face,
    verify,
)
from testkit.faces import FACES


@pytest.fixture(scope="module")
def gate_encodings() -> dict[str, np.ndarray]:
    found = {}
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg"):
        face = GATE_PIPELINE.encode_file(FACES / name)
        assert face is not None, name
        found[name] = face.encoding
    return found


def test_gate_pipeline_matches_obama_and_not_biden(gate_encodings: dict[str, np.ndarray]) -> None:
    obama, obama2, biden = (gate_encodings[n] for n in ("obama.jpg", "obama2.jpg", "biden.jpg"))
    assert obama.dtype == np.float32
    assert obama.shape == (128,)
    assert verify(obama2, obama).matched
    assert not verify(biden, obama).matched
    assert verify(biden, np.stack([obama, obama2])).distance > DEFAULT_VERIFY_THRESHOLD


def test_enrollment_pipeline_matches_across_pipelines(
    gate_encodings: dict[str, np.ndarray],
) -> None:
    enrolled = ENROLLMENT_PIPELINE.encode_file(FACES / "obama2.jpg")
    assert enrolled is not None
    assert enrolled.landmarks.shape == (5, 2)  # the licence-clean default (docs/models.md)
    assert verify(gate_encodings["obama.jpg"], enrolled.encoding).matched
    assert not verify(gate_encodings["biden.jpg"], enrolled.encoding).matched


def test_detect_faces_finds_both_people_largest_first() -> None:
    image = load_image(FACES / "two_people.jpg")
    faces = detect_faces(image)
    assert len(faces) == 2
    assert faces[0].width * faces[0].height >= faces[1].width * faces[1].height
    for face in faces:
        assert 0 <= face.left < face.right <= image.shape[1]
        assert 0 <= face.top < face.bottom <= image.shape[0]


def test_hog_on_a_downscaled_frame_maps_boxes_back() -> None:
    image = load_image(FACES / "obama-1080p.jpg")
    small = HogDetector(max_width=640).detect(image)
    assert len(small) == 1
    cx, cy = small[0].center
    assert 0.3 * image.shape[1] < cx < 0.7 * image.shape[1]
    assert small[0].width > 200  # in full-resolution pixels, not the 640-wide copy
    vector = encode_face(image, small[0])
    assert vector.shape == (128,)


def test_primary_face_is_the_central_one_among_the_large() -> None:
    central = FaceBox(top=80, right=170, bottom=170, left=80)
    bigger_off_centre = FaceBox(top=0, right=100, bottom=100, left=0)
    tiny_centre = FaceBox(top=120, right=130, bottom=130, left=120)
    boxes = [bigger_off_centre, central, tiny_centre]
    assert select_primary_face(boxes, height=250, width=250) == central
    assert select_primary_face([], height=250, width=250) is None


def test_no_face_in_a_blank_image() -> None:
    blank = np.full((240, 320, 3), 128, dtype=np.uint8)
    assert detect_faces(blank) == []
    assert GATE_PIPELINE.encode_image(blank) is None


def test_load_image_refuses_missing_and_non_image_files(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such image"):
        load_image(tmp_path / "missing.jpg")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(ImageError, match="not an image"):
        load_image(text)


def test_yunet_needs_a_model_file_the_user_supplies(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="YuNet model file not found"):
        YuNetDetector(tmp_path / "face_detection_yunet_2023mar.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="cannot load"):
        YuNetDetector(junk)


def test_dlib_build_info_says_whether_blas_is_used() -> None:
    info = dlib_build_info()
    assert isinstance(info["version"], str)
    assert info["blas"] in (True, False, None)


def test_importing_biometrics_does_not_load_dlib_or_opencv() -> None:
    code = "import sys, biometrics; print('dlib' in sys.modules, 'cv2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_bgr_to_rgb_reverses_the_channels_of_any_frame_layout() -> None:
    from biometrics import bgr_to_rgb

    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (36, 64, 3), dtype=np.uint8)
    rgb = bgr_to_rgb(frame)
    assert rgb.flags.c_contiguous and np.array_equal(rgb, frame[:, :, ::-1])
    view = frame[:, ::-2]  # not contiguous
    assert np.array_equal(bgr_to_rgb(view), view[:, :, ::-1])
    bgra = rng.integers(0, 256, (5, 7, 4), dtype=np.uint8)
    assert np.array_equal(bgr_to_rgb(bgra), bgra[:, :, 2::-1])
    grey = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    assert np.array_equal(bgr_to_rgb(grey), np.stack([grey] * 3, axis=2))
