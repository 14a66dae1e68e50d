"""Every route declares who may call it; anonymous callers and wrong roles are refused.

And a user bound to one site sees and touches nothing of another site.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.config import Settings
from central_api.models import Alarm, Credential, Person, Role, Site, User
from central_api.routes.community.routes import MemberSignature
from central_api.routes.health import MetricsAccess
from central_api.security.auth import (
    GateKeyRequirement,
    RoleRequirement,
    create_token,
    hash_password,
)
from central_api.security.gate_keys import GateKeyHeader
from gate_protocol.messages import AlarmKind
from testkit.api.decisions import book, enroll
from testkit.api.world import PASSWORD, World, make_event

PUBLIC = {
    ("GET", "/"),
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/reset"),  # a one-time reset link's form; its token is the credential
    ("POST", "/reset"),
    # A login's second step (TOTP): the password step's short cookie is the credential;
    # without it the pages send the browser back to /login.
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("GET", "/login/enroll"),
    ("POST", "/login/enroll"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    # Staff reports: anonymous by design, rate-limited per hashed address (docs/staff-reports.md).
    ("GET", "/report/{site}"),
    ("GET", "/report/{site}/{sign}"),
    ("POST", "/api/v1/staff-reports"),
    ("POST", "/api/v1/staff-reports/follow-up"),
    ("POST", "/api/v1/staff-reports/follow-up/messages"),
    # A pass on a phone: the link's secret is the credential, wrong ones rate-limited (26.3).
    ("GET", "/m/pass/{pass_id}"),
    ("POST", "/api/v1/mobile-pass"),
}


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    pending: list[Any] = list(app.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)


def requirement(route: APIRoute) -> Any:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        call = dependant.call
        if isinstance(
            call,
            (RoleRequirement, GateKeyRequirement, GateKeyHeader, MetricsAccess, MemberSignature),
        ):
            return call
        stack.extend(dependant.dependencies)
    return None


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def all_endpoints(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    return sorted(
        (
            (method, route.path, route)
            for route in api_routes(app)
            for method in route.methods
            if method != "HEAD"
        ),
        key=lambda item: (item[0], item[1]),
    )


def test_no_two_routes_answer_the_same_method_and_path(app: FastAPI) -> None:
    seen = [(method, path) for method, path, _ in all_endpoints(app)]
    assert sorted({x for x in seen if seen.count(x) > 1}) == []


def test_every_route_is_public_or_declares_a_requirement(app: FastAPI) -> None:
    endpoints = all_endpoints(app)
    assert len(endpoints) > 25
    for method, path, route in endpoints:
        if (method, path) in PUBLIC:
            continue
        assert requirement(route) is not None, f"{method} {path} declares no role"


def test_anonymous_callers_are_refused_everywhere(client: TestClient, app: FastAPI) -> None:
    for method, path, _ in all_endpoints(app):
        if (method, path) in PUBLIC:
            continue
        answer = client.request(method, concrete(path), json={}, follow_redirects=False)
        if answer.status_code == 303:  # a web page sends a browser to the login form
            assert answer.headers["location"].startswith("/login"), f"{method} {path}"
            continue
        assert answer.status_code == 401, f"{method} {path} answered {answer.status_code}"


def test_wrong_roles_and_gate_keys_are_refused(
    client: TestClient, app: FastAPI, world: World
) -> None:
    checked = 0
    for method, path, route in all_endpoints(app):
        needed = requirement(route)
        if needed is None:
            continue
        if isinstance(needed, (GateKeyRequirement, GateKeyHeader, MemberSignature)):
            for role in Role:  # a user token is not a gate key
                answer = client.request(method, concrete(path), json={}, headers=world.user(role))
                assert answer.status_code == 401, f"{method} {path} let {role} in"
            checked += 1
            continue
        answer = client.request(
            method, concrete(path), json={}, headers=world.gate_key(), follow_redirects=False
        )
        assert answer.status_code in (401, 303), f"{method} {path} let a gate key in"
        for role in set(Role) - set(needed.roles):
            answer = client.request(method, concrete(path), json={}, headers=world.user(role))
            assert answer.status_code == 403, f"{method} {path} let {role} in"
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("since", ["", "?since=0"])
def test_a_gate_key_reaches_only_its_own_gate(client: TestClient, world: World, since: str) -> None:
    own = client.get(f"/api/v1/gates/{world.gate}/replica{since}", headers=world.gate_key())
    assert own.status_code == 200
    other_site = client.get(
        f"/api/v1/gates/{world.gate}/replica{since}", headers=world.gate_key(world.other_gate)
    )
    assert other_site.status_code == 404
    assert world.site not in other_site.text
    same_site_other_gate = client.get(
        f"/api/v1/gates/{world.gate2}/replica{since}", headers=world.gate_key()
    )
    assert same_site_other_gate.status_code == 404


def test_rotated_keys_stop_working(client: TestClient, world: World) -> None:
    answer = client.post(f"/api/v1/gates/{world.gate}/key", headers=world.user(Role.ADMIN))
    assert answer.status_code == 200
    new_key = answer.json()["api_key"]
    old = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
    assert old.status_code == 401
    new = client.get(f"/api/v1/gates/{world.gate}/replica", headers={"X-Gate-Key": new_key})
    assert new.status_code == 200


def _site_users(engine: Engine, settings: Settings, site: str) -> dict[Role, dict[str, str]]:
    """A user of every role bound to `site`, as request headers."""
    headers: dict[Role, dict[str, str]] = {}
    with Session(engine, expire_on_commit=False) as session:
        for role in Role:
            user = User(
                username=f"{site}-{role.value}",
                password_hash=hash_password(PASSWORD),
                role=role,
                site_id=site,
            )
            session.add(user)
            session.commit()
            token = create_token(settings=settings, user=user, minutes=5, purpose="access")
            headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


def _site_a_data(client: TestClient, world: World, engine: Engine) -> dict[str, str]:
    """A person, credential, appointment, event and alarm at the world's site (A)."""
    person = enroll(engine, world, badge="5A-0BADCE")
    appointment, _ = book(engine, world, person, [world.gate])
    event = make_event(1, person_id=person, credential_ref="5A-0BADCE")
    stored = client.post(
        "/api/v1/events",
        headers=world.gate_key(),
        json={"events": [event.model_dump(mode="json")]},
    )
    assert stored.status_code == 200, stored.text
    with Session(engine, expire_on_commit=False) as session:
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.FORCED,
            detail="door forced at site A",
        )
        session.commit()
        credential = session.exec(select(Credential)).one()
    return {
        "person_id": person,
        "gate_id": world.gate,
        "site_id": world.site,
        "alarm_id": alarm.alarm_id,
        "appointment_id": appointment,
        "credential_id": str(credential.id),
        "group_id": "1",
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: ids.get(m.group(1), "1"), path)


