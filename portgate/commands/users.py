"""`portgate users ...`: dashboard and desk users."""

from typing import Annotated

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="Dashboard and desk users.", no_args_is_help=True)


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, security_desk or operator.")],
) -> None:
    """Add a user with a role; the password comes from a prompt or PORTGATE_PASSWORD."""
    exit_pending("users add", 3)
