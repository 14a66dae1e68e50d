"""Helpers of the dashboard route tests: form login, people and events at the world's site."""

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.people import create_person
from central_api.dashboard.hub import LiveItem
from central_api.db import utc_now
from central_api.ingest.store import store_events
from central_api.models import Company, PersonCreate, Role
from gate_protocol.messages import (
    AccessEvent,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    LatencyBreakdown,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from testkit.api.world import PASSWORD, World

# The badge of `make_event`'s events: long and unlike anything else in a page, so that a test
# finding it there found the badge (a short "4242" turned up by chance in other values).
EVENT_BADGE = "badge-4242-never-shown"


def capture_live_items(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[LiveItem]:
    """What the app hands its live hub, as if a site-wide browser were watching.

    The feed builds items only while someone may see them (`LiveHub.watched`).
    """
    items: list[LiveItem] = []
    hub = app.state.dashboard.hub
    monkeypatch.setattr(hub, "publish", items.append)
    monkeypatch.setattr(hub, "watched", lambda site_id: True)
    return items


def login(client: TestClient, role: Role) -> str:
    """Log in through the form (session cookie) and return the page's CSRF token."""
    answer = client.post(
        "/login",
        data={"username": f"{role.value}-user", "password": PASSWORD, "next": "/dashboard"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get("/dashboard")
    assert page.status_code == 200
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
    assert match is not None
    return match.group(1)


def add_person(engine: Engine, site: str, name: str, company: str | None) -> str:
    """A contractor at `site` (of a new `company` when given); returns the person id."""
    with Session(engine, expire_on_commit=False) as session:
        company_id = None
        if company is not None:
            row = Company(name=company)
            session.add(row)
            session.commit()
            company_id = row.id
        person = create_person(
            session=session,
            person_create=PersonCreate(
                display_name=name, kind=PersonKind.CONTRACTOR, company_id=company_id, site_id=site
            ),
            actor="test",
        )
        return person.id


def make_event(
    *,
    person_id: str | None,
    decision: Decision = Decision.GRANTED,
    reason: ReasonCode = ReasonCode.GRANTED,
    direction: Direction = Direction.ENTRY,
    passed: bool | None = True,
    minutes_ago: float = 1.0,
) -> AccessEvent:
    """An AccessEvent at the gate `minutes_ago`, by badge, decided centrally."""
    return AccessEvent(
        event_id=new_id(),
        agent_seq=1,
        occurred_at=utc_now() - timedelta(minutes=minutes_ago),
        lane=0,
        direction=direction,
        decision=decision,
        reason=reason,
        person_id=person_id,
        credential_kind=CredentialKind.BADGE,
        credential_ref="4242",
        face_score=0.31,
        decided_by=DecidedBy.CENTRAL,
        passed=passed,
        latency=LatencyBreakdown(total_ms=120.0),
    )


def store(engine: Engine, world: World, *events: AccessEvent, gate: str | None = None) -> None:
    """Store `events` as the world's gate (or `gate`) sent them."""
    with Session(engine) as session:
        store_events(session=session, site_id=world.site, gate_id=gate or world.gate, events=events)
        session.commit()
