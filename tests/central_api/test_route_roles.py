"""Every route declares who may call it; anonymous callers and wrong roles are refused."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_world import World
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from central_api.auth import GateKeyRequirement, RoleRequirement
from central_api.models import Role
from central_api.routes.health import MetricsAccess

PUBLIC = {
    ("GET", "/"),
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
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
        if isinstance(call, (RoleRequirement, GateKeyRequirement, MetricsAccess)):
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
        if isinstance(needed, GateKeyRequirement):
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
