from pathlib import Path

import cv2
import numpy as np
import pytest

from gate_agent.app import build_app
from gate_agent.config import AgentConfig
from testkit.agent.doubles import GATE_KEY


def config(tmp_path: Path, **face: object) -> AgentConfig:
    image = tmp_path / "frame.png"
    cv2.imwrite(str(image), np.zeros((8, 8, 3), dtype=np.uint8))
    return AgentConfig.model_validate(
        {
            "site": "t1",
            "gate": "g1",
            "camera": {"type": "file", "path": str(image)},
            "face": face,
            "outbox": {"path": str(tmp_path / "o.db")},
            "replica_path": str(tmp_path / "r.json"),
        }
    )


def test_a_gate_with_a_camera_gets_the_real_face_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_GATE_KEY", GATE_KEY)
    app = build_app(config(tmp_path))
    face = app.workers._decider._face
    assert face is not None and face.liveness is not None
    assert type(face.verifier).__name__ == "BiometricFaceVerifier"
    app.outbox.close()
    without = build_app(config(tmp_path, liveness=False, verify_frames=1))
    face = without.workers._decider._face
    assert face is not None and face.liveness is None
    without.outbox.close()
    disabled = build_app(config(tmp_path, enabled=False))
    assert disabled.workers._decider._face is None
    disabled.outbox.close()
