"""`portgate audit ...`: the hash-chained audit log."""

import typer
from sqlmodel import Session

from central_api.audit.chain import verify_chain
from central_api.config import database_url
from central_api.db import make_engine

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def verify_command() -> None:
    """Walk the hash chain; exit 1 at the first broken link."""
    with Session(make_engine(database_url())) as session:
        verdict = verify_chain(session=session)
    if verdict.ok:
        typer.echo(f"audit chain intact: {verdict.checked} rows")
        return
    typer.echo(f"audit chain BROKEN at seq {verdict.broken_seq}: {verdict.message}", err=True)
    raise typer.Exit(code=1)
