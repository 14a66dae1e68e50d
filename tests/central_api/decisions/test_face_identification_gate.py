"""Face-only 1:N is a per-gate option: decided only where a site admin switched it on."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.models import AuditEntry, Gate, Role
from gate_protocol.replica import ReplicaSnapshot, decode_replica
from portgate.cli import app as cli
from testkit.api.decisions import FACE_OK, enroll, query
from testkit.api.world import World


def face_query(person_id: str) -> dict[str, object]:
    """What an agent sends after a 1:N match: the person, the face, no badge or pass."""
    body = query(credential_kind="face", person_id=person_id)
    body["face"] = {**FACE_OK, "distance": 0.3}
    return body


def decide(client: TestClient, world: World, body: dict[str, object], gate: str) -> dict[str, str]:
    answer = client.post("/api/v1/decisions", json=body, headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def allow_faces(client: TestClient, world: World, gate: str, allowed: bool = True) -> None:
    answer = client.patch(
        f"/api/v1/gates/{gate}",
        json={"face_identification": allowed},
        headers=world.user(Role.ADMIN),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["face_identification"] is allowed


def snapshot(client: TestClient, world: World, gate: str) -> ReplicaSnapshot:
    answer = client.get(f"/api/v1/gates/{gate}/replica", headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    replica = decode_replica(answer.content)
    assert isinstance(replica, ReplicaSnapshot)
    return replica


def test_gates_are_created_without_face_identification(client: TestClient, world: World) -> None:
    gates = client.get("/api/v1/gates", headers=world.user(Role.ADMIN)).json()
    assert {g["id"]: g["face_identification"] for g in gates} == {
        world.gate: False,
        world.gate2: False,
        world.other_gate: False,
    }
    assert snapshot(client, world, world.gate).gate.face_identification is False


def test_a_face_alone_opens_only_the_gate_that_allows_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="F1")
    allow_faces(client, world, world.gate)
    granted = decide(client, world, face_query(person), world.gate)
    assert (granted["decision"], granted["reason"]) == ("granted", "granted")
    assert granted["person_id"] == person
    # Same person, same zone, the neighbouring gate: a face is no credential there.
    refused = decide(client, world, face_query(person), world.gate2)
    assert (refused["decision"], refused["reason"]) == ("denied", "face_identification_off")
    assert "badge or pass" in refused["reason_text"]
    # The badge still works at the gate without the option.
    assert decide(client, world, query("F1"), world.gate2)["decision"] == "granted"


def test_switching_it_off_refuses_again_and_is_audited(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="F2")
    allow_faces(client, world, world.gate)
    allow_faces(client, world, world.gate, allowed=False)
    assert decide(client, world, face_query(person), world.gate)["reason"] == (
        "face_identification_off"
    )
    with Session(engine) as session:
        updates = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "gate.update", AuditEntry.target == f"gate:{world.gate}")
            .order_by(col(AuditEntry.seq))
        ).all()
    after = [json.loads(u.after)["face_identification"] for u in updates if u.after]
    assert after == [True, False]


def test_the_replica_carries_the_flag_and_a_delta_follows_a_change(
    client: TestClient, world: World
) -> None:
    before = snapshot(client, world, world.gate)
    allow_faces(client, world, world.gate)
    after = snapshot(client, world, world.gate)
    assert after.gate.face_identification is True
    assert after.version > before.version
    # Only this gate changed its policy; the other gate's replica still says no.
    assert snapshot(client, world, world.gate2).gate.face_identification is False


def test_only_admins_may_switch_it(client: TestClient, world: World) -> None:
    for role in (Role.OPERATOR, Role.SECURITY_DESK):
        answer = client.patch(
            f"/api/v1/gates/{world.gate}",
            json={"face_identification": True},
            headers=world.user(role),
        )
        assert answer.status_code == 403, answer.text
    bad = client.patch(
        f"/api/v1/gates/{world.gate}",
        json={"face_identification": "sometimes"},
        headers=world.user(Role.ADMIN),
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(("flag", "expected"), [([], False), (["--face-identification"], True)])
def test_gates_add_takes_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str], expected: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    made = CliRunner().invoke(cli, ["gates", "add", "g-1", "--site", "rtm", *flag])
    assert made.exit_code == 0, made.output
    engine = make_engine(url)
    with Session(engine) as session:
        gate = session.get(Gate, "g-1")
    engine.dispose()
    assert gate is not None and gate.face_identification is expected


def test_the_answer_names_the_threshold_the_face_was_judged_at(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="F3")
    allow_faces(client, world, world.gate)
    gate = snapshot(client, world, world.gate).gate
    assert gate.identify_threshold != gate.verify_threshold
    # 1:N is judged at the stricter identify threshold, 1:1 at the verify threshold.
    assert decide(client, world, face_query(person), world.gate)["face_threshold"] == (
        gate.identify_threshold
    )
    badge = decide(client, world, query("F3"), world.gate)
    assert (badge["decision"], badge["face_threshold"]) == ("granted", gate.verify_threshold)
    # No face compared: no threshold.
    assert decide(client, world, query("F3", face=None), world.gate)["face_threshold"] is None
