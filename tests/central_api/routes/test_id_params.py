"""The API's ids (paths, queries, bodies) follow the one id rule of gate_protocol.ids."""

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from central_api.models import Role
from testkit.api.world import World

TOO_LONG = "x" * 65
NOT_IDS = [TOO_LONG, "a b", "a+b", "a#b", "$a", "gäte", "a|b"]


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_path_id_outside_the_rule_is_refused_before_any_lookup(
    client: TestClient, world: World, value: str
) -> None:
    answer = client.patch(
        f"/api/v1/gates/{quote(value, safe='')}", json={}, headers=world.user(Role.ADMIN)
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["path", "gate_id"]


@pytest.mark.parametrize("value", ["x" * 64, "a:b.c_d-e"])
def test_a_path_id_by_the_rule_reaches_the_lookup(
    client: TestClient, world: World, value: str
) -> None:
    answer = client.patch(f"/api/v1/gates/{value}", json={}, headers=world.user(Role.ADMIN))
    assert answer.status_code == 404


def test_a_body_id_follows_the_rule_with_a_clear_error(client: TestClient, world: World) -> None:
    admin = world.user(Role.ADMIN)
    refused = client.post("/api/v1/sites", json={"id": "a b", "name": "A"}, headers=admin)
    assert refused.status_code == 422
    error = refused.json()["detail"][0]
    assert error["loc"] == ["body", "id"] and "A-Za-z0-9._:-" in error["msg"]
    created = client.post("/api/v1/sites", json={"id": "x" * 64, "name": "A"}, headers=admin)
    assert created.status_code == 201, created.text


def test_a_user_name_is_an_id_without_a_colon(client: TestClient, world: World) -> None:
    admin = world.user(Role.ADMIN)
    body = {"password": "a long enough password", "role": "admin"}
    refused = client.post("/api/v1/users", json=body | {"username": "a:b"}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "username"]
    created = client.post("/api/v1/users", json=body | {"username": "a.b_c-d"}, headers=admin)
    assert created.status_code == 201, created.text
    path = client.patch("/api/v1/users/a:b", json={"active": False}, headers=admin)
    assert path.status_code == 422


def test_an_id_filter_may_be_empty_but_not_outside_the_rule(
    client: TestClient, world: World
) -> None:
    operator = world.user(Role.OPERATOR)
    assert client.get("/dashboard/api/muster?site_id=", headers=operator).status_code == 200
    answer = client.get(f"/dashboard/api/muster?site_id={TOO_LONG}", headers=operator)
    assert answer.status_code == 422
    assert client.get("/dashboard/api/muster?site_id=a%20b", headers=operator).status_code == 422
