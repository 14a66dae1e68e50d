"""`portgate gates check` and `portgate gates site-config` (see the package docstring)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from sqlmodel import Session, col, select

from central_api.config import database_url
from central_api.db import make_engine
from central_api.models import Gate, Site
from firmware_bridge.config import ConfigError as BridgeConfigError
from firmware_bridge.config import load_bridge_config
from gate_agent.config import ConfigError as AgentConfigError
from gate_agent.config import load_config as load_agent_config
from portgate.broker.site_config import SiteConfigError, load_site_config
from portgate.commands.gate_sources.differences import (
    GateFacts,
    LaneClaim,
    gate_differences,
    site_config_differences,
)
from portgate.language import _

__all__ = ["check_command", "site_config_command"]

FileList = Annotated[list[Path], typer.Option(help="A file to check (repeat for more).")]


def _fail(command: str, message: str, code: int) -> typer.Exit:
    typer.echo(_("gates {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=code)


def _gates() -> dict[str, GateFacts]:
    with Session(make_engine(database_url())) as session:
        rows = session.exec(select(Gate).order_by(col(Gate.id))).all()
        return {g.id: GateFacts(g.id, g.site_id, g.lanes, str(g.direction)) for g in rows}


def _file_problems(
    site_config: list[Path], agent: list[Path], bridge: list[Path], gates: dict[str, GateFacts]
) -> list[str]:
    problems: list[str] = []
    try:
        for path in site_config:
            config = load_site_config(path)
            listed = [entry.id for entry in config.gates]
            problems += site_config_differences(str(path), config.site, listed, gates)
        for path in agent:
            a = load_agent_config(path)
            claims = [LaneClaim(lane.lane, str(lane.direction)) for lane in a.lanes]
            problems += gate_differences(
                str(path), site=a.site, gate=a.gate, lanes=claims, gates=gates
            )
        for path in bridge:
            b = load_bridge_config(path)
            claims = [LaneClaim(lane.lane, str(lane.direction)) for lane in b.lanes]
            problems += gate_differences(
                str(path), site=b.site, gate=b.gate, lanes=claims, gates=gates
            )
    except (SiteConfigError, AgentConfigError, BridgeConfigError) as exc:
        raise _fail("check", str(exc).splitlines()[0], 2) from None
    return problems


def check_command(
    site_config: FileList = [],  # noqa: B006 (typer's way to say "none given")
    agent: FileList = [],  # noqa: B006
    bridge: FileList = [],  # noqa: B006
) -> None:
    """Compare site config, agent and bridge files with the API's gates; list differences."""
    if not (site_config or agent or bridge):
        raise _fail("check", _("give --site-config, --agent or --bridge files to check"), 2)
    problems = _file_problems(site_config, agent, bridge, _gates())
    for problem in problems:
        typer.echo(problem)
    count = len(site_config) + len(agent) + len(bridge)
    if problems:
        raise _fail(
            "check", _("{count} difference(s) with the API's gates", count=len(problems)), 1
        )
    typer.echo(_("{count} file(s) agree with the API's gates", count=count))


def site_config_command(
    site: Annotated[str, typer.Argument(help="Site id.")],
) -> None:
    """Print the site config's site and gates section, made from the API's gate table."""
    with Session(make_engine(database_url())) as session:
        if session.get(Site, site) is None:
            raise _fail("site-config", _("no site {site}", site=repr(site)), 2)
        rows = session.exec(select(Gate).where(Gate.site_id == site).order_by(col(Gate.id))).all()
    section = {"site": site, "gates": [{"id": g.id, "name": g.name or g.id} for g in rows]}
    typer.echo(
        "# " + _("from the API's gate table (portgate gates site-config); add the broker section")
    )
    typer.echo(yaml.safe_dump(section, sort_keys=False, allow_unicode=True).rstrip())
