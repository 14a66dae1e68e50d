"""Run one gate agent as a service until SIGTERM or SIGINT (what `portgate agent` does)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from gate_agent.app import AgentApp, build_app
from gate_agent.config import load_config

__all__ = ["run_service"]

_log = logging.getLogger(__name__)


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
