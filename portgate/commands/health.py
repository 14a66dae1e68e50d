"""`portgate health`: the container healthcheck of the edge services."""

import time
from pathlib import Path
from typing import Annotated

import typer

from portgate.language import _


def health_command(
    heartbeat: Annotated[
        Path, typer.Option(help="Heartbeat file the service touches from its main loop.")
    ],
    max_age: Annotated[
        float, typer.Option(help="Seconds after which a silent heartbeat means unhealthy.")
    ] = 30.0,
) -> None:
    """Exit 0 if the service's heartbeat file is fresh, 1 otherwise."""
    try:
        age = time.time() - heartbeat.stat().st_mtime
    except OSError as exc:
        typer.echo(
            _("unhealthy: no heartbeat at {file} ({error})", file=heartbeat, error=exc.strerror),
            err=True,
        )
        raise typer.Exit(code=1) from None
    if age > max_age:
        typer.echo(_("unhealthy: last heartbeat {age} s ago", age=f"{age:.0f}"), err=True)
        raise typer.Exit(code=1)
    typer.echo(_("healthy: last heartbeat {age} s ago", age=f"{age:.1f}"))
