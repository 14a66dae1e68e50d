"""`portgate health`: the container healthcheck of the edge services."""

import time
from pathlib import Path
from typing import Annotated

import typer


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
        typer.echo(f"unhealthy: no heartbeat at {heartbeat} ({exc.strerror})", err=True)
        raise typer.Exit(code=1) from None
    if age > max_age:
        typer.echo(f"unhealthy: last heartbeat {age:.0f} s ago", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"healthy: last heartbeat {age:.1f} s ago")
