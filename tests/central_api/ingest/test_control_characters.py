"""A NUL or another control character in stored text is a 422, on SQLite and PostgreSQL.

PostgreSQL cannot store NUL in a text column; an event carrying one used to be a 500.
"""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.models import AccessEventRecord, Person
from testkit.api.world import World, make_event


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_an_event_batch_with_a_nul_is_refused_and_nothing_is_stored(
    app: FastAPI, world: World, engine: Engine
) -> None:
    good = make_event(1).model_dump(mode="json")
    bad = {**make_event(2).model_dump(mode="json"), "reason_detail": "door\u0000stuck"}
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(
            "/api/v1/events", json={"events": [good, bad]}, headers=world.gate_key()
        )
        assert answer.status_code == 422
        assert "U+0000" in answer.text
        assert _count(engine, AccessEventRecord) == 0
        again = client.post("/api/v1/events", json={"events": [good]}, headers=world.gate_key())
    assert again.status_code == 200
    assert _count(engine, AccessEventRecord) == 1


def test_a_person_named_with_a_control_character_is_refused(
    app: FastAPI, world: World, engine: Engine
) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(
            "/api/v1/enroll/people",
            json={"display_name": "Jan\u0000de Vries", "kind": "staff", "site_id": world.site},
            headers=world.user_desk(),
        )
    assert answer.status_code == 422
    assert "control character" in answer.text
    assert _count(engine, Person) == 0
