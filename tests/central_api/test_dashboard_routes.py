"""The dashboard's pages and JSON routes: roles, CSRF, CSP, filters, muster CSV, actions."""

import re
from datetime import timedelta
from typing import Any

import pytest
from api_world import PASSWORD, World
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.crud.people import create_person
from central_api.db import utc_now
from central_api.ingest import store_events
from central_api.models import (
    Alarm,
    AuditEntry,
    Company,
    OpenRequest,
    PersonCreate,
    Role,
    Site,
)
from central_api.raise_alarm import raise_alarm
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    LatencyBreakdown,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind

SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


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
    with Session(engine) as session:
        store_events(session=session, site_id=world.site, gate_id=gate or world.gate, events=events)
        session.commit()


def api_routes(app: FastAPI) -> list[APIRoute]:
    found: list[APIRoute] = []
    pending: list[Any] = list(app.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)
    return found


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def test_the_page_sends_anonymous_browsers_to_login(client: TestClient) -> None:
    answer = client.get("/dashboard", follow_redirects=False)
    assert answer.status_code == 401
    assert answer.headers["refresh"] == "0; url=/login?next=/dashboard"


def test_the_page_is_for_operators_and_admins_only(client: TestClient, world: World) -> None:
    for role, expected in ((Role.SECURITY_DESK, 403), (Role.OPERATOR, 200), (Role.ADMIN, 200)):
        assert client.get("/dashboard", headers=world.user(role)).status_code == expected
        snapshot = client.get("/dashboard/api/snapshot", headers=world.user(role))
        assert snapshot.status_code == expected


def test_the_page_has_a_strict_csp_and_no_inline_script(client: TestClient, world: World) -> None:
    login(client, Role.OPERATOR)
    page = client.get("/dashboard")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script src="/static/dashboard.js" defer></script>' in page.text
    assert not SCRIPT_WITHOUT_SRC.search(page.text)
    assert not re.search(r"\son[a-z]+\s*=", page.text)  # no inline event handlers
    js = client.get("/static/dashboard.js")
    assert js.status_code == 200
    for name in ("dashboard.js", "pg-dom.js", "pg-charts.js"):
        source = client.get(f"/static/{name}").text
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, name


