"""A report shared by another member, stored by the applier (SQLite and PostgreSQL)."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.errors import InvalidError
from central_api.incidents.exchange import apply_shared_incident
from central_api.incidents.shared import incident_to_shared_body
from central_api.incidents.tables import Incident, IncidentKind
from central_api.incidents.tlp import Tlp
from central_api.models import AuditEntry, Role
from testkit.api.world import World


def shared_body() -> dict[str, object]:
    return incident_to_shared_body(
        Incident(
            id="inc-t2-1",
            kind=IncidentKind.TAILGATING,
            occurred_at=datetime(2026, 12, 5, 6, 0, tzinfo=UTC),
            location="Terminal 2, gate 4",
            companies=[{"id": 9, "name": "Boxes NV"}],
            narrative="Two trucks on one slot.",
            tlp=Tlp.GREEN,
            created_by="t2-operator",
        )
    )


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Incident)).one(),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def test_a_shared_report_is_stored_once_and_audited(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as session:
        row = apply_shared_incident(
            session, shared_body(), issuer="member:terminal-2", actor="community"
        )
        assert row is not None
        assert (row.issuer, row.site_id, row.status, row.tlp) == (
            "member:terminal-2",
            None,
            "filed",
            "TLP:GREEN",
        )
        assert row.companies == [{"id": None, "name": "Boxes NV"}]
        again = apply_shared_incident(
            session, shared_body(), issuer="member:terminal-2", actor="community"
        )
        assert again is None
        actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("incident.receive") == 1
    assert counts(engine)[0] == 1
    listed = client.get("/api/v1/incidents", headers=world.user(Role.AUTHORITY)).json()
    assert [i["issuer"] for i in listed] == ["member:terminal-2"]


def test_a_bad_shared_body_stores_nothing(world: World, engine: Engine) -> None:
    before = counts(engine)
    with Session(engine) as session, pytest.raises(InvalidError, match="unknown TLP label"):
        apply_shared_incident(
            session, shared_body() | {"tlp": "TLP:WHITE"}, issuer="member:x", actor="community"
        )
    assert counts(engine) == before
