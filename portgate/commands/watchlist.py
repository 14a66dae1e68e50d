"""`portgate watchlist ...`: the port authority's persons of interest."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlmodel import Session

from central_api.config import Settings, database_url
from central_api.db import make_engine
from central_api.enroll.faces import MAX_PHOTO_BYTES
from central_api.models import PersonOfInterestCreate
from central_api.watchlist.persons import (
    add_person_of_interest,
    list_persons_of_interest,
    remove_person_of_interest,
)
from portgate.commands.sync_notices import cli_change
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(help="The port-wide watchlist: persons of interest.", no_args_is_help=True)


def _fail(command: str, message: str) -> typer.Exit:
    typer.echo(_("watchlist {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=1)


def _photo(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PHOTO_BYTES + 1)
    except OSError as exc:
        raise _fail(
            "add-poi", _("cannot read {file}: {error}", file=path, error=exc.strerror)
        ) from None
    if len(data) > MAX_PHOTO_BYTES:
        raise _fail("add-poi", _("{file} is over the photo size limit", file=path))
    return data


@app.command("add-poi")
def add_poi_command(
    photo: Annotated[Path, typer.Argument(help="A photo showing the one face (JPEG/PNG).")],
    label: Annotated[str, typer.Option(help="What the authority calls this person.")],
    reason: Annotated[str, typer.Option(help="Why they are on the watchlist (required).")],
    valid_from: Annotated[datetime | None, typer.Option(help="From (ISO, with zone).")] = None,
    valid_until: Annotated[datetime | None, typer.Option(help="Until (ISO, with zone).")] = None,
) -> None:
    """Put a person of interest on every gate's watchlist (the photo is not kept)."""
    try:
        body = PersonOfInterestCreate.model_validate(
            {"label": label, "reason": reason, "valid_from": valid_from, "valid_until": valid_until}
        )
        key = Settings().template_key_bytes()
    except (ValidationError, ValueError) as exc:
        raise _fail("add-poi", str(exc).replace("\n", " ")) from None
    data = _photo(photo)
    with cli_change("watchlist add-poi") as session:
        added = add_person_of_interest(
            session=session, body=body, photo=data, key=key, actor=cli_actor()
        )
    typer.echo(_("person of interest {id} added ({entry})", id=added.id, entry=added.entry_id))


@app.command("list")
def list_command() -> None:
    """Print the persons of interest: id, label, period, who entered them, reason."""
    engine = make_engine(database_url())
    with Session(engine) as session:
        rows = list_persons_of_interest(session=session)
    for row in rows:
        period = f"{row.valid_from or '-'}..{row.valid_until or '-'}"
        typer.echo(f"{row.id}\t{row.label}\t{period}\t{row.entered_by}\t{row.reason}")
    typer.echo(_("{count} person(s) of interest", count=len(rows)), err=True)


@app.command("remove")
def remove_command(
    poi_id: Annotated[str, typer.Argument(help="The person of interest's id (see list).")],
) -> None:
    """Take a person of interest off the watchlist."""
    with cli_change("watchlist remove") as session:
        remove_person_of_interest(session=session, poi_id=poi_id, actor=cli_actor())
    typer.echo(_("person of interest {id} removed", id=poi_id))
