"""Control characters, on SQLite and PostgreSQL: typed names refuse them, gate text marks them.

PostgreSQL cannot store NUL in a text column; an event carrying one used to be a 500. What
a gate reports is kept, each such character shown as U+FFFD (gate_protocol/text.py).
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


def test_an_event_with_a_nul_is_stored_with_the_character_marked(
    app: FastAPI, world: World, engine: Engine
) -> None:
    good = make_event(1).model_dump(mode="json")
    marked = {**make_event(2).model_dump(mode="json"), "reason_detail": "door\u0000stuck"}
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(
            "/api/v1/events", json={"events": [good, marked]}, headers=world.gate_key()
        )
    assert answer.status_code == 200
    assert _count(engine, AccessEventRecord) == 2
    with Session(engine) as session:
        stored = session.exec(
            select(AccessEventRecord).where(AccessEventRecord.event_id == "ev-2")
        ).one()
    assert stored.reason_detail == "door\ufffdstuck"


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
    assert "U+0000" in answer.text
    assert _count(engine, Person) == 0
