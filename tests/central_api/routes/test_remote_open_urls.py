"""The two remote-open URLs (API: bearer; dashboard: cookie and CSRF) are one implementation.

Either URL requests and approves through the same audited service, answers the same body,
hides another site's gate and tells the live clients of the gate's site.
"""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.dashboard.hub import LiveItem
from central_api.models import Role, Site
from testkit.api.dashboard import capture_live_items, login
from testkit.api.dashboard_sites import make_viewers
from testkit.api.world import World

Auth = Callable[[TestClient, World, Role], dict[str, str]]
PREFIXES = ["/api/v1", "/dashboard/api"]


def bearer(client: TestClient, world: World, role: Role) -> dict[str, str]:
    return world.user(role)


def cookie(client: TestClient, world: World, role: Role) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, role), "Origin": "http://testserver"}


@pytest.fixture
def told(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[LiveItem]:
    return capture_live_items(app, monkeypatch)


def four_eyes(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None
        site.four_eyes_open = True
        session.add(site)
        session.commit()


@pytest.mark.parametrize(
    ("prefix", "auth"),
    [pytest.param("/api/v1", bearer, id="api"), pytest.param("/dashboard/api", cookie, id="page")],
)
def test_either_url_requests_approves_and_tells_the_live_clients(
    client: TestClient,
    world: World,
    engine: Engine,
    told: list[LiveItem],
    prefix: str,
    auth: Auth,
) -> None:
    four_eyes(engine, world)
    body = {"lane": 1, "direction": "entry", "reason": "truck stuck at lane 1"}
    answer = client.post(
        f"{prefix}/gates/{world.gate}/open", json=body, headers=auth(client, world, Role.OPERATOR)
    )
    assert answer.status_code == 202, answer.text
    request = answer.json()
    assert request["status"] == "pending" and request["requested_by"] == "operator-user"
    approved = client.post(
        f"{prefix}/open-requests/{request['id']}/approve",
        headers=auth(client, world, Role.ADMIN),
    )
    assert approved.status_code == 200, approved.text
    issued = approved.json()
    assert issued["status"] == "issued" and issued["approved_by"] == "admin-user"
    assert issued | {"status": "pending", "approved_by": None, "command_id": None} == request
    assert [(item.channel, item.site_id) for item in told] == [("open", world.site)] * 2
    published = [topic for topic, _, _ in client.app.state.bus.published]  # type: ignore[attr-defined]
    assert f"portgate/v1/{world.site}/gates/{world.gate}/cmd/open" in published


def test_the_page_url_still_wants_the_csrf_token(client: TestClient, world: World) -> None:
    login(client, Role.OPERATOR)
    body = {"lane": 0, "reason": "let the pilot in"}
    refused = client.post(f"/dashboard/api/gates/{world.gate}/open", json=body)
    assert refused.status_code == 403


@pytest.mark.parametrize("prefix", PREFIXES)
def test_either_url_hides_another_sites_gate(
    client: TestClient,
    world: World,
    engine: Engine,
    settings: Settings,
    told: list[LiveItem],
    prefix: str,
) -> None:
    viewers = make_viewers(world, engine, settings)
    body = {"lane": 0, "reason": "let me in"}
    refused = client.post(
        f"{prefix}/gates/{world.gate}/open", json=body, headers=viewers.b_operator
    )
    assert refused.status_code == 404
    assert told == []
    own = client.post(f"{prefix}/gates/{world.gate}/open", json=body, headers=viewers.a_operator)
    assert own.status_code == 202, own.text
    assert [(item.channel, item.site_id) for item in told] == [("open", world.site)]
