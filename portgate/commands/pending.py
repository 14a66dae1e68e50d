"""The answer of a command whose issue is not done yet."""

from typing import NoReturn

import typer


def exit_pending(command: str, issue: int) -> NoReturn:
    """Say that `command` is not built yet and exit with status 2.

    Args:
        command: The command as the user typed it, e.g. ``"enroll person add"``.
        issue: The issue that will build it.
    """
    typer.echo(f"portgate {command}: not available yet (issue {issue}).", err=True)
    raise typer.Exit(code=2)
