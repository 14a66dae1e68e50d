"""Visitors in the API tests: a zone group for them, a registration body, a host's event."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.rules import create_access_group
from central_api.models import AccessGroupCreate
from testkit.api.world import World, make_event

__all__ = ["host_passed", "visit_body", "visitor_group"]


def visitor_group(engine: Engine, world: World) -> int:
    """An access group on the world's zone for visitors; returns its id."""
    with Session(engine, expire_on_commit=False) as session:
        group = create_access_group(
            session=session,
            group_create=AccessGroupCreate(
                name="visitors", site_id=world.site, zone_ids=[world.zone]
            ),
            actor="test",
        )
    assert group.id is not None
    return group.id


def visit_body(world: World, *, host: str, group: int, **fields: object) -> dict[str, object]:
    """A visit today for `host`, escorted, with badge C0FFEE; `fields` over it."""
    now = datetime.now(UTC)
    body: dict[str, object] = {
        "site_id": world.site,
        "host_person_id": host,
        "name": "Vera Visitor",
        "company": "Shipping Agency BV",
        "id_document_kind": "passport",
        "valid_from": (now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(hours=4)).isoformat(),
        "access_group_ids": [group],
        "badge_number": "C0FFEE",
        "badge_format": "raw",
    }
    body.update(fields)
    return body


def host_passed(
    client: TestClient,
    world: World,
    *,
    n: int,
    host: str,
    lane: int,
    seconds_ago: float,
    gate: str | None = None,
) -> None:
    """The gate reports the host's grant at `lane`, `seconds_ago` (as its agent would)."""
    event = make_event(
        n,
        person_id=host,
        lane=lane,
        occurred_at=datetime.now(UTC) - timedelta(seconds=seconds_ago),
        passed=True,
    )
    stored = client.post(
        "/api/v1/events",
        json={"events": [event.model_dump(mode="json")]},
        headers=world.gate_key(gate),
    )
    assert stored.status_code == 200, stored.text
