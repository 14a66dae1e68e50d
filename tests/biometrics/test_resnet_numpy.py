"""The face ResNet run in numpy (biometrics/resnet) gives dlib's own descriptors, refuses a
damaged or foreign model file and a chip of another shape with a clear error, and is what
the pipelines use unless PORTGATE_FACE_ENCODER=dlib says otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from biometrics.models import (
    ENCODER_ENV,
    face_encoder_kind,
    face_recognizer,
    load_dlib,
    model_path,
    shape_predictor,
)
from biometrics.resnet import ModelFormatError, NumpyFaceEncoder, read_network
from testkit.faces import FACES

_PHOTOS = ("obama.jpg", "biden.jpg", "obama2.jpg", "lin-manuel-miranda.png", "two_people.jpg")


def _chips() -> list[npt.NDArray[np.uint8]]:
    """Every face of the shipped photos as dlib's 150x150 chip, and its mirror image."""
    dlib = load_dlib()
    detector, predictor = dlib.get_frontal_face_detector(), shape_predictor(5)
    chips = []
    for name in _PHOTOS:
        rgb = np.asarray(Image.open(FACES / name).convert("RGB"))
        for box in detector(rgb, 1):
            chip = dlib.get_face_chip(rgb, predictor(rgb, box), size=150, padding=0.25)
            chips += [chip, np.ascontiguousarray(chip[:, ::-1])]
    return chips


def _dlib_only() -> Any:
    return load_dlib().face_recognition_model_v1(str(model_path("resnet")))


def test_numpy_gives_dlibs_descriptors_on_the_shipped_faces() -> None:
    dlib_model = _dlib_only()
    encoder = NumpyFaceEncoder(model_path("resnet"), jittering=_dlib_only)
    chips = _chips()
    assert len(chips) >= 12  # two people in two_people.jpg, mirrors included
    for chip in chips:
        want = np.asarray(dlib_model.compute_face_descriptor(chip, 1), dtype=np.float64)
        got = encoder.compute_face_descriptor(chip, 1).astype(np.float64)
        # dlib's float32 sums in another order: agreement to rounding, far under any threshold.
        assert np.abs(got - want).max() <= 1e-5
        assert np.linalg.norm(got - want) <= 1e-5
    assert 20 * 2**20 < encoder.nbytes < 24 * 2**20


def test_a_damaged_or_foreign_model_file_is_refused(tmp_path: Path) -> None:
    weights = model_path("resnet").read_bytes()
    cut = tmp_path / "cut.dat"
    cut.write_bytes(weights[: len(weights) // 2])
    with pytest.raises(ModelFormatError, match="ends early"):
        read_network(cut)
    longer = tmp_path / "longer.dat"
    longer.write_bytes(weights + b"\x00" * 7)
    with pytest.raises(ModelFormatError, match="7 bytes after the network"):
        read_network(longer)
    with pytest.raises(ModelFormatError):  # dlib's landmark model is not a ResNet
        read_network(model_path("shape_5"))


def test_a_chip_of_another_shape_is_refused() -> None:
    encoder = face_recognizer()
    assert isinstance(encoder, NumpyFaceEncoder)
    for shape in ((100, 100, 3), (150, 150), (150, 150, 4)):
        with pytest.raises(ValueError, match=r"shape \(150, 150, 3\)"):
            encoder.compute_face_descriptor(np.zeros(shape, dtype=np.uint8))


def test_the_encoder_is_numpy_unless_the_operator_asks_for_dlib(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENCODER_ENV, raising=False)
    assert face_encoder_kind() == "numpy"
    assert isinstance(face_recognizer(), NumpyFaceEncoder)
    monkeypatch.setenv(ENCODER_ENV, "dlib")
    assert not isinstance(face_recognizer(), NumpyFaceEncoder)
    assert type(face_recognizer()).__name__ == "face_recognition_model_v1"
    monkeypatch.setenv(ENCODER_ENV, "cuda")
    with pytest.raises(ValueError, match="must be numpy or dlib, not 'cuda'"):
        face_encoder_kind()


def test_jitters_above_one_go_to_dlibs_model() -> None:
    asked: list[int] = []

    class Jittering:
        def compute_face_descriptor(self, chip: Any, num_jitters: int) -> list[float]:
            asked.append(num_jitters)
            return [0.5] * 128

    encoder = NumpyFaceEncoder(model_path("resnet"), jittering=Jittering)
    chip = _chips()[0]
    assert encoder.compute_face_descriptor(chip, 5).tolist() == [0.5] * 128
    assert asked == [5]
    assert encoder.compute_face_descriptor(chip, 1).tolist() != [0.5] * 128
    assert asked == [5]
