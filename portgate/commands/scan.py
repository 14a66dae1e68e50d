"""`portgate scan IMAGE...`: codes and faces found in images, one JSON line each."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.commands.pending import exit_pending


def scan_command(
    images: Annotated[list[Path], typer.Argument(help="Image files to scan.")],
) -> None:
    """Print one JSON line per image with the codes and faces found in it."""
    exit_pending("scan", 4)
