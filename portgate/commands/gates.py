"""`portgate gates ...`: gates and their API keys."""

from typing import Annotated

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="Gates and their API keys.", no_args_is_help=True)


@app.command("add")
def add_command(
    gate_id: Annotated[str, typer.Argument(help="Gate id, e.g. north-1.")],
    site: Annotated[str, typer.Option(help="Site id.")],
) -> None:
    """Add a gate and print its API key once."""
    exit_pending("gates add", 3)
