"""`portgate demo`."""

from typing import Annotated

import typer

from portgate.commands.pending import exit_pending


def demo_command(
    port: Annotated[int, typer.Option(help="HTTP port of the API and dashboard.")] = 8000,
) -> None:
    """Start a whole site on this machine: broker, API, dashboard, simulated gates."""
    exit_pending("demo", 8)
