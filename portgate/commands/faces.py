"""`portgate faces ...`: face verification tools."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="Face verification tools.", no_args_is_help=True)


@app.command("compare")
def compare_command(
    pairs: Annotated[
        Path, typer.Option(help="File of image_a<TAB>image_b lines.", exists=True, dir_okay=False)
    ],
) -> None:
    """Compare image pairs at the shipped 1:1 threshold; one JSON line per pair."""
    exit_pending("faces compare", 4)
