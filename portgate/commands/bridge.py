"""`portgate bridge`."""

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from firmware_bridge.assembly import build_bridge
from firmware_bridge.config import ConfigError, load_bridge_config
from firmware_bridge.drivers.base import DriverError
from portgate.language import _
from portgate.sd_notify import ServiceNotifier

logger = logging.getLogger(__name__)


def bridge_command(
    config: Annotated[Path, typer.Option(help="Bridge YAML config.", exists=True, dir_okay=False)],
) -> None:
    """Run a firmware bridge from a YAML config (under systemd: Type=notify with a watchdog)."""
    try:
        bridge = build_bridge(load_bridge_config(config))
        bridge.start()
    except (ConfigError, DriverError, OSError) as exc:
        typer.echo(_("error: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    running = f"bridge for {bridge.config.site}/{bridge.config.gate} running"
    notifier = ServiceNotifier(heartbeat=bridge.config.heartbeat_path)
    notifier.ready(running)
    typer.echo(_("{running}; Ctrl-C stops it", running=running))
    stop.wait()
    notifier.stopping()
    bridge.stop()
    logger.info("bridge stopped cleanly")
