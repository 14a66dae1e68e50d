"""Enrollment templates average re-aligned chips (issue 21.1); gate probes do not."""

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from biometrics import ENROLLMENT_PIPELINE, GATE_PIPELINE, FacePipeline, load_image
from biometrics import encoding as encoding_module
from biometrics.encoding import ALIGNMENT_JITTER, _jittered_chips
from biometrics.models import face_recognizer
from testkit.faces import FACES


class _CountingModel:
    """dlib's face recognizer, counting the chips it encodes."""

    def __init__(self) -> None:
        self.chips = 0

    def compute_face_descriptor(self, chip: Any, jitters: int) -> Any:
        self.chips += 1
        return face_recognizer().compute_face_descriptor(chip, jitters)


def _count_chips(monkeypatch: pytest.MonkeyPatch, pipeline: FacePipeline) -> int:
    model = _CountingModel()
    monkeypatch.setattr(encoding_module, "face_recognizer", lambda: model)
    assert pipeline.encode_file(FACES / "obama2.jpg") is not None
    return model.chips


def test_enrollment_encodes_six_chips_and_the_gate_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _count_chips(monkeypatch, ENROLLMENT_PIPELINE) == 2 + len(ALIGNMENT_JITTER)
    assert _count_chips(monkeypatch, GATE_PIPELINE) == 1


def test_the_template_is_the_mean_of_the_chip_its_mirror_and_the_realigned_chips() -> None:
    image = load_image(FACES / "obama2.jpg")
    plain = FacePipeline(
        ENROLLMENT_PIPELINE.detector, replace(ENROLLMENT_PIPELINE.encoder, align_jitter=False)
    ).encode_image(image)
    jittered = ENROLLMENT_PIPELINE.encode_image(image)
    assert plain is not None and jittered is not None
    chips = _jittered_chips(np.ascontiguousarray(image), jittered.landmarks)
    assert [chip.shape for chip in chips] == [(150, 150, 3)] * len(ALIGNMENT_JITTER)
    model = face_recognizer()
    extra = [np.asarray(model.compute_face_descriptor(chip, 1)) for chip in chips]
    expected = (2 * plain.encoding.astype(np.float64) + np.sum(extra, axis=0)) / 6
    np.testing.assert_allclose(jittered.encoding, expected, atol=1e-5)
    # Slightly different chips of one face: a different template, still the same face.
    moved = float(np.linalg.norm(jittered.encoding - plain.encoding))
    assert 1e-4 < moved < 0.1
