"""The `portgate keys` commands (see the package docstring)."""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit, ensure_audit_head
from central_api.config import Settings, database_url
from central_api.db import make_engine
from central_api.enroll.tables import IssuedPass
from central_api.errors import ServiceError
from central_api.models import GateCommandKey
from central_api.security.command_keys import (
    public_command_keys,
    replica_command_key,
    rotate_command_key,
)
from gate_protocol.passes.keys import encode_private_key, encode_public_key, generate_pass_key
from gate_protocol.passes.token import token_key_id
from portgate.commands.users import cli_actor
from portgate.language import _

__all__ = ["generate_command", "list_command", "rotate_command"]


class KeyKind(StrEnum):
    """Which keys a command is about."""

    PASS = "pass"  # noqa: S105 (a kind of key, not a password)
    COMMAND = "command"


KindArgument = Annotated[KeyKind, typer.Argument(help="pass (QR passes) or command (a gate's).")]
GateArgument = Annotated[str | None, typer.Argument(help="The gate (command keys only).")]


def _fail(command: str, message: str, code: int = 1) -> typer.Exit:
    typer.echo(_("keys {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=code)


def _public_entries() -> dict[str, str]:
    """PORTGATE_PASS_PUBLIC_KEYS as key id -> base64 (malformed entries: an error)."""
    entries: dict[str, str] = {}
    for item in filter(
        None, (p.strip() for p in os.environ.get("PORTGATE_PASS_PUBLIC_KEYS", "").split(";"))
    ):
        key_id, sep, text = item.partition("=")
        if not sep or not key_id or not text:
            raise _fail("pass", _("PORTGATE_PASS_PUBLIC_KEYS entries look like KID=base64"), 2)
        entries[key_id] = text
    return entries


def _signing_key_id() -> str | None:
    value = os.environ.get("PORTGATE_PASS_SIGNING_KEY", "")
    key_id, sep, _ = value.partition("=")
    return key_id if sep and key_id else None


def _last_expiry_by_key(session: Session) -> dict[str, datetime]:
    """For each pass key id, when the last pass signed with it expires."""
    last: dict[str, datetime] = {}
    for token, expires in session.exec(select(IssuedPass.token, IssuedPass.expires_at)).all():
        key_id = token_key_id(token)
        if key_id is not None and (key_id not in last or expires > last[key_id]):
            last[key_id] = expires
    return last


def _new_pass_key(*, rotate: bool) -> None:
    entries, old = _public_entries(), _signing_key_id()
    if rotate and old is None:
        raise _fail("rotate", _("no PORTGATE_PASS_SIGNING_KEY to rotate: `keys generate pass`"), 2)
    key_id, private = generate_pass_key(existing=set(entries) | ({old} if old else set()))
    public = encode_public_key(private.public_key())
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    with Session(engine) as session:
        last = _last_expiry_by_key(session).get(old) if old else None
        append_audit(
            session=session,
            actor=cli_actor(),
            action="keys.pass_rotate" if rotate else "keys.pass_generate",
            target=f"pass_key:{key_id}",
            after={"key_id": key_id, "public_key": public, "replaces": old},
        )
        session.commit()
    typer.echo(
        "# " + _("put into the environment of the API replicas that issue passes (a secret):")
    )
    typer.echo(f"PORTGATE_PASS_SIGNING_KEY={key_id}={encode_private_key(private)}")
    typer.echo("# " + _("and into every API replica (public; gates get it with their replica):"))
    keyring = ";".join(f"{k}={v}" for k, v in {**entries, key_id: public}.items())
    typer.echo(f"PORTGATE_PASS_PUBLIC_KEYS={keyring}")
    if old is not None:
        until = (
            _("until {time} UTC, when its last pass expires", time=f"{last:%Y-%m-%d %H:%M}")
            if last
            else _("no pass was issued with it: drop it now")
        )
        keep = _(
            "keep the old key {key} in PORTGATE_PASS_PUBLIC_KEYS {until}", key=old, until=until
        )
        typer.echo(f"# {keep}")


def _command_key(gate: str | None, command: str, *, rotate: bool) -> None:
    if gate is None:
        raise _fail(
            command,
            _("command keys need the gate: keys {command} command GATE", command=command),
            2,
        )
    try:
        seal_key = Settings().template_key_bytes()
    except ValueError as exc:
        raise _fail(command, str(exc).splitlines()[0]) from None
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            if rotate:
                rotate_command_key(
                    session=session, gate_id=gate, seal_key=seal_key, actor=cli_actor()
                )
            else:
                replica_command_key(
                    session=session, gate_id=gate, seal_key=seal_key, actor=cli_actor()
                )
            session.commit()
            keys = public_command_keys(session=session, gate_id=gate)
    except ServiceError as exc:
        raise _fail(command, exc.message) from None
    typer.echo(_("gate {gate} signs with command key {key}", gate=gate, key=list(keys)[-1]))
    typer.echo("command_keys:  # " + _("the gate's bridge YAML (docs/bridge.md, Signed commands)"))
    for key_id, public in keys.items():
        typer.echo(f"  {key_id}: {public}")


def generate_command(kind: KindArgument, gate: GateArgument = None) -> None:
    """Make a pass-signing key pair (printed), or a gate's first command key."""
    if kind is KeyKind.PASS:
        _new_pass_key(rotate=False)
    else:
        _command_key(gate, "generate", rotate=False)


def rotate_command(kind: KindArgument, gate: GateArgument = None) -> None:
    """Replace the pass-signing key or a gate's command key; the old one stays valid.

    The old public pass key stays until its last pass expires; an old command key stays
    valid at the bridge until `portgate gates retire-command-key`.
    """
    if kind is KeyKind.PASS:
        _new_pass_key(rotate=True)
    else:
        _command_key(gate, "rotate", rotate=True)


def list_command() -> None:
    """The pass keys (signing, verify-only, their last pass's expiry) and the command keys."""
    entries, signing = _public_entries(), _signing_key_id()
    try:
        with Session(make_engine(database_url())) as session:
            last = _last_expiry_by_key(session)
            rows = session.exec(
                select(GateCommandKey).order_by(
                    col(GateCommandKey.gate_id), col(GateCommandKey.created_at)
                )
            ).all()
    except SQLAlchemyError as exc:
        raise _fail(
            "list", _("cannot read the database: {error}", error=type(exc).__name__)
        ) from None
    for key_id in sorted(set(entries) | ({signing} if signing else set())):
        role = "signs" if key_id == signing else "verifies"
        public = "public key listed" if key_id in entries else "PUBLIC KEY MISSING"
        expiry = (
            f"last pass expires {last[key_id]:%Y-%m-%d %H:%M}" if key_id in last else "no passes"
        )
        typer.echo(f"pass\t{key_id}\t{role}\t{public}\t{expiry}")
    newest = {row.gate_id: row.key_id for row in rows}
    for row in rows:
        role = "signs" if newest[row.gate_id] == row.key_id else "verifies until retired"
        typer.echo(f"command\t{row.gate_id}\t{row.key_id}\t{role}\t{row.created_at:%Y-%m-%d %H:%M}")
