"""Default face paths load only the licence-clean models docs/models.md lists.

The default paths run in a fresh interpreter (models are cached per process, and other
tests load the 68-point model on purpose), with ``biometrics.models.model_path`` wrapped
to record every model file asked for.
"""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from biometrics import models
from testkit.faces import FACES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "models.md"

# Enrollment (down to the CNN detector, on a frame with no face), the gate's single-image
# pipeline, the face track's stream over two frames, the liveness check, the quality check.
_DEFAULT_PATHS = """
import json, sys
from pathlib import Path
import numpy as np
import biometrics.models as models

loaded = []
original = models.model_path
def recording(name):
    path = original(name)
    loaded.append(path.name)
    return path
models.model_path = recording

from biometrics import (ENROLLMENT_PIPELINE, GATE_PIPELINE, FaceStream, LivenessChecker,
                        check_quality, load_image)
image = load_image(Path(sys.argv[1]))
enrolled = ENROLLMENT_PIPELINE.encode_image(image)
assert enrolled is not None
if sys.argv[2] == "enrollment":  # the opt-in: enrollment alone says which model it loads
    print(json.dumps({"loaded": sorted(set(loaded)), "points": len(enrolled.landmarks)}))
    sys.exit(0)
assert ENROLLMENT_PIPELINE.encode_image(np.full((200, 200, 3), 128, np.uint8)) is None
assert GATE_PIPELINE.encode_image(image) is not None
bgr = np.ascontiguousarray(image[:, :, ::-1])
stream = FaceStream()
faces = stream.faces(bgr) + stream.faces(bgr)
LivenessChecker().check([image] * 5)
LivenessChecker().assess([face.liveness_track() for face in faces])
check_quality(image, [enrolled.box], landmarks=enrolled.landmarks)
print(json.dumps({"loaded": sorted(set(loaded)), "points": len(enrolled.landmarks)}))
"""


def _documented() -> dict[str, tuple[int, str]]:
    """docs/models.md's table: model file -> (size in bytes, default column)."""
    rows: dict[str, tuple[int, str]] = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([\w.-]+\.(?:dat|onnx|tflite|task))`", cells[0])
        if name and len(cells) == 7:
            rows[name.group(1)] = (int(cells[4]), cells[6])
    return rows


def _run_default_paths(paths: str = "all", **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k != models.LANDMARKS_ENV} | env
    out = subprocess.run(
        [sys.executable, "-c", _DEFAULT_PATHS, str(FACES / "obama.jpg"), paths],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=environ,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    result["stderr"] = out.stderr
    return result


def test_default_paths_load_only_the_listed_default_models() -> None:
    documented = _documented()
    run = _run_default_paths()
    loaded = run["loaded"]
    assert isinstance(loaded, list)
    # The CNN detector (the blank frame), the 5-point model and the encoder.
    assert set(loaded) == {
        "mmod_human_face_detector.dat",
        "shape_predictor_5_face_landmarks.dat",
        "dlib_face_recognition_resnet_model_v1.dat",
    }
    for name in loaded:
        assert documented.get(name, (0, "missing"))[1] == "yes", f"{name} not listed as default"
    assert run["points"] == 5
    assert "iBUG" not in str(run["stderr"])


def test_the_opt_in_loads_the_68_point_model_with_a_warning() -> None:
    run = _run_default_paths("enrollment", PORTGATE_FACE_LANDMARKS="68")
    loaded = run["loaded"]
    assert isinstance(loaded, list) and "shape_predictor_68_face_landmarks.dat" in loaded
    assert run["points"] == 68
    assert "iBUG 300-W" in str(run["stderr"]) and "commercial" in str(run["stderr"])
    assert _documented()["shape_predictor_68_face_landmarks.dat"][1] == "opt-in"


def test_documented_sizes_match_the_installed_files() -> None:
    documented = _documented()
    assert len(documented) == 4
    for key in ("shape_5", "shape_68", "resnet", "mmod"):
        path = models.model_path(key)
        assert documented[path.name][0] == path.stat().st_size, path.name


def test_alignment_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(models.LANDMARKS_ENV, raising=False)
    assert models.alignment_points() == 5
    monkeypatch.setenv(models.LANDMARKS_ENV, "68")
    assert models.alignment_points() == 68
    monkeypatch.setenv(models.LANDMARKS_ENV, "81")
    with pytest.raises(ValueError, match="PORTGATE_FACE_LANDMARKS must be 5 or 68, not '81'"):
        models.alignment_points()


def test_loading_the_68_point_model_logs_its_licence(caplog: pytest.LogCaptureFixture) -> None:
    models.shape_predictor.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="biometrics.models"):
            models.shape_predictor(68)
    finally:
        models.shape_predictor.cache_clear()
    assert any("iBUG 300-W" in r.getMessage() for r in caplog.records)
