"""`portgate db ...`: database schema management."""

import typer

from central_api.config import database_url
from central_api.migrate import upgrade_database

app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply the Alembic migrations up to head."""
    url = database_url()
    upgrade_database(url)
    typer.echo(f"database at head ({url.split('://', 1)[0]})")
