"""`portgate bans ...`: the port authority's port bans, from the command line.

The same audited service as `/api/v1/bans` (`central_api.crud.bans`): `--by` names the
authority user on whose behalf the command acts (the audit's actor is the OS user), and
PORTGATE_BAN_FOUR_EYES decides whether a new ban waits for `bans confirm` by a second one.
With MQTT_URL set the gates are told at once; else they learn it at their next sync.
"""

import os
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from central_api.config import database_url
from central_api.crud import bans as crud
from central_api.db import make_engine
from central_api.models import PortBan, PortBanCreate, PortBanLift
from portgate.commands.sync_notices import cli_change
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(help="Port bans (the port authority).", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="The authority user who acts (their name).")]


def _fail(command: str, message: str) -> typer.Exit:
    typer.echo(_("bans {command}: {message}", command=command, message=message), err=True)
    return typer.Exit(code=1)


def _four_eyes() -> bool:
    """PORTGATE_BAN_FOUR_EYES, read as the API's settings read it."""
    raw = os.environ.get("PORTGATE_BAN_FOUR_EYES", "false")
    try:
        return TypeAdapter(bool).validate_python(raw)
    except ValidationError:
        raise _fail(
            "add", _("PORTGATE_BAN_FOUR_EYES={value} is not a yes/no value", value=repr(raw))
        ) from None


def _line(ban: PortBan) -> str:
    until = ban.valid_until.isoformat() if ban.valid_until else "open-ended"
    return (
        f"{ban.id}\t{ban.status}\t{ban.person_id}\t{ban.legal_reference}\t"
        f"{ban.valid_from.isoformat()}\t{until}\tissued by {ban.issued_by}"
    )


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'ban'}: {error['msg']}"
        for error in exc.errors()
    )


@app.command("add")
def add_command(
    person: Annotated[str, typer.Argument(help="The person id to ban.")],
    by: By,
    reason: Annotated[str, typer.Option(help="Why (mandatory, audited as a keyed hash).")],
    legal_reference: Annotated[str, typer.Option(help="The legal basis, e.g. a decision no.")],
    valid_from: Annotated[
        datetime | None, typer.Option("--from", help="Start (ISO 8601); default now.")
    ] = None,
    valid_until: Annotated[
        datetime | None, typer.Option("--until", help="End (ISO 8601); default open-ended.")
    ] = None,
) -> None:
    """Ban a person at every gate of every site."""
    four_eyes = _four_eyes()
    try:
        body = PortBanCreate.model_validate(
            {
                "person_id": person,
                "reason": reason,
                "legal_reference": legal_reference,
                "valid_from": valid_from,
                "valid_until": valid_until,
            }
        )
    except ValidationError as exc:
        raise _fail("add", _validation_message(exc)) from None
    ban = _run("add", lambda s: _issue(s, body, by, four_eyes))
    state = _("pending a second authority user (four eyes)") if four_eyes else _("in force")
    typer.echo(
        _("ban {id} on {person} issued, {state}", id=ban.id, person=ban.person_id, state=state)
    )


def _issue(session: Session, body: PortBanCreate, by: str, four_eyes: bool) -> PortBan:
    crud.check_authority(session=session, username=by)
    return crud.issue_ban(
        session=session, body=body, username=by, four_eyes=four_eyes, actor=cli_actor()
    )


@app.command("confirm")
def confirm_command(
    ban_id: Annotated[str, typer.Argument(help="The pending ban.")], by: By
) -> None:
    """Confirm a pending ban as the second authority user (four eyes)."""

    def confirm(session: Session) -> PortBan:
        crud.check_authority(session=session, username=by)
        return crud.confirm_ban(session=session, ban_id=ban_id, username=by, actor=cli_actor())

    ban = _run("confirm", confirm)
    typer.echo(
        _(
            "ban {id} on {person} confirmed by {by}, in force",
            id=ban.id,
            person=ban.person_id,
            by=by,
        )
    )


@app.command("lift")
def lift_command(
    ban_id: Annotated[str, typer.Argument(help="The ban to lift.")],
    by: By,
    reason: Annotated[str, typer.Option(help="Why it is lifted (mandatory).")],
) -> None:
    """Lift a ban (or withdraw a pending one)."""
    try:
        body = PortBanLift.model_validate({"reason": reason})
    except ValidationError as exc:
        raise _fail("lift", _validation_message(exc)) from None

    def lift(session: Session) -> PortBan:
        crud.check_authority(session=session, username=by)
        return crud.lift_ban(
            session=session, ban_id=ban_id, username=by, reason=body.reason, actor=cli_actor()
        )

    ban = _run("lift", lift)
    typer.echo(_("ban {id} on {person} lifted by {by}", id=ban.id, person=ban.person_id, by=by))


@app.command("list")
def list_command(
    include_lifted: Annotated[bool, typer.Option("--all", help="Lifted bans too.")] = False,
) -> None:
    """Print the bans, newest first: id, status, person, reference, from, until, issuer."""
    engine = make_engine(database_url())
    with Session(engine) as session:
        for ban in crud.list_bans(session=session, include_lifted=include_lifted):
            typer.echo(_line(ban))


def _run(command: str, change: Callable[[Session], PortBan]) -> PortBan:
    """Run one audited change in a session that records its sync notices, then send them."""
    with cli_change(f"bans {command}") as session:
        ban = change(session)
    return ban