def test_snapshot_never_shows_templates_or_badge_numbers(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = add_person(engine, world.site, "Ana Costa", "Quay Movers")
    store(engine, world, make_event(person_id=person))
    snapshot = client.get("/dashboard/api/snapshot", headers=world.user(Role.OPERATOR)).json()
    event = snapshot["events"][0]
    assert event["person_name"] == "Ana Costa" and event["company"] == "Quay Movers"
    assert event["reason_text"] == "Access granted."
    assert event["latency_ms"] == 120.0 and event["decided_by"] == "central"
    keys = keys_of(snapshot)
    assert not any("template" in key for key in keys)
    assert "credential_ref" not in keys
    assert "4242" not in str(snapshot)
    assert {tile["gate_id"] for tile in snapshot["gates"]} >= {world.gate, world.gate2}


def test_operators_cannot_edit_people_or_see_templates(
    client: TestClient, app: FastAPI, world: World, engine: Engine
) -> None:
    person = add_person(engine, world.site, "Ben Ode", None)
    person_routes = [
        (method, route.path)
        for route in api_routes(app)
        if route.path.startswith(("/api/v1/people", "/api/v1/cred"))
        for method in route.methods
        if method in {"POST", "PATCH", "PUT", "DELETE"} or "template" in route.path
    ]
    assert ("PATCH", "/api/v1/people/{person_id}") in person_routes
    for method, path in person_routes:
        url = re.sub(r"\{[^}]+\}", "1", path.replace("{person_id}", person))
        answer = client.request(
            method, url, json={"status": "suspended"}, headers=world.user(Role.OPERATOR)
        )
        assert answer.status_code == 403, f"operator reached {method} {path}"
    dashboard_paths = [
        route.path for route in api_routes(app) if route.path.startswith("/dashboard")
    ]
    assert dashboard_paths and not any("template" in p or "people" in p for p in dashboard_paths)


def test_event_filters_by_gate_decision_and_person(
    client: TestClient, world: World, engine: Engine
) -> None:
    ana = add_person(engine, world.site, "Ana Costa", None)
    ben = add_person(engine, world.site, "Ben_Ode 100%", None)
    store(engine, world, make_event(person_id=ana))
    store(
        engine,
        world,
        make_event(person_id=ben, decision=Decision.DENIED, reason=ReasonCode.FACE_MISMATCH),
        gate=world.gate2,
    )
    headers = world.user(Role.OPERATOR)

    def names(query: str) -> list[str | None]:
        answer = client.get(f"/dashboard/api/events?{query}", headers=headers)
        assert answer.status_code == 200
        return [e["person_name"] for e in answer.json()]

    assert names("") == ["Ben_Ode 100%", "Ana Costa"]
    assert names(f"gate_id={world.gate}") == ["Ana Costa"]
    assert names("decision=denied") == ["Ben_Ode 100%"]
    assert names("person=costa") == ["Ana Costa"]
    assert names(f"person={ben}") == ["Ben_Ode 100%"]
    assert names("person=_") == ["Ben_Ode 100%"]  # LIKE wildcards are literal
    assert names("person=%25") == ["Ben_Ode 100%"]
    denied = client.get("/dashboard/api/events?decision=denied", headers=headers).json()[0]
    assert denied["reason_text"] == "Face does not match the enrolled person."
    bad = client.get("/dashboard/api/events?decision=maybe", headers=headers)
    assert bad.status_code == 422


def test_ack_needs_csrf_token_and_same_origin(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.FORCED,
            detail="door forced",
        )
        session.commit()
    token = login(client, Role.OPERATOR)
    url = f"/dashboard/api/alarms/{alarm.alarm_id}/ack"
    assert client.post(url, json={"comment": "checked"}).status_code == 403
    wrong = client.post(url, json={"comment": "checked"}, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    foreign = client.post(
        url,
        json={"comment": "checked"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert client.get("/dashboard/api/alarms").json()["unacknowledged"] == 1
    empty = client.post(url, json={"comment": ""}, headers={"X-CSRF-Token": token})
    assert empty.status_code == 422
    good = client.post(
        url,
        json={"comment": "guard checked, door closed"},
        headers={"X-CSRF-Token": token, "Origin": "http://testserver"},
    )
    assert good.status_code == 200, good.text
    assert good.json()["acknowledged_by"] == "operator-user"
    assert client.get("/dashboard/api/alarms").json()["unacknowledged"] == 0
    again = client.post(url, json={"comment": "again"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 409
    with Session(engine) as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "alarm.ack")).all()
        assert len(audit) == 1 and audit[0].actor == "user:operator-user"
        assert "guard checked" in (audit[0].after or "")
        stored = session.exec(select(Alarm).where(Alarm.alarm_id == alarm.alarm_id)).one()
        assert stored.ack_comment == "guard checked, door closed"


def test_remote_open_with_four_eyes(client: TestClient, world: World, engine: Engine) -> None:
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None
        site.four_eyes_open = True
        session.add(site)
        session.commit()
    operator = world.user(Role.OPERATOR)
    url = f"/dashboard/api/gates/{world.gate}/open"
    no_reason = client.post(url, json={"lane": 0, "reason": " "}, headers=operator)
    assert no_reason.status_code == 422
    answer = client.post(url, json={"lane": 1, "reason": "truck stuck at lane 1"}, headers=operator)
    assert answer.status_code == 202, answer.text
    request = answer.json()
    assert request["status"] == "pending" and request["requested_by"] == "operator-user"
    pending = client.get("/dashboard/api/alarms", headers=operator).json()["open_requests"]
    assert [p["id"] for p in pending] == [request["id"]]
    approve = f"/dashboard/api/open-requests/{request['id']}/approve"
    assert client.post(approve, headers=operator).status_code == 409  # not the requester
    approved = client.post(approve, headers=world.user(Role.ADMIN))
    assert approved.status_code == 200 and approved.json()["status"] == "issued"
    with Session(engine) as session:
        row = session.get(OpenRequest, request["id"])
        assert row is not None and row.command_id is not None
        actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"gate.remote_open_request", "gate.remote_open_approve", "gate.remote_open"} <= actions
    published = [topic for topic, _, _ in client.app.state.bus.published]  # type: ignore[attr-defined]
    assert f"portgate/v1/{world.site}/gates/{world.gate}/cmd/open" in published


def test_only_admins_switch_the_threat_level(
    client: TestClient, world: World, engine: Engine
) -> None:
    url = f"/dashboard/api/sites/{world.site}/threat-level"
    refused = client.post(url, json={"level": 3}, headers=world.user(Role.OPERATOR))
    assert refused.status_code == 403
    assert client.post(url, json={"level": 4}, headers=world.user(Role.ADMIN)).status_code == 422
    answer = client.post(url, json={"level": 3}, headers=world.user(Role.ADMIN))
    assert answer.status_code == 200 and answer.json()["threat_level"] == 3
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None and site.threat_level == 3
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "site.threat_level")
        ).all()
        assert len(audit) == 1 and audit[0].actor == "user:admin-user"


def test_muster_lists_who_is_inside_and_exports_safe_csv(
    client: TestClient, world: World, engine: Engine
) -> None:
    inside = add_person(engine, world.site, '=HYPERLINK("http://x")', "+Evil Ltd")
    left = add_person(engine, world.site, "Carl Left", None)
    denied = add_person(engine, world.site, "Dora Denied", None)
    store(
        engine,
        world,
        make_event(person_id=inside, minutes_ago=30),
        make_event(person_id=left, minutes_ago=40),
        make_event(person_id=left, direction=Direction.EXIT, minutes_ago=10),
        make_event(
            person_id=denied, decision=Decision.DENIED, reason=ReasonCode.REVOKED, passed=False
        ),
        make_event(person_id=denied, passed=False),  # granted but never walked through
    )
    headers = world.user(Role.OPERATOR)
    muster = client.get("/dashboard/api/muster", headers=headers).json()
    assert [(m["person_id"], m["zone_id"]) for m in muster] == [(inside, world.zone)]
    answer = client.get("/dashboard/api/muster.csv", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = answer.text.splitlines()
    assert lines[0].startswith("zone,zone_name,person_id,name,company")
    assert "'=HYPERLINK" in lines[1] and ",'+Evil Ltd," in lines[1]
    assert "Carl Left" not in answer.text


def test_charts_count_per_gate_minute_and_denials_by_reason(
    client: TestClient, world: World, engine: Engine
) -> None:
    store(
        engine,
        world,
        make_event(person_id=None, decision=Decision.DENIED, reason=ReasonCode.UNKNOWN_CREDENTIAL),
        make_event(person_id=None, decision=Decision.DENIED, reason=ReasonCode.UNKNOWN_CREDENTIAL),
        make_event(person_id=None, decision=Decision.DENIED, reason=ReasonCode.LIVENESS_FAILED),
        make_event(person_id=None, minutes_ago=90),
    )
    data = client.get("/dashboard/api/charts?hours=1", headers=world.user(Role.OPERATOR)).json()
    series = data["events_per_minute"]["series"]
    assert data["events_per_minute"]["minutes"] == 60
    assert [(s["gate_id"], sum(s["counts"])) for s in series] == [(world.gate, 3)]
    assert [(d["reason"], d["count"]) for d in data["denials_by_reason"]] == [
        ("unknown_credential", 2),
        ("liveness_failed", 1),
    ]
    assert data["denials_by_reason"][0]["text"] == "Badge or pass is not known to PortGate."
    day = client.get("/dashboard/api/charts", headers=world.user(Role.OPERATOR)).json()
    assert sum(sum(s["counts"]) for s in day["events_per_minute"]["series"]) == 4
    too_long = client.get("/dashboard/api/charts?hours=48", headers=world.user(Role.OPERATOR))
    assert too_long.status_code == 422


@pytest.mark.parametrize("path", ["/dashboard/api/muster.csv", "/dashboard/api/stream"])
def test_desk_users_are_refused_data_routes(client: TestClient, world: World, path: str) -> None:
    assert client.get(path, headers=world.user(Role.SECURITY_DESK)).status_code == 403


def test_unacknowledged_count_ignores_acknowledged_alarms(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as session:
        for kind in (AlarmKind.TAMPER, AlarmKind.WATCHLIST):
            raise_alarm(
                session=session, site_id=world.site, gate_id=world.gate, kind=kind, detail="x"
            )
        session.commit()
        first = session.exec(select(Alarm).order_by(col(Alarm.id))).first()
        assert first is not None
        first.acknowledged_at, first.acknowledged_by = utc_now(), "someone"
        session.add(first)
        session.commit()
    data = client.get("/dashboard/api/alarms", headers=world.user(Role.OPERATOR)).json()
    assert data["unacknowledged"] == 1
    assert [a["kind"] for a in data["alarms"]] == ["watchlist"]
