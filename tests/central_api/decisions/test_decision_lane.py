"""The decision lane answers warm gates' ordinary requests; the route answers everything else.

The lane (`central_api.decisions.lane`) must give the same answers as the FastAPI route it
stands in front of, and hand every unusual request to that route with its body intact.
Run on SQLite and on PostgreSQL.
"""

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from central_api.security.gate_keys import hash_key
from testkit.api.decisions import enroll, query
from testkit.api.world import World

DECISIONS = "/api/v1/decisions"


def answered(client: TestClient) -> int:
    count: int = client.app.state.decision_lane_answered  # type: ignore[attr-defined]
    return count


def decide(client: TestClient, world: World, body: object) -> tuple[int, dict[str, object]]:
    response = client.post(DECISIONS, json=body, headers=world.gate_key())
    return response.status_code, response.json()


def test_a_warm_gate_is_answered_by_the_lane_as_the_route_answers(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="0A01")
    before = answered(client)
    # The key's first use is looked up by the route, which keeps it for the lane.
    cold = decide(client, world, query("0A01"))
    assert answered(client) == before
    warm = decide(client, world, query("0A01"))
    assert answered(client) == before + 1
    assert cold == warm
    assert warm[0] == 200 and warm[1]["decision"] == "granted"
    # A denial with its reason comes out of the lane the same way.
    status, body = decide(client, world, query("FFEE99"))
    assert answered(client) == before + 2
    assert status == 200
    assert (body["decision"], body["reason"]) == ("denied", "unknown_credential")


def test_unusual_requests_go_to_the_route_with_their_body(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="0A02")
    assert decide(client, world, query("0A02"))[0] == 200  # the key is warm now
    before = answered(client)
    # A body that does not validate: the route's 422, naming the field.
    status, body = decide(client, world, query("0A02", direction="sideways"))
    assert status == 422
    assert "direction" in json.dumps(body)
    # No JSON content type: the route's answer (it does not read the body as JSON).
    raw = json.dumps(query("0A02")).encode()
    response = client.post(
        DECISIONS, content=raw, headers={**world.gate_key(), "Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    # An unknown key: 401 from the route.
    response = client.post(DECISIONS, json=query("0A02"), headers={"X-Gate-Key": "x" * 40})
    assert response.status_code == 401
    # A declared body over the limit: 413 before anything reads it.
    response = client.post(
        DECISIONS,
        content=b"{}",
        headers={**world.gate_key(), "Content-Type": "application/json", "Content-Length": "9" * 9},
    )
    assert response.status_code == 413
    assert answered(client) == before


def test_a_key_revoked_after_it_was_warm_is_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="0A03")
    for _ in range(2):
        assert decide(client, world, query("0A03"))[0] == 200
    with Session(engine) as session:  # only the trigger tells the process
        session.execute(
            text("UPDATE agentkey SET revoked_at = CURRENT_TIMESTAMP WHERE gate_id = :g"),
            {"g": world.gate},
        )
        session.commit()
    before = answered(client)
    status, body = decide(client, world, query("0A03"))
    assert status == 401
    assert "revoked" in str(body["detail"])
    assert answered(client) == before


def test_a_preloaded_key_is_answered_by_the_lane_and_refused_at_once_when_revoked(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="0A04")
    assert decide(client, world, query("0A04"))[0] == 200  # a generation, preloaded
    cache = client.app.state.decision_cache  # type: ignore[attr-defined]
    assert cache.wait_preloaded(10)
    assert hash_key(world.gate_key(world.gate2)["X-Gate-Key"]) in cache.current().gate_keys
    before = answered(client)
    # The second gate never called: its key came with the preload, so the lane answers.
    first = client.post(DECISIONS, json=query("0A04"), headers=world.gate_key(world.gate2))
    assert first.status_code == 200
    assert answered(client) == before + 1
    with Session(engine) as session:  # only the trigger tells the process
        session.execute(
            text("UPDATE agentkey SET revoked_at = CURRENT_TIMESTAMP WHERE gate_id = :g"),
            {"g": world.gate2},
        )
        session.commit()
    refused = client.post(DECISIONS, json=query("0A04"), headers=world.gate_key(world.gate2))
    assert refused.status_code == 401
    assert answered(client) == before + 1
