"""Visitors pre-registered by a host, and escort mode at the central decision."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.crud.people import update_person
from central_api.models import AuditEntry, Credential, Person, PersonUpdate, Role, Visitor
from gate_protocol.records import PersonKind, PersonStatus
from testkit.api.decisions import enroll, query
from testkit.api.visitors import host_passed, visit_body, visitor_group
from testkit.api.world import World


def _decide(client: TestClient, world: World, badge: str, lane: int) -> tuple[str, str]:
    answer = client.post(
        "/api/v1/decisions", json=query(badge, lane=lane), headers=world.gate_key()
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["decision"], answer.json()["reason"]


def _register(client: TestClient, world: World, engine: Engine, **fields: object) -> dict:  # type: ignore[type-arg]
    host = enroll(engine, world, badge="B055")
    body = visit_body(world, host=host, group=visitor_group(engine, world), **fields)
    created = client.post("/api/v1/visitors", json=body, headers=world.user_desk())
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def test_a_visit_makes_the_visitor_a_person_valid_in_its_window(
    client: TestClient, world: World, engine: Engine
) -> None:
    visit = _register(client, world, engine)
    assert (visit["name"], visit["status"], visit["escort_required"]) == (
        "Vera Visitor",
        "active",
        True,
    )
    with Session(engine) as session:
        person = session.get(Person, visit["person_id"])
        assert person is not None
        assert (person.kind, person.site_id) == (PersonKind.VISITOR, world.site)
        assert person.valid_until is not None
        badge = session.exec(select(Credential).where(Credential.ref == "C0FFEE")).one()
        assert (badge.person_id, badge.valid_until) == (person.id, person.valid_until)
    listed = client.get("/api/v1/visitors", headers=world.user_desk()).json()
    assert [v["id"] for v in listed] == [visit["id"]]


def test_an_escorted_visitor_passes_only_after_the_host_at_the_same_lane(
    client: TestClient, world: World, engine: Engine
) -> None:
    visit = _register(client, world, engine)
    host = visit["host_person_id"]
    assert _decide(client, world, "C0FFEE", lane=1) == ("denied", "escort_required")
    # Too long before (the gate's window is 60 s), and at another gate's lane 1: no escort.
    host_passed(client, world, n=1, host=host, lane=1, seconds_ago=90)
    host_passed(client, world, n=2, host=host, lane=1, seconds_ago=5, gate=world.gate2)
    assert _decide(client, world, "C0FFEE", lane=1) == ("denied", "escort_required")
    host_passed(client, world, n=3, host=host, lane=1, seconds_ago=5)
    assert _decide(client, world, "C0FFEE", lane=1) == ("granted", "granted")
    # The host's lane is lane 1: at lane 0 the visitor is still alone.
    assert _decide(client, world, "C0FFEE", lane=0) == ("denied", "escort_required")


def test_a_visitor_without_escort_passes_alone(
    client: TestClient, world: World, engine: Engine
) -> None:
    _register(client, world, engine, escort_required=False)
    assert _decide(client, world, "C0FFEE", lane=0) == ("granted", "granted")


def test_a_cancelled_visit_is_denied_and_cannot_be_cancelled_twice(
    client: TestClient, world: World, engine: Engine
) -> None:
    visit = _register(client, world, engine, escort_required=False)
    url = f"/api/v1/visitors/{visit['id']}/cancel"
    cancelled = client.post(url, headers=world.user_desk())
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert _decide(client, world, "C0FFEE", lane=0) == ("denied", "revoked")
    audit = _count(engine, AuditEntry)
    again = client.post(url, headers=world.user_desk())
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]
    assert _count(engine, AuditEntry) == audit
    assert client.post("/api/v1/visitors/NOPE/cancel", headers=world.user_desk()).status_code == 404


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def _suspended_host(engine: Engine, world: World) -> str:
    host = enroll(engine, world, badge="5A5A")
    with Session(engine) as session:
        update_person(
            session=session,
            person_id=host,
            person_update=PersonUpdate(status=PersonStatus.SUSPENDED),
            actor="test",
        )
    return host


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("window_reversed", "valid_until must be after valid_from"),
        ("unknown_host", "is not a person of site"),
        ("host_elsewhere", "is not a person of site"),
        ("host_suspended", "is not active at site"),
        ("unknown_group", "access group 999999 not found"),
    ],
)
def test_bad_visits_are_refused_and_change_nothing(
    client: TestClient, world: World, engine: Engine, case: str, message: str
) -> None:
    host = enroll(engine, world, badge="B0A7")
    group = visitor_group(engine, world)
    body = visit_body(world, host=host, group=group)
    if case == "window_reversed":
        body["valid_from"], body["valid_until"] = body["valid_until"], body["valid_from"]
    elif case == "unknown_host":
        body["host_person_id"] = "NOBODY"
    elif case == "host_elsewhere":
        body["host_person_id"] = enroll(
            engine, world, badge="E15E", site=world.other_site, zone="ams-quay"
        )
    elif case == "host_suspended":
        body["host_person_id"] = _suspended_host(engine, world)
    else:
        body["access_group_ids"] = [999999]
    before = [_count(engine, t) for t in (Person, Visitor, Credential, AuditEntry)]
    refused = client.post("/api/v1/visitors", json=body, headers=world.user_desk())
    assert refused.status_code == 422, refused.text
    assert message in refused.json()["detail"]
    assert [_count(engine, t) for t in (Person, Visitor, Credential, AuditEntry)] == before


def test_a_visitor_badge_already_bound_is_a_conflict(
    client: TestClient, world: World, engine: Engine
) -> None:
    host = enroll(engine, world, badge="C0FFEE")
    body = visit_body(world, host=host, group=visitor_group(engine, world))
    before = _count(engine, Person)
    refused = client.post("/api/v1/visitors", json=body, headers=world.user_desk())
    assert refused.status_code == 409
    assert _count(engine, Person) == before


def test_the_escort_window_is_set_per_gate(
    client: TestClient, world: World, engine: Engine
) -> None:
    visit = _register(client, world, engine)
    host_passed(client, world, n=1, host=visit["host_person_id"], lane=0, seconds_ago=90)
    assert _decide(client, world, "C0FFEE", lane=0) == ("denied", "escort_required")
    url, admin = f"/api/v1/gates/{world.gate}", world.user(Role.ADMIN)
    refused = client.patch(url, json={"escort_window_s": 0}, headers=admin)
    assert refused.status_code == 422
    changed = client.patch(url, json={"escort_window_s": 120}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["escort_window_s"] == 120
    assert _decide(client, world, "C0FFEE", lane=0) == ("granted", "granted")


def test_the_gates_replica_carries_the_visitors_host(
    client: TestClient, world: World, engine: Engine
) -> None:
    visit = _register(client, world, engine)
    replica = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
    assert replica.status_code == 200, replica.text
    people = {p["person_id"]: p for p in replica.json()["persons"]}
    assert people[visit["person_id"]]["escort_host_id"] == visit["host_person_id"]
    assert people[visit["host_person_id"]]["escort_host_id"] is None
    assert replica.json()["gate"]["escort_window_s"] == 60
