"""The dashboard page and what it exposes: roles, login redirect, CSP, no templates or badges."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central_api.models import Role
from testkit.api.dashboard import EVENT_BADGE, add_person, login, make_event, store
from testkit.api.world import World

# A script element runs code unless it has a src; the JSON data block (the page's
# catalog, type="application/json") is data the browser never runs.
SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)


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
    assert EVENT_BADGE not in str(snapshot)
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


@pytest.mark.parametrize("path", ["/dashboard/api/muster.csv", "/dashboard/api/stream"])
def test_desk_users_are_refused_data_routes(client: TestClient, world: World, path: str) -> None:
    assert client.get(path, headers=world.user(Role.SECURITY_DESK)).status_code == 403
