"""The desk's actions on one person through their routes, on SQLite and PostgreSQL (issue 22.3).

Status with a reason, a lost badge replaced in one step, a pass cancelled, erasure with a
typed confirmation and its receipt: each is decided on by the gates' decision route
afterwards, and each piece of bad input or a role that may not act is refused with a
message and changes nothing.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.config import Settings
from central_api.models import (
    AuditEntry,
    Person,
    Role,
)
from testkit.api.decisions import enroll
from testkit.api.desk_actions import (
    PEOPLE,
    decide,
    post_action,
    replica_version,
    snapshot,
)
from testkit.api.enrollment import clear_enroll_tables, enroll_settings
from testkit.api.world import World


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


def test_revoke_suspend_and_reinstate_need_a_reason_and_reach_the_decision(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0AA001")
    assert decide(client, world, "0AA001") == ("granted", "granted")
    before = snapshot(engine)
    for body in ({"action": "suspend"}, {"action": "suspend", "reason": "   "}):
        answer = post_action(client, world, f"{person}/standing", body)
        assert answer.status_code == 422 and "reason" in answer.text
    assert snapshot(engine) == before

    answer = post_action(
        client, world, f"{person}/standing", {"action": "suspend", "reason": "inquiry"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["person"]["status"] == "suspended"
    assert answer.json()["status_reason"] == "inquiry"
    assert decide(client, world, "0AA001") == ("denied", "person_suspended")
    again = post_action(
        client, world, f"{person}/standing", {"action": "suspend", "reason": "twice"}
    )
    assert again.status_code == 409 and "already suspended" in again.json()["detail"]

    answer = post_action(
        client, world, f"{person}/standing", {"action": "revoke", "reason": "left"}
    )
    assert answer.json()["person"]["status"] == "revoked"
    assert decide(client, world, "0AA001") == ("denied", "revoked")
    answer = post_action(
        client, world, f"{person}/standing", {"action": "reinstate", "reason": "back"}
    )
    assert answer.json()["person"]["status"] == "active"
    assert decide(client, world, "0AA001") == ("granted", "granted")
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.after).where(
                AuditEntry.target == f"person:{person}",
                col(AuditEntry.action).startswith("person."),
            )
        ).all()
    mine = {"person.suspend", "person.revoke", "person.reinstate"}
    audited = [(a, json.loads(after or "{}")["status"]) for a, after in actions if a in mine]
    assert audited == [
        ("person.suspend", "suspended"),
        ("person.revoke", "revoked"),
        ("person.reinstate", "active"),
    ]
    assert all("inquiry" not in str(after) for _, after in actions), "reasons are hashed"


def test_a_lost_badge_is_replaced_in_one_step(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0BB001")
    other = enroll(engine, world, badge="0BB999")
    standing = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk()).json()
    [lost] = standing["credentials"]
    other_badge = client.get(f"{PEOPLE}/{other}/standing", headers=world.user_desk()).json()
    before = snapshot(engine)
    refused = [
        ({"lost_credential_id": lost["id"], "number": "0BB999"}, 409, "already in use"),
        (
            {"lost_credential_id": other_badge["credentials"][0]["id"], "number": "0BB002"},
            404,
            "no badge",
        ),
        ({"lost_credential_id": lost["id"], "number": "not a badge"}, 422, "number"),
    ]
    for body, status, message in refused:
        answer = post_action(client, world, f"{person}/lost-badge", body)
        assert answer.status_code == status, answer.text
        assert message in answer.text
    assert snapshot(engine) == before

    version = replica_version(engine, world.site)
    answer = post_action(
        client,
        world,
        f"{person}/lost-badge",
        {"lost_credential_id": lost["id"], "number": "0BB002"},
    )
    assert replica_version(engine, world.site) > version, "the gates' replicas follow"
    assert answer.status_code == 201, answer.text
    old, new = answer.json()["credentials"]
    assert old["revoked_at"] and old["revoke_reason"] == "lost"
    assert (new["ref"], new["revoked_at"]) == ("0BB002", None)
    assert answer.json()["person"]["badges"] == ["0BB002"]
    assert decide(client, world, "0BB001") == ("denied", "revoked")
    assert decide(client, world, "0BB002") == ("granted", "granted")
    with Session(engine) as session:
        [entry] = session.exec(
            select(AuditEntry).where(AuditEntry.action == "credential.replace_lost")
        ).all()
    after = json.loads(entry.after or "{}")
    assert (after["reason"], after["revoked_credential_id"]) == ("lost", lost["id"])
    assert "0BB002" not in str(after), "badge numbers are keyed hashes in the audit"
    again = post_action(
        client,
        world,
        f"{person}/lost-badge",
        {"lost_credential_id": lost["id"], "number": "0BB003"},
    )
    assert again.status_code == 409 and "already revoked" in again.text


def test_the_standing_lists_passes_and_a_cancelled_pass_leaves_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0DD001")
    start = datetime.now(UTC) + timedelta(hours=1)
    window = {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=8)).isoformat(),
    }
    issued = client.post(
        f"{PEOPLE}/{person}/passes",
        json={"gates": [world.gate], **window},
        headers=world.user_desk(),
    ).json()
    standing = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk()).json()
    assert [p["pass_id"] for p in standing["passes"]] == [issued["pass_id"]]
    assert (
        client.delete(
            f"/api/v1/enroll/passes/{issued['pass_id']}", headers=world.user_desk()
        ).status_code
        == 204
    )
    standing = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk()).json()
    assert standing["passes"] == []


def test_erase_needs_the_typed_id_and_answers_with_a_receipt(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0EE001")
    before = snapshot(engine)
    for confirm in ("", "yes", "SOMEONE-ELSE"):
        answer = post_action(client, world, f"{person}/erase", {"confirm": confirm})
        assert answer.status_code == 422 and "to confirm the erasure" in answer.text
    assert post_action(client, world, f"{person}/erase", {}).status_code == 422
    assert snapshot(engine) == before

    answer = post_action(client, world, f"{person}/erase", {"confirm": person.lower()})
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert receipt["person_id"] == person and receipt["erased_by"] == "user:security_desk-user"
    assert receipt["deleted"]["credentials"] == 1
    with Session(engine) as session:
        assert session.get(Person, person) is None
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == receipt["audit_seq"])).one()
    assert (entry.action, entry.hash) == ("person.erase", receipt["audit_hash"])
    assert decide(client, world, "0EE001") == ("denied", "unknown_credential")


def test_unknown_people_and_roles_that_may_not_act_are_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0FF001")
    before = snapshot(engine)
    actions: list[tuple[str, dict[str, object]]] = [
        ("standing", {"action": "revoke", "reason": "x"}),
        ("validity", {"last_day": "2030-01-01"}),
        ("lost-badge", {"lost_credential_id": 1, "number": "0FF002"}),
        ("erase", {"confirm": person}),
    ]
    for path, body in actions:
        for role in (Role.OPERATOR, Role.AUTHORITY):
            answer = post_action(client, world, f"{person}/{path}", body, role=role)
            assert answer.status_code == 403, (path, role, answer.text)
        answer = post_action(
            client,
            world,
            f"NOBODY/{path}",
            {**body, "confirm": "NOBODY"} if path == "erase" else body,
        )
        assert answer.status_code == 404 and "not found" in answer.text, (path, answer.text)
    assert (
        client.get(f"{PEOPLE}/{person}/standing", headers=world.user(Role.OPERATOR)).status_code
        == 403
    )
    assert snapshot(engine) == before
