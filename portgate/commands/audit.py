"""`portgate audit ...`: the hash-chained audit log."""

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def verify_command() -> None:
    """Walk the hash chain; exit 1 at the first broken link."""
    exit_pending("audit verify", 3)
