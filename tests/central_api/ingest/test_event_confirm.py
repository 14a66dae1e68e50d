"""`POST /api/v1/events/known`: a gate learns which of its own events the API has stored."""

import pytest
from fastapi.testclient import TestClient

from central_api.models import Role
from testkit.api.world import World, make_event

KNOWN = "/api/v1/events/known"


def known(answer: object) -> list[str]:
    """The known ids of an answer, sorted (the contract names a subset, in no order)."""
    return sorted(answer.json()["known"])  # type: ignore[attr-defined]


def store(client: TestClient, world: World, *events: object, gate: str | None = None) -> None:
    body = {"events": [e.model_dump(mode="json") for e in events]}  # type: ignore[attr-defined]
    answer = client.post("/api/v1/events", json=body, headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text


def test_stored_ids_are_known_and_others_are_not(client: TestClient, world: World) -> None:
    store(client, world, make_event(1), make_event(2))
    answer = client.post(
        KNOWN, json={"event_ids": ["ev-2", "ev-3", "ev-1", "ev-2"]}, headers=world.gate_key()
    )
    assert answer.status_code == 200, answer.text
    assert known(answer) == ["ev-1", "ev-2"]


def test_nothing_stored_means_nothing_known(client: TestClient, world: World) -> None:
    answer = client.post(KNOWN, json={"event_ids": ["ev-1"]}, headers=world.gate_key())
    assert answer.status_code == 200 and answer.json() == {"known": []}


def test_other_gates_events_are_not_revealed(client: TestClient, world: World) -> None:
    store(client, world, make_event(1), gate=world.gate2)
    store(client, world, make_event(2), gate=world.other_gate)
    store(client, world, make_event(3))
    query = {"event_ids": ["ev-1", "ev-2", "ev-3"]}
    assert known(client.post(KNOWN, json=query, headers=world.gate_key())) == ["ev-3"]
    same_site = client.post(KNOWN, json=query, headers=world.gate_key(world.gate2))
    assert known(same_site) == ["ev-1"]
    other_site = client.post(KNOWN, json=query, headers=world.gate_key(world.other_gate))
    assert known(other_site) == ["ev-2"]


def test_anonymous_and_users_are_refused(client: TestClient, world: World) -> None:
    query = {"event_ids": ["ev-1"]}
    assert client.post(KNOWN, json=query).status_code == 401
    assert client.post(KNOWN, json=query, headers={"X-Gate-Key": "nope"}).status_code == 401
    for role in Role:
        assert client.post(KNOWN, json=query, headers=world.user(role)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"event_ids": []},
        {"event_ids": [f"ev-{n}" for n in range(501)]},
        {"event_ids": ["bad id"]},
        {"event_ids": ["x" * 65]},
        {"event_ids": "ev-1"},
        {},
        {"event_ids": ["ev-1"], "extra": 1},
    ],
)
def test_bad_queries_get_422(client: TestClient, world: World, body: object) -> None:
    answer = client.post(KNOWN, json=body, headers=world.gate_key())
    assert answer.status_code == 422, answer.text


def test_a_full_batch_is_answered(client: TestClient, world: World) -> None:
    store(client, world, *(make_event(n) for n in range(0, 500, 50)))
    query = {"event_ids": [f"ev-{n}" for n in range(500)]}
    answer = client.post(KNOWN, json=query, headers=world.gate_key())
    assert known(answer) == sorted(f"ev-{n}" for n in range(0, 500, 50))
