"""`portgate visitors ...`: visitors pre-registered by a host (the API's /api/v1/visitors)."""

from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlmodel import Session

from central_api.config import database_url
from central_api.crud.visitors import cancel_visitor, create_visitor, list_visitors
from central_api.db import make_engine
from central_api.models import IdDocumentKind, VisitorCreate
from portgate.commands.sync_notices import cli_change
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(help="Visitors pre-registered by a host.", no_args_is_help=True)


def _fail(command: str, message: str) -> typer.Exit:
    typer.echo(_("visitors {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=1)


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The visitor's full name.")],
    site: Annotated[str, typer.Option(help="Site id.")],
    host: Annotated[str, typer.Option(help="The host's person id (active at the site).")],
    valid_from: Annotated[str, typer.Option("--from", help="ISO time with zone.")],
    valid_until: Annotated[str, typer.Option("--until", help="ISO time with zone.")],
    document: Annotated[IdDocumentKind, typer.Option(help="Identity document kind.")] = (
        IdDocumentKind.PASSPORT
    ),
    company: Annotated[str | None, typer.Option(help="The visitor's company.")] = None,
    escort: Annotated[bool, typer.Option(help="Pass only right after the host.")] = True,
    group: Annotated[list[int] | None, typer.Option(help="Access group id (repeatable).")] = None,
    badge: Annotated[str | None, typer.Option(help="A visitor badge number (raw).")] = None,
) -> None:
    """Register a visit; prints the visit id and the visitor's person id."""
    try:
        body = VisitorCreate.model_validate(
            {
                "site_id": site,
                "host_person_id": host,
                "name": name,
                "company": company,
                "id_document_kind": document,
                "valid_from": datetime.fromisoformat(valid_from),
                "valid_until": datetime.fromisoformat(valid_until),
                "escort_required": escort,
                "access_group_ids": group or [],
                "badge_number": badge,
                "badge_format": "raw" if badge else None,
            }
        )
    except (ValidationError, ValueError) as exc:
        raise _fail("add", str(exc).splitlines()[0]) from None
    with cli_change("visitors add") as session:
        visit = create_visitor(session=session, body=body, actor=cli_actor())
    typer.echo(
        _(
            "visit {id}: visitor {person} ({name}) for host {host}",
            id=visit.id,
            person=visit.person_id,
            name=visit.name,
            host=host,
        )
    )


@app.command("list")
def list_command(
    site: Annotated[str | None, typer.Option(help="Only this site.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include cancelled visits.")] = False,
) -> None:
    """Visits, newest window first, one a line."""
    with Session(make_engine(database_url())) as session:
        visits = list_visitors(session=session, site_id=site, include_cancelled=all_, limit=500)
    for v in visits:
        escort = "escorted" if v.escort_required else "alone"
        typer.echo(
            f"{v.id}\t{v.status}\t{v.site_id}\t{v.name}\thost {v.host_person_id}\t"
            f"{v.valid_from.isoformat()} - {v.valid_until.isoformat()}\t{escort}"
        )


@app.command("cancel")
def cancel_command(visit_id: Annotated[str, typer.Argument(help="The visit id.")]) -> None:
    """Cancel a visit: the visitor and their badge are revoked at the gates."""
    with cli_change("visitors cancel") as session:
        cancel_visitor(session=session, visitor_id=visit_id, actor=cli_actor())
    typer.echo(_("visit {id} cancelled", id=visit_id))
