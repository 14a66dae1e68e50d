"""`portgate agent`."""

from pathlib import Path
from typing import Annotated

import typer

from gate_agent.app import AgentApp
from gate_agent.camera.frames import FrameSourceError
from gate_agent.config import ConfigError
from gate_agent.links.preflight import StartRefused
from gate_agent.service import run_service


def agent_command(
    config: Annotated[Path, typer.Option(help="Agent YAML config.", exists=True, dir_okay=False)],
) -> None:
    """Run a gate agent from a YAML config."""

    def announce(app: AgentApp) -> None:
        typer.echo(f"agent for {app.config.site}/{app.config.gate} running; Ctrl-C stops it")

    try:
        run_service(config, on_started=announce)
    except (ConfigError, FrameSourceError, StartRefused) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
