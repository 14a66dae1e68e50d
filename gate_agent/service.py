"""Run one gate agent as a service until SIGTERM or SIGINT (what `portgate agent` does)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from gate_agent.app import AgentApp
from gate_agent.config import AgentConfig, load_config
from gate_agent.face.step import FaceVerifier, LivenessChecker
from gate_agent.face.tracker import FaceObserver

__all__ = ["build_app", "run_service"]

_log = logging.getLogger(__name__)


def build_app(config: AgentConfig) -> AgentApp:
    """The agent for a config, with the real face checks when a camera is configured.

    Raises:
        ConfigError: a secret named by the config is not set.
        FrameSourceError: the camera cannot be opened.
    """
    verifier: FaceVerifier | None = None
    liveness: LivenessChecker | None = None
    observer: FaceObserver | None = None
    if config.camera is not None and config.face.enabled:
        # dlib is imported only for gates with a camera and a face step.
        from gate_agent.face.biometrics import (
            BiometricFaceObserver,
            BiometricFaceVerifier,
            BiometricLiveness,
        )

        verifier = BiometricFaceVerifier(
            max_frames=config.face.verify_frames, presearch=config.face.presearch
        )
        liveness = BiometricLiveness() if config.face.liveness else None
        observer = BiometricFaceObserver()
    return AgentApp(config, verifier=verifier, liveness=liveness, observer=observer)


def run_service(config_path: Path, *, on_started: Callable[[AgentApp], None] | None = None) -> None:
    """Load the config, start the agent and run until SIGTERM/SIGINT, then stop cleanly.

    Raises:
        ConfigError: the config is invalid or a secret is missing.
        FrameSourceError: the camera cannot be opened.
    """
    app = build_app(load_config(config_path))
    app.start()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if on_started is not None:
        on_started(app)
    app.wait(stop)
    app.stop()
    _log.info("agent stopped cleanly")
