"""`portgate db ...`: database schema management."""

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply the Alembic migrations up to head."""
    exit_pending("db upgrade", 3)
