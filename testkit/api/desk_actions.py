"""Helpers of the desk-action tests (tests/central_api/enroll/test_desk_*.py)."""

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from central_api.models import AuditEntry, Credential, Person, Role, Site
from testkit.api.decisions import query
from testkit.api.world import World

__all__ = ["PEOPLE", "decide", "post_action", "replica_version", "set_timezone", "snapshot"]

PEOPLE = "/api/v1/enroll/people"


def decide(client: TestClient, world: World, badge: str) -> tuple[str, str]:
    """The gate's decision on `badge` at the world's gate: (decision, reason)."""
    answer = client.post("/api/v1/decisions", json=query(badge), headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    return answer.json()["decision"], answer.json()["reason"]


def snapshot(engine: Engine) -> dict[str, Any]:
    """What a refused action must leave as it was: people, credentials, audit rows."""
    with Session(engine) as session:
        people = session.exec(select(Person).order_by(col(Person.id))).all()
        credentials = session.exec(select(Credential).order_by(col(Credential.id))).all()
        return {
            "people": [p.model_dump(exclude={"updated_at"}) for p in people],
            "credentials": [c.model_dump() for c in credentials],
            "audit": session.exec(select(func.count()).select_from(AuditEntry)).one(),
        }


def post_action(
    client: TestClient, world: World, path: str, body: object, role: Role = Role.SECURITY_DESK
) -> httpx.Response:
    """POST `body` to ``/api/v1/enroll/people/<path>`` as the user of `role`."""
    answer: httpx.Response = client.post(f"{PEOPLE}/{path}", json=body, headers=world.user(role))
    return answer


def replica_version(engine: Engine, site: str) -> int:
    """The site's replica version (bumped by every change its gates must learn)."""
    with Session(engine) as session:
        row = session.get(Site, site)
        assert row is not None
        return row.replica_version


def set_timezone(engine: Engine, site: str, zone: str) -> None:
    """Put the site in `zone`."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE site SET timezone = :z WHERE id = :s"), {"z": zone, "s": site}
        )
