"""`portgate sites timezone SITE [ZONE]`: show or set a site's IANA time zone (audited)."""

from typing import Annotated

import typer
from sqlmodel import Session

from central_api.audit.chain import ensure_audit_head
from central_api.bus.notice_sender import recording_session
from central_api.config import database_url
from central_api.crud.sites import get_site, set_site_timezone
from central_api.db import make_engine
from central_api.errors import ServiceError
from portgate.commands.sync_notices import deliver_notices
from portgate.commands.users import cli_actor
from portgate.language import _

__all__ = ["app"]

app = typer.Typer(help="Sites: their time zone.", no_args_is_help=True)


@app.command("timezone")
def timezone_command(
    site_id: Annotated[str, typer.Argument(help="Site id.")],
    zone: Annotated[
        str | None,
        typer.Argument(help="New IANA time zone, e.g. Europe/Amsterdam; none: show it."),
    ] = None,
) -> None:
    """Show the site's time zone, or set it (audited; the site's gates resync).

    A name that is no IANA zone ("Europe/Amsterdm", "UTC+25") is refused with an error
    line and exit code 1, and nothing changes.
    """
    engine = make_engine(database_url())
    if zone is None:
        try:
            with Session(engine) as session:
                typer.echo(get_site(session=session, site_id=site_id).timezone)
        except ServiceError as exc:
            typer.echo(_("sites timezone: {error}", error=exc.message), err=True)
            raise typer.Exit(code=1) from None
        return
    ensure_audit_head(engine=engine)
    session, bus = recording_session(engine)  # the SyncNotice its commit releases
    try:
        with session:
            site = set_site_timezone(
                session=session, site_id=site_id, timezone=zone, actor=cli_actor()
            )
            now = site.timezone
    except ServiceError as exc:
        typer.echo(_("sites timezone: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None
    deliver_notices(bus, command="sites timezone")
    typer.echo(_("site {site}: time zone {zone}", site=site_id, zone=now))
