"""`portgate agent`."""

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from gate_agent.app import AgentApp
from gate_agent.config import ConfigError, load_config
from gate_agent.frames import FrameSourceError

logger = logging.getLogger(__name__)


def agent_command(
    config: Annotated[Path, typer.Option(help="Agent YAML config.", exists=True, dir_okay=False)],
) -> None:
    """Run a gate agent from a YAML config."""
    try:
        agent_config = load_config(config)
        verifier = liveness = None
        if agent_config.camera is not None and agent_config.face.enabled:
            from gate_agent.face_biometrics import BiometricFaceVerifier, BiometricLiveness

            verifier, liveness = BiometricFaceVerifier(), BiometricLiveness()
        app = AgentApp(agent_config, verifier=verifier, liveness=liveness)
        app.start()
    except (ConfigError, FrameSourceError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    typer.echo(f"agent for {agent_config.site}/{agent_config.gate} running; Ctrl-C stops it")
    app.wait(stop)
    app.stop()
    logger.info("agent stopped cleanly")
