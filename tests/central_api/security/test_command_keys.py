"""Gate command keys: the API signs remote opens, hands the agent its key, rotates and retires."""

import base64
import secrets
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.models import AuditEntry, GateCommandKey, Role
from central_api.security.command_keys import public_command_keys
from gate_protocol.command_signing import CommandKeyring, command_refusal, replica_signer
from gate_protocol.messages import OpenCommand, decode_message
from gate_protocol.replica import ReplicaSnapshot
from portgate.cli import app as cli
from testkit.api.world import World
from testkit.migrated_db import migrate_database


def refusal(command: OpenCommand, *, site: str, gate: str, keys: dict[str, str]) -> str | None:
    return command_refusal(
        command,
        site=site,
        gate=gate,
        keyring=CommandKeyring.from_entries(keys),
        now=datetime.now(UTC),
        max_age_s=10,
    )


def test_remote_opens_are_signed_with_the_gate_key_the_agent_gets_in_its_replica(
    client: TestClient, app: FastAPI, world: World, engine: Engine
) -> None:
    answer = client.post(
        f"/api/v1/gates/{world.gate}/open",
        json={"lane": 1, "direction": "entry", "reason": "truck stuck at barrier"},
        headers=world.user(Role.OPERATOR),
    )
    assert answer.status_code == 202, answer.text
    command = decode_message(app.state.bus.published[-1][1], OpenCommand)
    assert isinstance(command, OpenCommand) and command.signature is not None
    with Session(engine) as session:
        keys = public_command_keys(session=session, gate_id=world.gate)
        assert [row.key_id for row in session.exec(select(GateCommandKey)).all()] == list(keys)
        # Sealed at rest: the stored row is not the raw key.
        assert all(len(row.ciphertext) > 32 for row in session.exec(select(GateCommandKey)))
    assert refusal(command, site=world.site, gate=world.gate, keys=keys) is None
    assert refusal(command, site=world.site, gate="another-gate", keys=keys) is not None

    replica = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
    assert replica.status_code == 200, replica.text
    snapshot = ReplicaSnapshot.model_validate_json(replica.content)
    signer = replica_signer(snapshot)
    assert signer is not None and list(keys) == [signer.key_id]
    agent_command = signer.sign(command.model_copy(update={"command_id": "from-agent"}))
    assert refusal(agent_command, site=world.site, gate=world.gate, keys=keys) is None
    assert snapshot.command_key is not None
    assert snapshot.command_key.private_key_b64 not in repr(snapshot)


@pytest.fixture
def db_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTGATE_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    migrate_database(url)  # `portgate db upgrade` is tested in tests/central_api/test_cli.py
    added = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert added.exit_code == 0, added.output
    return url


def bridge_keys(output: str) -> dict[str, str]:
    lines = output.split("command_keys:", 1)[1].splitlines()[1:]
    return dict(line.strip().split(": ", 1) for line in lines if line.startswith("  "))


def test_rotating_keeps_the_old_key_valid_until_it_is_retired(db_env: str) -> None:
    first = CliRunner().invoke(cli, ["gates", "command-keys", "north-1"])
    assert first.exit_code == 0, first.output
    (old,) = bridge_keys(first.output)

    rotated = CliRunner().invoke(cli, ["gates", "rotate-command-key", "north-1"])
    assert rotated.exit_code == 0, rotated.output
    both = bridge_keys(rotated.output)
    (new,) = set(both) - {old}
    assert f"signs with command key {new}" in rotated.output

    signing = CliRunner().invoke(cli, ["gates", "retire-command-key", "north-1", new])
    assert signing.exit_code == 1 and "rotate first" in signing.output
    retired = CliRunner().invoke(cli, ["gates", "retire-command-key", "north-1", old])
    assert retired.exit_code == 0, retired.output
    assert bridge_keys(retired.output) == {new: both[new]}

    unknown = CliRunner().invoke(cli, ["gates", "rotate-command-key", "nowhere"])
    assert unknown.exit_code == 1 and "not found" in unknown.output
    with Session(make_engine(db_env)) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert actions.count("gate.command_key_rotate") == 2
    assert actions.count("gate.command_key_retire") == 1
