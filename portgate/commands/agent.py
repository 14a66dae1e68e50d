"""`portgate agent`."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.commands.pending import exit_pending


def agent_command(
    config: Annotated[Path, typer.Option(help="Agent YAML config.", exists=True, dir_okay=False)],
) -> None:
    """Run a gate agent from a YAML config."""
    exit_pending("agent", 4)
