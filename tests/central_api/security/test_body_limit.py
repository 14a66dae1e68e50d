"""Oversized request bodies are refused before anything reads them."""

from fastapi.testclient import TestClient

from central_api.app import MAX_BODY_BYTES
from testkit.api.world import World


def test_a_body_over_the_limit_is_refused_with_413(client: TestClient, world: World) -> None:
    body = b"x" * (MAX_BODY_BYTES + 1)
    answer = client.post(
        "/api/v1/events",
        content=body,
        headers={**world.gate_key(), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert "request body over" in answer.json()["detail"]


def test_a_body_within_the_limit_reaches_the_route(client: TestClient, world: World) -> None:
    answer = client.post("/api/v1/events", json={"events": []}, headers=world.gate_key())
    assert answer.status_code in (200, 422)  # the route answered, not the limit
    assert answer.status_code != 413
