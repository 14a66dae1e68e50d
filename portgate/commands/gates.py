"""`portgate gates ...`: gates and their API keys."""

from typing import Annotated

import typer
from sqlmodel import Session, col, select

from central_api.audit.chain import ensure_audit_head
from central_api.bus.notice_sender import recording_session
from central_api.config import Settings, database_url
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.db import make_engine
from central_api.errors import ServiceError
from central_api.models import Gate, GateCreate, Site, SiteCreate, Zone, ZoneCreate
from central_api.security.command_keys import (
    public_command_keys,
    replica_command_key,
    retire_command_key,
    rotate_command_key,
)
from gate_protocol.records import OfflinePolicy
from portgate.commands.gate_sources import check_command, site_config_command
from portgate.commands.sync_notices import deliver_notices
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(help="Gates, their API keys and their command keys.", no_args_is_help=True)
# The API's gate table is the one source; the files are derived from it or checked.
app.command("check")(check_command)
app.command("site-config")(site_config_command)


@app.command("add")
def add_command(
    gate_id: Annotated[str, typer.Argument(help="Gate id, e.g. north-1.")],
    site: Annotated[str, typer.Option(help="Site id.")],
    zone: Annotated[str, typer.Option(help="Zone id the gate leads into.")] = "main",
    lanes: Annotated[int, typer.Option(min=1, max=64, help="Number of lanes.")] = 1,
    direction: Annotated[str, typer.Option(help="entry, exit or both.")] = "both",
    face: Annotated[bool, typer.Option(help="Require a face match.")] = True,
    face_identification: Annotated[
        bool,
        typer.Option(help="Let a face alone (1:N, no badge or pass) open this gate."),
    ] = False,
    offline_policy: Annotated[
        OfflinePolicy, typer.Option(help="What the gate does when the API is away.")
    ] = OfflinePolicy.REPLICA,
    replica_max_age_s: Annotated[int, typer.Option(help="Oldest usable replica.")] = 86400,
) -> None:
    """Add a gate and print its API key once (the site and zone are created if new).

    A new zone bumps the site's replica version and, with MQTT_URL set, publishes the
    retained SyncNotice. The gate itself changes no other gate's replica: its own agent
    fetches a snapshot when it starts.
    """
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    actor = cli_actor()
    session, bus = recording_session(engine)  # the SyncNotices its commits release
    try:
        with session:
            if session.get(Site, site) is None:
                create_site(
                    session=session, site_create=SiteCreate(id=site, name=site), actor=actor
                )
                typer.echo(_("site {site} created", site=site))
            if session.get(Zone, zone) is None:
                create_zone(
                    session=session,
                    zone_create=ZoneCreate(id=zone, site_id=site, name=zone),
                    actor=actor,
                )
                typer.echo(_("zone {zone} created", zone=zone))
            gate_create = GateCreate.model_validate(
                {
                    "id": gate_id,
                    "site_id": site,
                    "zone_id": zone,
                    "lanes": lanes,
                    "direction": direction,
                    "face_required": face,
                    "face_identification": face_identification,
                    "offline_policy": offline_policy,
                    "replica_max_age_s": replica_max_age_s,
                }
            )
            _created, key = create_gate(session=session, gate_create=gate_create, actor=actor)
    except (ServiceError, ValueError) as exc:
        deliver_notices(bus, command="gates add")  # what did commit (a new zone) still counts
        typer.echo(_("gates add: {error}", error=getattr(exc, "message", exc)), err=True)
        raise typer.Exit(code=1) from None
    deliver_notices(bus, command="gates add")
    _print_added(gate_id, site, zone, key)


def _print_added(gate_id: str, site: str, zone: str, key: str) -> None:
    typer.echo(
        _("gate {gate} added at site {site}, zone {zone}", gate=gate_id, site=site, zone=zone)
    )
    typer.echo(_("API key (shown once, store it in the agent's config):"))
    typer.echo(key)


