"""`portgate community broker-config hub|member`: the community's mosquitto files.

`hub` writes the hub broker's password file, ACL and a conf snippet with the TLS listener
the members' bridges connect to; `member` writes the bridge section of a member's broker.
Generated passwords go once into ``credentials.env`` (mode 0600), never to the terminal.
"""

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gate_protocol.topics import TopicError
from portgate.broker.community_bridge import (
    BridgeTarget,
    render_hub_acl,
    render_hub_passwd,
    render_member_bridge,
)
from portgate.broker.mosquitto_auth import new_password
from portgate.language import _

__all__ = ["broker_config_command"]


class Side(StrEnum):
    """Which broker the files are for."""

    HUB = "hub"
    MEMBER = "member"


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _hub(
    out: Path,
    community: str,
    members: list[str],
    api_user: str,
    tls_port: int,
    tls: tuple[Path | None, Path | None, Path | None],
) -> None:
    passwords = {member: new_password() for member in members}
    passwords[api_user] = new_password()
    acl = render_hub_acl(community, members, api_user=api_user)
    _write(out / "community-passwd", render_hub_passwd(passwords))
    _write(out / "community-acl", acl, 0o644)
    _write(out / "credentials.env", "".join(f"{u}={p}\n" for u, p in passwords.items()))
    cafile, certfile, keyfile = tls
    conf = [
        f"listener {tls_port}",
        f"cafile {cafile}",
        f"certfile {certfile}",
        f"keyfile {keyfile}",
        "persistence true",
        f"password_file {(out / 'community-passwd').resolve()}",
        f"acl_file {(out / 'community-acl').resolve()}",
    ]
    _write(out / "community.conf", "\n".join(conf) + "\n", 0o644)
    typer.echo(
        _(
            "wrote community-passwd, community-acl, community.conf and credentials.env "
            "(mode 0600: hand each member its password, then delete it) in {folder}",
            folder=out,
        )
    )


def broker_config_command(
    side: Annotated[Side, typer.Argument(help="hub or member.")],
    community: Annotated[str, typer.Option("--community", help="The community id.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write to.", file_okay=False)],
    members: Annotated[
        list[str] | None,
        typer.Option("--member", help="Member id (repeat; hub: every member; member: this one)."),
    ] = None,
    api_user: Annotated[str, typer.Option(help="hub: the hub API's broker user.")] = "portgate-api",
    tls_port: Annotated[int, typer.Option(help="hub: the TLS listener's port.")] = 8883,
    hub_host: Annotated[str, typer.Option(help="member: the hub broker's host.")] = "",
    cafile: Annotated[Path | None, typer.Option(help="The CA of the hub's certificate.")] = None,
    certfile: Annotated[Path | None, typer.Option(help="hub: its certificate.")] = None,
    keyfile: Annotated[Path | None, typer.Option(help="hub: its key.")] = None,
    password_env: Annotated[
        str, typer.Option(help="member: the variable holding its bridge password.")
    ] = "PORTGATE_COMMUNITY_BRIDGE_PASSWORD",  # noqa: S107 (a variable's name)
) -> None:
    """Write the hub's broker files or a member's bridge section (TLS, QoS 1, persistent)."""
    members = members or []
    try:
        out.mkdir(parents=True, exist_ok=True)
        if side is Side.HUB:
            if not members or cafile is None or certfile is None or keyfile is None:
                raise ValueError(
                    "hub: give --member for each member, --cafile, --certfile, --keyfile"
                )
            _hub(out, community, members, api_user, tls_port, (cafile, certfile, keyfile))
            return
        password = os.environ.get(password_env, "")
        if len(members) != 1 or not hub_host or cafile is None or not password:
            raise ValueError(f"member: give one --member, --hub-host, --cafile and {password_env}")
        target = BridgeTarget(host=hub_host, port=tls_port, cafile=cafile, password=password)
        _write(out / "community-bridge.conf", render_member_bridge(community, members[0], target))
        typer.echo(
            _(
                "wrote {file}: include it in the broker's conf",
                file=out / "community-bridge.conf",
            )
        )
    except (ValueError, TopicError) as exc:
        typer.echo(_("community broker-config: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
