"""`portgate bridge`."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.commands.pending import exit_pending


def bridge_command(
    config: Annotated[Path, typer.Option(help="Bridge YAML config.", exists=True, dir_okay=False)],
) -> None:
    """Run a firmware bridge from a YAML config."""
    exit_pending("bridge", 5)
