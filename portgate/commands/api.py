"""`portgate api`."""

from typing import Annotated

import typer

from portgate.commands.pending import exit_pending


def api_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
) -> None:
    """Run the central API and its web pages."""
    exit_pending("api", 3)
