"""`portgate keys generate|rotate|list` on the database at DATABASE_URL (both kinds).

Pass keys are printed for the API's environment, with how long the old public key must
stay (its last pass's expiry); command keys are made in the database; every change is
audited, and bad input changes nothing.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from central_api.config import Settings
from central_api.enroll.tables import IssuedPass
from central_api.models import AuditEntry, GateCommandKey
from gate_protocol.passes.keys import load_private_key
from gate_protocol.passes.token import PassClaims, PassSigner, token_key_id
from portgate.cli import app as cli
from testkit.api.world import World


@pytest.fixture
def db_env(engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")  # a throwaway template key seals command keys
    monkeypatch.delenv("PORTGATE_PASS_SIGNING_KEY", raising=False)
    monkeypatch.delenv("PORTGATE_PASS_PUBLIC_KEYS", raising=False)
    return engine


def keys(*args: str) -> Result:
    return CliRunner().invoke(cli, ["keys", *args])


def _printed(output: str, name: str) -> str:
    match = re.search(rf"^{name}=(.+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def _audit(engine: Engine, prefix: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEntry.action)
                .where(col(AuditEntry.action).startswith(prefix))
                .order_by(col(AuditEntry.seq))
            ).all()
        )


def test_generate_then_rotate_the_pass_key_keeps_the_old_one_until_its_last_pass(
    db_env: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = keys("generate", "pass")
    assert first.exit_code == 0, first.output
    signing, public = (
        _printed(first.output, "PORTGATE_PASS_SIGNING_KEY"),
        _printed(first.output, "PORTGATE_PASS_PUBLIC_KEYS"),
    )
    old_id = signing.split("=", 1)[0]
    assert public.startswith(f"{old_id}=")
    # What it printed is what the API starts with.
    Settings(PORTGATE_PASS_SIGNING_KEY=signing, PORTGATE_PASS_PUBLIC_KEYS=public)
    monkeypatch.setenv("PORTGATE_PASS_SIGNING_KEY", signing)
    monkeypatch.setenv("PORTGATE_PASS_PUBLIC_KEYS", public)
    # A pass signed with the old key that expires in ten days.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    expires = now + timedelta(days=10)
    claims = PassClaims(
        pass_id="P1",
        holder_id="H1",
        gates=("north-1",),
        issued_at=now,
        not_before=now,
        expires_at=expires,
    )
    token = PassSigner(load_private_key(signing.split("=", 1)[1]), old_id).issue(claims)
    assert token_key_id(token) == old_id
    with Session(db_env) as session:
        session.add(
            IssuedPass(
                pass_id="P1",
                appointment_id="A1",
                person_id="H1",
                token=token,
                issued_by="test",
                issued_at=now,
                not_before=now,
                expires_at=expires,
            )
        )
        session.commit()

    rotated = keys("rotate", "pass")
    assert rotated.exit_code == 0, rotated.output
    new_id = _printed(rotated.output, "PORTGATE_PASS_SIGNING_KEY").split("=", 1)[0]
    assert new_id != old_id
    assert set(
        dict(
            e.split("=", 1)
            for e in _printed(rotated.output, "PORTGATE_PASS_PUBLIC_KEYS").split(";")
        )
    ) == {old_id, new_id}
    assert (
        f"keep the old key {old_id} in PORTGATE_PASS_PUBLIC_KEYS until {expires:%Y-%m-%d %H:%M} UTC"
        in rotated.output
    )
    assert _audit(db_env, "keys.") == ["keys.pass_generate", "keys.pass_rotate"]

    listed = keys("list")
    assert listed.exit_code == 0, listed.output
    assert (
        f"pass\t{old_id}\tsigns\tpublic key listed\tlast pass expires {expires:%Y-%m-%d %H:%M}"
        in listed.output
    )


def test_rotating_without_a_pass_key_is_refused_and_changes_nothing(db_env: Engine) -> None:
    result = keys("rotate", "pass")
    assert result.exit_code == 2
    assert "no PORTGATE_PASS_SIGNING_KEY to rotate" in result.output
    assert _audit(db_env, "keys.") == []


def test_command_keys_generate_rotate_and_list(db_env: Engine, world: World) -> None:
    made = keys("generate", "command", world.gate)
    assert made.exit_code == 0, made.output
    rotated = keys("rotate", "command", world.gate)
    assert rotated.exit_code == 0, rotated.output
    with Session(db_env) as session:
        rows = session.exec(
            select(GateCommandKey)
            .where(GateCommandKey.gate_id == world.gate)
            .order_by(col(GateCommandKey.created_at))
        ).all()
    assert len(rows) == 2
    assert f"gate {world.gate} signs with command key {rows[1].key_id}" in rotated.output
    assert f"  {rows[0].key_id}: {rows[0].public_key_b64}" in rotated.output  # still valid
    listed = keys("list").output
    assert f"command\t{world.gate}\t{rows[1].key_id}\tsigns" in listed
    assert f"command\t{world.gate}\t{rows[0].key_id}\tverifies until retired" in listed
    assert _audit(db_env, "gate.command_key") == ["gate.command_key_rotate"] * 2


@pytest.mark.parametrize("args", [("rotate", "command", "no-such-gate"), ("rotate", "command")])
def test_bad_command_key_input_is_one_line_and_changes_nothing(
    db_env: Engine, args: tuple[str, ...]
) -> None:
    result = keys(*args)
    assert result.exit_code in {1, 2}
    assert result.output.count("\n") == 1 and result.output.startswith("keys rotate:")
    with Session(db_env) as session:
        assert session.exec(select(func.count()).select_from(GateCommandKey)).one() == 0
    assert _audit(db_env, "gate.command_key") == []
