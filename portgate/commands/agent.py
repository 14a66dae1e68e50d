"""`portgate agent`."""

from pathlib import Path
from typing import Annotated

import typer

from gate_agent.app import AgentApp
from gate_agent.camera.frames import FrameSourceError
from gate_agent.config import ConfigError
from gate_agent.display.server import DisplayConfigError
from gate_agent.links.preflight import StartRefused
from gate_agent.service import run_service
from portgate.language import _
from portgate.sd_notify import ServiceNotifier


def agent_command(
    config: Annotated[Path, typer.Option(help="Agent YAML config.", exists=True, dir_okay=False)],
) -> None:
    """Run a gate agent from a YAML config (under systemd: Type=notify with a watchdog)."""
    notifier: ServiceNotifier | None = None

    def announce(app: AgentApp) -> None:
        nonlocal notifier
        running = f"agent for {app.config.site}/{app.config.gate} running"
        notifier = ServiceNotifier(heartbeat=app.config.heartbeat_path)
        notifier.ready(running)
        typer.echo(_("{running}; Ctrl-C stops it", running=running))

    try:
        run_service(config, on_started=announce)
    except (ConfigError, DisplayConfigError, FrameSourceError, StartRefused) as exc:
        typer.echo(_("error: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    finally:
        if notifier is not None:
            notifier.stopping()