def test_a_user_of_site_b_sees_nothing_of_site_a(
    client: TestClient, app: FastAPI, world: World, engine: Engine, settings: Settings
) -> None:
    ids = _site_a_data(client, world, engine)
    secrets_of_a = (
        ids["person_id"],
        "Person 5A-0BADCE",
        world.gate,
        world.gate2,
        ids["alarm_id"],
    )
    site_b = _site_users(engine, settings, world.other_site)
    walked = 0
    for method, path, route in all_endpoints(app):
        needed = requirement(route)
        if method != "GET" or not isinstance(needed, RoleRequirement):
            continue
        if route.response_class is StreamingResponse:
            continue  # the live stream never ends; its site filter is the dashboard's own
        url = _fill(path, ids)
        for role in needed.roles:
            answer = client.get(url, headers=site_b[role], follow_redirects=False)
            assert answer.status_code < 500, f"GET {url} as {role}: {answer.status_code}"
            for secret in secrets_of_a:
                if secret in url and answer.status_code == 404:
                    continue  # "person X not found" echoes what was asked, nothing more
                assert secret not in answer.text, f"GET {url} as {role} shows {secret}"
            walked += 1
    assert walked > 15
    # The control: a site-wide admin does see site A where the route shows it.
    site_wide = client.get("/api/v1/events", headers=world.user(Role.ADMIN))
    assert ids["person_id"] in site_wide.text
    own = client.get("/api/v1/gates", headers=site_b[Role.OPERATOR]).json()
    assert [g["id"] for g in own] == [world.other_gate]


