"""What a gate's replica tells its lane display about a person: a first name and a language.

The language is set at enrollment (desk API, CLI) and changed on the person (audited);
the replica carries the first given name only, never the rest of the name.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central_api.config import Settings
from central_api.models import Role
from gate_protocol.replica import ReplicaSnapshot, decode_replica
from testkit.api.decisions import enroll
from testkit.api.enrollment import add_group, enroll_settings
from testkit.api.visitors import visit_body, visitor_group
from testkit.api.world import World


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return enroll_settings(engine)


def _snapshot(client: TestClient, world: World) -> ReplicaSnapshot:
    answer = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    snapshot = decode_replica(answer.content)
    assert isinstance(snapshot, ReplicaSnapshot)
    return snapshot


def _enroll(client: TestClient, world: World, **extra: object) -> tuple[int, dict[str, object]]:
    body = {"site_id": "rtm", "display_name": "Anna Maria Kowalska", "kind": "driver"}
    answer = client.post(
        "/api/v1/enroll/people",
        json={**body, "access_groups": ["quay-staff"], **extra},
        headers=world.user(Role.SECURITY_DESK),
    )
    return answer.status_code, answer.json()


def test_the_replica_carries_the_first_name_and_the_language_set_at_enrollment(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_group(engine)
    status, person = _enroll(client, world, preferred_language="pl")
    assert status == 201, person
    snapshot = _snapshot(client, world)
    record = next(p for p in snapshot.persons if p.person_id == person["id"])
    assert record.first_name == "Anna" and record.language == "pl"
    assert (
        "Kowalska" not in snapshot.model_dump_json() and "Maria" not in snapshot.model_dump_json()
    )
    changed = client.patch(
        f"/api/v1/people/{person['id']}",
        json={"preferred_language": "lt"},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["preferred_language"] == "lt"
    record = next(p for p in _snapshot(client, world).persons if p.person_id == person["id"])
    assert record.language == "lt"
    with engine.connect() as conn:
        audited = (
            conn.execute(text("SELECT before FROM audit_entry WHERE action = 'person.update'"))
            .scalars()
            .all()
        )
    assert any("preferred_language" in str(row) for row in audited)


def test_a_person_without_a_language_is_spoken_to_in_english_on_the_lane(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_group(engine)
    status, person = _enroll(client, world)
    assert status == 201, person
    record = next(p for p in _snapshot(client, world).persons if p.person_id == person["id"])
    assert record.language == "en" and record.first_name == "Anna"


def test_a_language_the_lanes_do_not_speak_is_refused_and_nothing_is_made(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_group(engine)
    status, answer = _enroll(client, world, preferred_language="xx")
    assert status == 422
    assert "preferred_language" in str(answer) and "'pl'" in str(answer)
    listing = client.get("/api/v1/enroll/people", headers=world.user(Role.SECURITY_DESK))
    assert listing.json() == []


def test_the_desk_form_offers_the_nine_lane_languages(client: TestClient, world: World) -> None:
    html = client.get("/desk?lang=nl", headers=world.user(Role.SECURITY_DESK)).text
    assert "Taal van het poortscherm" in html
    for code in ("en", "nl", "sv", "de", "fr", "pl", "ro", "lt", "tr"):
        assert f'<option value="{code}">' in html
    assert "preferred_language:" in client.get("/static/desk.js").text


def test_a_visit_registered_with_a_language_reaches_the_lane_in_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    host = enroll(engine, world, badge="B055")
    body = visit_body(world, host=host, group=visitor_group(engine, world), preferred_language="tr")
    created = client.post("/api/v1/visitors", json=body, headers=world.user_desk())
    assert created.status_code == 201, created.text
    gate = next(
        p for p in _snapshot(client, world).persons if p.person_id == created.json()["person_id"]
    )
    assert gate.language == "tr" and gate.first_name == "Vera"
    body["preferred_language"] = "tlh"
    refused = client.post("/api/v1/visitors", json=body, headers=world.user_desk())
    assert refused.status_code == 422 and "preferred_language" in refused.text
