"""`portgate staff-reports sign --gate G` and `portgate staff-reports purge`.

`sign` prints the gate's report sign (the QR code of ``{base}/report/{site}/{token}``) to
a PNG or PDF and echoes the URL; `--rotate` retires the sign in use (a sign that was
photographed and misused) and issues a new token. Both changes are audited.
"""

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from central_api.config import database_url
from central_api.db import make_engine
from central_api.models import Gate
from central_api.staff_reports.retention import DEFAULT_RETENTION_DAYS, purge_closed
from central_api.staff_reports.sign_image import render_sign, save_sign
from central_api.staff_reports.signs import issue_sign, sign_url
from portgate.commands.sync_notices import cli_change
from portgate.commands.users import cli_actor
from portgate.language import _

__all__ = ["app"]

app = typer.Typer(
    help="Staff reports of suspicious activity (docs/staff-reports.md).", no_args_is_help=True
)


@app.command("sign")
def sign_command(
    gate: Annotated[str, typer.Option("--gate", help="The gate whose sign to print.")],
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            envvar="PORTGATE_PUBLIC_URL",
            help="The API's address as phones reach it, e.g. https://portgate.example.org.",
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", help="sign.png or sign.pdf (default: SIGN-GATE.png).")
    ] = None,
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Retire the sign in use and issue a new token.")
    ] = False,
) -> None:
    """Print the gate's report sign (issuing its token on first use) and echo its URL."""
    path = output or Path(f"sign-{gate}.png")
    if path.suffix.lower() not in (".png", ".pdf"):
        typer.echo(
            _("staff-reports sign: {file}: write the sign as .png or .pdf", file=path.name),
            err=True,
        )
        raise typer.Exit(code=1)
    if not base_url.startswith(("https://", "http://")):
        typer.echo(
            _("staff-reports sign: --base-url must start with https:// or http://"), err=True
        )
        raise typer.Exit(code=1)
    with cli_change("staff-reports sign") as session:
        sign = issue_sign(session=session, gate_id=gate, actor=cli_actor(), rotate=rotate)
        row = session.get(Gate, gate)
        name = (row.name if row is not None else "") or gate
        url = sign_url(base_url, sign)
    save_sign(render_sign(url=url, gate_name=name), path)
    typer.echo(url)
    typer.echo(_("sign written to {file}", file=path))


@app.command("purge")
def purge_command(
    days: Annotated[
        int,
        typer.Option(
            "--days", min=1, help="Delete closed and passed-on reports untouched this long."
        ),
    ] = DEFAULT_RETENTION_DAYS,
) -> None:
    """Delete closed and passed-on reports past the retention period (audited)."""
    with Session(make_engine(database_url())) as session:
        count = purge_closed(session=session, days=days)
    typer.echo(
        _(
            "{count} staff report(s) purged (closed or passed on over {days} days ago)",
            count=count,
            days=days,
        )
    )