def test_a_user_of_site_b_cannot_act_on_site_a(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    ids = _site_a_data(client, world, engine)
    site_b = _site_users(engine, settings, world.other_site)
    desk, operator, admin = site_b[Role.SECURITY_DESK], site_b[Role.OPERATOR], site_b[Role.ADMIN]
    person, gate = ids["person_id"], ids["gate_id"]
    actions: list[tuple[str, str, dict[str, str], object]] = [
        ("PATCH", f"/api/v1/people/{person}", desk, {"status": "revoked"}),
        ("POST", f"/api/v1/people/{person}/credentials", desk, {"kind": "badge", "ref": "B2"}),
        ("POST", f"/api/v1/credentials/{ids['credential_id']}/revoke", desk, None),
        ("POST", f"/api/v1/people/{person}/competencies", desk, {"name": "ISPS"}),
        ("POST", "/api/v1/watchlist", desk, {"person_id": person, "reason": "x"}),
        (
            "POST",
            "/api/v1/people",
            desk,
            {"display_name": "Intruder", "kind": "staff", "site_id": world.site},
        ),
        ("POST", f"/api/v1/alarms/{ids['alarm_id']}/ack", operator, {"comment": "not mine"}),
        ("POST", f"/api/v1/gates/{gate}/open", operator, {"lane": 0, "reason": "let me in"}),
        ("PATCH", f"/api/v1/gates/{gate}", admin, {"face_required": False}),
        ("POST", f"/api/v1/gates/{gate}/key", admin, None),
        ("PUT", f"/api/v1/sites/{world.site}/threat-level", admin, {"level": 3}),
        ("PUT", f"/api/v1/sites/{world.site}/timezone", admin, {"timezone": "Asia/Tokyo"}),
        ("POST", "/api/v1/zones", admin, {"id": "z-b", "site_id": world.site, "name": "z"}),
        ("POST", "/api/v1/sites", admin, {"id": "new-site", "name": "New"}),
        (
            "POST",
            "/api/v1/users",
            admin,
            {"username": "mole", "password": PASSWORD, "role": "operator", "site_id": world.site},
        ),
    ]
    for method, url, headers, body in actions:
        answer = client.request(method, url, headers=headers, json=body)
        assert answer.status_code in (403, 404), f"{method} {url}: {answer.status_code}"
    with Session(engine) as session:
        stored = session.get(Person, person)
        assert stored is not None and stored.status == "active"
        # By id: an event stored at night may also raise an off-hours alarm of its own.
        mine = select(Alarm).where(Alarm.alarm_id == ids["alarm_id"])
        assert session.exec(mine).one().acknowledged_at is None
        assert session.get(Site, world.site).threat_level == 1  # type: ignore[union-attr]
        assert session.get(Site, world.site).timezone == "UTC"  # type: ignore[union-attr]
    # Within its own site the same users act normally.
    mine = client.post(
        "/api/v1/people",
        headers=desk,
        json={"display_name": "Ams staff", "kind": "staff", "site_id": world.other_site},
    )
    assert mine.status_code == 201, mine.text
    users = client.get("/api/v1/users", headers=admin).json()
    assert {u["site_id"] for u in users} == {world.other_site}
    # User names are unique across sites: a clash is a conflict, not a hidden duplicate.
    clash = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "operator-user", "password": PASSWORD, "role": "operator"},
    )
    assert clash.status_code == 409, clash.text
