"""`portgate broker ...`: mQTT broker credentials and ACLs."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="MQTT broker credentials and ACLs.", no_args_is_help=True)


@app.command("users")
def users_command(
    site_config: Annotated[
        Path, typer.Option(help="Site YAML config.", exists=True, dir_okay=False)
    ],
) -> None:
    """Write mosquitto password and ACL files from the site config."""
    exit_pending("broker users", 5)
