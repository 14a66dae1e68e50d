"""`portgate community ...`: members, keys, identity references and sharing (docs/sharing.md).

Writes the database at DATABASE_URL directly, audited as the operating-system user
(``cli:NAME``); the community keys are sealed with the API's template key
(PORTGATE_TEMPLATE_KEY). A shared item is stored in the outgoing log: the running API's
community worker publishes it (and members that were away fetch it from the feed).
"""

from collections.abc import Callable
from typing import Annotated

import typer
from sqlmodel import Session

from central_api.community.bans import share_ban, share_ban_lift
from central_api.community.companies import share_company_status
from central_api.community.envelope import ItemKind, SharedItem, Tlp
from central_api.community.incidents import share_incident
from central_api.community.members import (
    CommunityKeys,
    add_member,
    get_member,
    init_community,
    join_community,
    join_token,
    list_members,
    load_keys,
    remove_member,
)
from central_api.community.outgoing import share
from central_api.community.refs import set_identity_ref
from central_api.community.status import refusal_counts
from central_api.config import Settings
from central_api.models.community import MemberRole
from portgate.commands.community.broker import broker_config_command
from portgate.commands.sync_notices import cli_change
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(help="Sharing between installations of a port community.", no_args_is_help=True)
share_app = typer.Typer(help="Share a ban, its lift or a company status.", no_args_is_help=True)
app.add_typer(share_app, name="share")
app.command("broker-config")(broker_config_command)

TlpOption = Annotated[
    Tlp, typer.Option("--tlp", help="TLP 2.0 label: TLP:CLEAR, GREEN, AMBER, AMBER+STRICT, RED.")
]
ToOption = Annotated[
    list[str] | None,
    typer.Option("--to", help="Recipient member id (AMBER+STRICT and RED; repeat for more)."),
]


def _seal_key(command: str) -> bytes:
    try:
        return Settings().template_key_bytes()
    except ValueError as exc:  # SettingsError, or pydantic's error for the environment
        typer.echo(_("community {command}: {error}", command=command, error=exc), err=True)
        raise typer.Exit(code=1) from None


@app.command("init")
def init_command(
    community_id: Annotated[str, typer.Argument(help="Community id, e.g. north-sea-port.")],
    name: Annotated[str, typer.Option("--name", help="The community's name.")],
    hub_id: Annotated[str, typer.Option("--member", help="This hub's member id.")] = "hub",
) -> None:
    """Make a community with this installation as its hub (the port authority)."""
    seal_key = _seal_key("init")
    with cli_change("community init") as session:
        hub = init_community(
            session=session,
            community_id=community_id,
            name=name,
            hub_id=hub_id,
            seal_key=seal_key,
            actor=cli_actor(),
        )
        typer.echo(
            _(
                "community {community} made; hub {hub} public key {key}",
                community=community_id,
                hub=hub.id,
                key=hub.public_key_b64,
            )
        )


@app.command("token")
def token_command() -> None:
    """Print the join token (hub only; it holds the community key: hand it over safely)."""
    seal_key = _seal_key("token")
    with cli_change("community token") as session:
        typer.echo(join_token(session=session, seal_key=seal_key))


@app.command("join")
def join_command(
    token: Annotated[str, typer.Argument(help="The hub's join token.")],
    member_id: Annotated[str, typer.Option("--member", help="This installation's member id.")],
    name: Annotated[str, typer.Option("--name", help="This installation's name.")],
) -> None:
    """Join the hub's community; prints the public key the hub adds this member with."""
    seal_key = _seal_key("join")
    with cli_change("community join") as session:
        own = join_community(
            session=session,
            token=token,
            member_id=member_id,
            name=name,
            seal_key=seal_key,
            actor=cli_actor(),
        )
        typer.echo(_("joined as {member}; at the hub run:", member=own.id))
        typer.echo(
            f"  portgate community add {own.id} --name {name!r} --public-key {own.public_key_b64}"
        )


@app.command("add")
def add_command(
    member_id: Annotated[str, typer.Argument(help="The member's id.")],
    name: Annotated[str, typer.Option("--name", help="The member's name.")],
    public_key: Annotated[str, typer.Option("--public-key", help="Its Ed25519 key (base64).")],
) -> None:
    """Add a member; at the hub the other members learn of it (a signed member_added item)."""
    seal_key = _seal_key("add")
    with cli_change("community add") as session:
        add_member(
            session=session,
            member_id=member_id,
            name=name,
            public_key_b64=public_key,
            actor=cli_actor(),
        )
        keys = load_keys(session=session, seal_key=seal_key)
        if get_member(session=session, member_id=keys.own_member_id).role is MemberRole.HUB:
            body = {"member_id": member_id, "name": name, "public_key": public_key}
            share(
                session,
                keys,
                kind=ItemKind.MEMBER_ADDED,
                body=body,
                tlp=Tlp.GREEN,
                actor=cli_actor(),
            )
            session.commit()
        typer.echo(_("member {member} added", member=member_id))


