"""Run one gate agent as a service until SIGTERM or SIGINT (what `portgate agent` does)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from gate_agent.app import AgentApp, build_app, check_local_files
from gate_agent.config import AgentConfig, load_config, read_strong_secret
from gate_agent.links.preflight import StartRetry, preflight

__all__ = ["run_service"]

_log = logging.getLogger(__name__)


def run_service(config_path: Path, *, on_started: Callable[[AgentApp], None] | None = None) -> None:
    """Load the config, start the agent and run until SIGTERM/SIGINT, then stop cleanly.

    Raises:
        ConfigError: the config is invalid or a secret is missing.
        FrameSourceError: the camera cannot be opened.
        StartRefused: the API does not know the gate or refuses its key, or the broker
            cannot be reached, still after the bounded retry (gate_agent.links.preflight).
    """
    config = load_config(config_path)
    check_local_files(config)
    _check_before_start(config)
    app = build_app(config)
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


def _check_before_start(config: AgentConfig) -> None:
    gate_key = read_strong_secret(config.api.gate_key_env, what="API gate key")
    password = None
    if config.mqtt.username and config.mqtt.password_env:
        password = read_strong_secret(config.mqtt.password_env, what="MQTT password")
    preflight(
        config, gate_key=gate_key, mqtt_password=password, retry=StartRetry.from_environment()
    )