def _seal_key() -> bytes:
    # The API's own settings: the private command keys are sealed with its template key.
    try:
        return Settings().template_key_bytes()
    except ValueError as exc:  # SettingsError, or pydantic's error for the environment
        typer.echo(_("gates: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None


def _print_bridge_keys(session: Session, gate_id: str) -> None:
    typer.echo("command_keys:  # " + _("the gate's bridge YAML (docs/bridge.md, Signed commands)"))
    for key_id, public in public_command_keys(session=session, gate_id=gate_id).items():
        typer.echo(f"  {key_id}: {public}")


@app.command("command-keys")
def command_keys_command(
    gate_id: Annotated[str, typer.Argument(help="Gate id.")],
) -> None:
    """Print the gate's valid public command keys, as its bridge's command_keys section.

    The gate's first key is made here when it has none yet (also on its first replica).
    """
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            replica_command_key(
                session=session, gate_id=gate_id, seal_key=_seal_key(), actor=cli_actor()
            )
            session.commit()
            _print_bridge_keys(session, gate_id)
    except ServiceError as exc:
        typer.echo(_("gates command-keys: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None


@app.command("rotate-command-key")
def rotate_command_key_command(
    gate_id: Annotated[str, typer.Argument(help="Gate id.")],
) -> None:
    """Make a new signing key for the gate; the old ones stay valid until retired.

    Put the printed keys into the bridge's config, then retire the old key once the gate's
    agent has synced its replica (it signs with the new key from then on).
    """
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            key_id = rotate_command_key(
                session=session, gate_id=gate_id, seal_key=_seal_key(), actor=cli_actor()
            )
            session.commit()
            typer.echo(
                _("gate {gate} signs with command key {key} from now on", gate=gate_id, key=key_id)
            )
            _print_bridge_keys(session, gate_id)
    except ServiceError as exc:
        typer.echo(_("gates rotate-command-key: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None


@app.command("retire-command-key")
def retire_command_key_command(
    gate_id: Annotated[str, typer.Argument(help="Gate id.")],
    key_id: Annotated[str, typer.Argument(help="The old key id to retire.")],
) -> None:
    """Retire an old command key: remove it from the bridge's command_keys too."""
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            retire_command_key(session=session, gate_id=gate_id, key_id=key_id, actor=cli_actor())
            session.commit()
            typer.echo(_("command key {key} of gate {gate} retired", key=key_id, gate=gate_id))
            _print_bridge_keys(session, gate_id)
    except ServiceError as exc:
        typer.echo(_("gates retire-command-key: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None


@app.command("list")
def list_command(
    site: Annotated[str | None, typer.Option(help="Only this site's gates.")] = None,
) -> None:
    """One line per gate: id, site, zone, lanes, direction, face and offline policy."""
    engine = make_engine(database_url())
    with Session(engine) as session:
        query = select(Gate).order_by(col(Gate.site_id), col(Gate.id))
        if site is not None:
            query = query.where(Gate.site_id == site)
        for gate in session.exec(query).all():
            face = "face+liveness" if gate.liveness_required else "face"
            typer.echo(
                f"{gate.id}\t{gate.site_id}\t{gate.zone_id}\t{gate.lanes} lanes\t"
                f"{gate.direction}\t{face if gate.face_required else 'no face'}\t"
                f"offline: {gate.offline_policy.value}"
            )


@app.command("show")
def show_command(gate_id: Annotated[str, typer.Argument(help="Gate id.")]) -> None:
    """Every setting of one gate, as the replica ships it to its agent."""
    engine = make_engine(database_url())
    with Session(engine) as session:
        gate = session.get(Gate, gate_id)
        if gate is None:
            typer.echo(_("gates show: no gate {gate}", gate=repr(gate_id)), err=True)
            raise typer.Exit(code=1)
        for name, value in gate.model_dump(mode="json").items():
            typer.echo(f"{name}: {value}")