@app.command("remove")
def remove_command(member_id: Annotated[str, typer.Argument(help="The member's id.")]) -> None:
    """Remove a member: its items are refused; at the hub every member is told."""
    seal_key = _seal_key("remove")
    with cli_change("community remove") as session:
        remove_member(session=session, member_id=member_id, actor=cli_actor())
        keys = load_keys(session=session, seal_key=seal_key)
        if get_member(session=session, member_id=keys.own_member_id).role is MemberRole.HUB:
            share(
                session,
                keys,
                kind=ItemKind.MEMBER_REMOVED,
                body={"member_id": member_id},
                tlp=Tlp.GREEN,
                actor=cli_actor(),
            )
            session.commit()
        typer.echo(_("member {member} removed", member=member_id))


@app.command("members")
def members_command() -> None:
    """Every member: id, role, status, last sequence received from it and delivered to it."""
    with cli_change("community members") as session:
        rows = list_members(session=session)
        if not rows:
            typer.echo(_("no members: portgate community init|join"))
        for row in rows:
            typer.echo(
                f"{row.id:<20} {row.role:<6} {row.status:<7} "
                f"received #{row.last_received_seq:<6} "
                f"delivered #{row.last_delivered_seq:<6} {row.name}"
            )


@app.command("refusals")
def refusals_command() -> None:
    """Items refused, by issuer and reason, with the last one's detail."""
    with cli_change("community refusals") as session:
        rows = refusal_counts(session)
        if not rows:
            typer.echo(_("no refused items"))
        for row in rows:
            typer.echo(
                f"{row.issuer or '-':<20} {row.reason:<16} {row.count:>6}  {row.last_detail}"
            )


@app.command("ref")
def ref_command(
    person_id: Annotated[str, typer.Argument(help="The local person's id.")],
    document_number: Annotated[
        str, typer.Option("--document-number", help="Identity document number (not stored).")
    ],
) -> None:
    """Give a person the keyed reference of their identity document (received bans apply)."""
    seal_key = _seal_key("ref")
    with cli_change("community ref") as session:
        keys = load_keys(session=session, seal_key=seal_key)
        applied = set_identity_ref(
            session, keys, person_id=person_id, document_number=document_number, actor=cli_actor()
        )
        typer.echo(
            _(
                "person {person}: identity reference set; {applied} shared ban(s) applied",
                person=person_id,
                applied=applied,
            )
        )


def _share(what: str, build: Callable[[Session, CommunityKeys], SharedItem]) -> None:
    """Build and log one item in an audited change, commit, and say what was shared."""
    seal_key = _seal_key(f"share {what}")
    with cli_change(f"community share {what}") as session:
        item = build(session, load_keys(session=session, seal_key=seal_key))
        session.commit()
    shared = _(
        "shared {kind} #{sequence} as {tlp}", kind=item.kind, sequence=item.sequence, tlp=item.tlp
    )
    if item.recipients:
        shared += _(" to {recipients}", recipients=", ".join(item.recipients))
    typer.echo(shared)


@share_app.command("ban")
def share_ban_command(
    ban_id: Annotated[str, typer.Argument(help="The local port ban's id.")],
    tlp: TlpOption = Tlp.GREEN,
    to: ToOption = None,
    with_faces: Annotated[
        bool,
        typer.Option(
            "--with-faces", help="Carry the person's face templates, sealed to each recipient."
        ),
    ] = False,
) -> None:
    """Share an active port ban (its person by identity reference only; faces if asked)."""
    recipients, actor = tuple(to or ()), cli_actor()
    _share(
        "ban",
        lambda session, keys: share_ban(
            session,
            keys,
            ban_id=ban_id,
            tlp=tlp,
            recipients=recipients,
            actor=actor,
            with_faces=with_faces,
        ),
    )


@share_app.command("lift")
def share_lift_command(
    ban_id: Annotated[str, typer.Argument(help="The lifted port ban's id.")],
    tlp: TlpOption = Tlp.GREEN,
    to: ToOption = None,
) -> None:
    """Share that a shared ban was lifted."""
    recipients, actor = tuple(to or ()), cli_actor()
    _share(
        "lift",
        lambda session, keys: share_ban_lift(
            session, keys, ban_id=ban_id, tlp=tlp, recipients=recipients, actor=actor
        ),
    )


@share_app.command("company")
def share_company_command(
    company: Annotated[str, typer.Argument(help="The company's id or name.")],
    tlp: TlpOption = Tlp.GREEN,
    to: ToOption = None,
) -> None:
    """Share a company's current status (by its name)."""
    recipients, actor = tuple(to or ()), cli_actor()
    _share(
        "company",
        lambda session, keys: share_company_status(
            session, keys, company=company, tlp=tlp, recipients=recipients, actor=actor
        ),
    )


@share_app.command("incident")
def share_incident_command(
    incident_id: Annotated[str, typer.Argument(help="A filed incident report's id.")],
    site: Annotated[
        str, typer.Option("--site", help="The site you share for: its own reports only.")
    ],
    to: ToOption = None,
) -> None:
    """Share a filed report of SITE under its own TLP 2.0 label (AMBER+STRICT, RED: --to)."""
    recipients, actor = tuple(to or ()), cli_actor()
    _share(
        "incident",
        lambda session, keys: share_incident(
            session,
            keys,
            incident_id=incident_id,
            recipients=recipients,
            actor=actor,
            site_id=site,
        ),
    )
