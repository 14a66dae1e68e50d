"""`portgate groups add|list|grant|revoke`: access groups from the shell, audited."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.audit.chain import ensure_audit_head
from central_api.bus.notice_sender import recording_session
from central_api.config import database_url
from central_api.crud.people import add_to_group, remove_from_group
from central_api.crud.rules import create_access_group
from central_api.db import make_engine
from central_api.errors import ServiceError
from central_api.models import AccessGroup, AccessGroupCreate, Company, Person
from central_api.models.rules import AccessGroupZone, PersonAccessGroup
from portgate.commands.sync_notices import deliver_notices
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(help="Access groups: zones on a schedule, and who holds them.")


def _fail(command: str, message: str, code: int = 1) -> typer.Exit:
    typer.echo(_("groups {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=code)


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Group name, e.g. 'quay staff'.")],
    site: Annotated[str, typer.Option(help="Site id.")],
    zone: Annotated[list[str], typer.Option(help="A zone of the site (repeat for more).")],
    schedule: Annotated[str | None, typer.Option(help="Schedule id (none: at any time).")] = None,
) -> None:
    """Create an access group over zones of one site and print its id."""
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        create = AccessGroupCreate(name=name, site_id=site, schedule_id=schedule, zone_ids=zone)
        with Session(engine) as session:
            group = create_access_group(session=session, group_create=create, actor=cli_actor())
            typer.echo(
                _(
                    "access group {id} '{name}' at {site}: {zones}",
                    id=group.id,
                    name=name,
                    site=site,
                    zones=", ".join(sorted(zone)),
                )
            )
    except ServiceError as exc:
        raise _fail("add", exc.message) from None
    except ValueError as exc:
        raise _fail("add", str(exc).splitlines()[0], code=2) from None


@app.command("list")
def list_command(
    site: Annotated[str | None, typer.Option(help="Only this site's groups.")] = None,
) -> None:
    """One line per group: id, site, name, schedule, zones and how many people hold it."""
    engine = make_engine(database_url())
    with Session(engine) as session:
        query = select(AccessGroup).order_by(col(AccessGroup.site_id), col(AccessGroup.id))
        if site is not None:
            query = query.where(AccessGroup.site_id == site)
        for group in session.exec(query).all():
            zones = session.exec(
                select(AccessGroupZone.zone_id).where(AccessGroupZone.group_id == group.id)
            ).all()
            holders = session.exec(
                select(func.count()).where(PersonAccessGroup.group_id == group.id)
            ).one()
            typer.echo(
                f"{group.id}\t{group.site_id}\t{group.name}\t{group.schedule_id or 'any time'}"
                f"\t{','.join(sorted(zones))}\t{holders} people"
            )


def _group(session: Session, ref: str, site: str | None) -> AccessGroup:
    """A group by id, or by name (with --site when the name is used at several sites)."""
    if ref.isdigit():
        found = session.get(AccessGroup, int(ref))
        if found is None:
            raise _fail("grant", _("no access group {group}", group=ref))
        return found
    query = select(AccessGroup).where(AccessGroup.name == ref)
    if site is not None:
        query = query.where(AccessGroup.site_id == site)
    groups = session.exec(query).all()
    if len(groups) != 1:
        why = (
            _("no access group named {name}", name=repr(ref))
            if not groups
            else _("more than one access group named {name} (name the --site)", name=repr(ref))
        )
        raise _fail("grant", why)
    return groups[0]


def _people(session: Session, person: list[str], company: str | None) -> list[str]:
    ids = list(person)
    if company is not None:
        found = session.exec(select(Company).where(Company.name == company)).first()
        if found is None:
            raise _fail("grant", _("no company named {name}", name=repr(company)))
        ids += session.exec(select(Person.id).where(Person.company_id == found.id)).all()
    if not ids:
        raise _fail("grant", _("name at least one --person or a --company"), code=2)
    return sorted(set(ids))


GroupRef = Annotated[str, typer.Argument(help="Group id, or its name.")]
PersonOpt = Annotated[list[str] | None, typer.Option(help="A person id (repeat for more).")]
CompanyOpt = Annotated[
    str | None, typer.Option(help="Everyone employed by this company (by name).")
]
SiteOpt = Annotated[str | None, typer.Option(help="The group's site, when its name is shared.")]


@app.command("grant")
def grant_command(
    group: GroupRef, person: PersonOpt = None, company: CompanyOpt = None, site: SiteOpt = None
) -> None:
    """Give the group to people; their gates' replicas follow (with MQTT_URL, at once)."""
    _change("grant", group, person or [], company, site)


@app.command("revoke")
def revoke_command(
    group: GroupRef, person: PersonOpt = None, company: CompanyOpt = None, site: SiteOpt = None
) -> None:
    """Take the group away; a person who loses a gate's zone leaves that gate's replica."""
    _change("revoke", group, person or [], company, site)


def _change(
    command: str, ref: str, person: list[str], company: str | None, site: str | None
) -> None:
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    actor = cli_actor()
    session, bus = recording_session(engine)
    failed: list[str] = []
    with session:
        group = _group(session, ref, site)
        assert group.id is not None  # noqa: S101 (a stored row)
        group_id, label = group.id, f"'{group.name}' ({group.site_id})"  # outlives a rollback
        people = _people(session, person, company)
        for person_id in people:
            try:
                change = add_to_group if command == "grant" else remove_from_group
                change(session=session, person_id=person_id, group_id=group_id, actor=actor)
            except ServiceError as exc:
                session.rollback()
                failed.append(f"{person_id}: {exc.message}")
    deliver_notices(bus, command=f"groups {command}")
    done = len(people) - len(failed)
    typer.echo(
        _(
            "{command}: {label} for {done} of {count} people",
            command=command,
            label=label,
            done=done,
            count=len(people),
        )
    )
    if failed:
        raise _fail(command, "; ".join(failed))
