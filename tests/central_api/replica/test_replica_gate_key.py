"""A gate's replica request checks its key without moving the decision-input generation.

After a change, the first request that moved a worker's decision generation carried every
other entry over (200,000 at a port's 100,000 people) and started a preload: a gate's
delta did that work before its own, 0.5 s over HTTP against 20 ms to build it
(docs/performance.md, issue 24.4, fifth pass). The replica route now looks a key up in the
database while the generation is stale and leaves the move to the next decision; a key
revoked meanwhile is still refused at once. SQLite and PostgreSQL.
"""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from central_api.crud.people import update_person
from central_api.decision_data.cache import DecisionCache
from central_api.models import PersonUpdate
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, decode_replica
from testkit.api.decisions import enroll, query
from testkit.api.world import World


def _decide(client: TestClient, world: World) -> str:
    answer = client.post("/api/v1/decisions", json=query("CA1"), headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    return str(answer.json()["decision"])


def _replica(client: TestClient, world: World, since: int | None = None) -> bytes:
    suffix = "" if since is None else f"?since={since}"
    answer = client.get(f"/api/v1/gates/{world.gate}/replica{suffix}", headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    return answer.content


def test_a_delta_after_a_change_leaves_the_decision_generation_to_the_decisions(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="CA1")
    assert _decide(client, world) == "granted"  # the generation knows the key and the person
    snapshot = decode_replica(_replica(client, world))
    assert isinstance(snapshot, ReplicaSnapshot)
    cache: DecisionCache = client.app.state.decision_cache  # type: ignore[attr-defined]
    generation, moves = cache.current(), (cache.carried, cache.reloads)
    until = datetime(2040, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        update_person(
            session=session,
            person_id=person,
            person_update=PersonUpdate(valid_until=until),
            actor="test",
        )
    delta = decode_replica(_replica(client, world, since=snapshot.version))
    assert isinstance(delta, ReplicaDelta)
    assert [p.person_id for p in delta.persons] == [person]
    assert delta.persons[0].valid_until == until
    full = decode_replica(_replica(client, world))
    assert isinstance(full, ReplicaSnapshot) and full.version == delta.version
    assert cache.current() is generation  # neither replica request moved it
    assert (cache.carried, cache.reloads) == moves
    assert _decide(client, world) == "granted"  # the decision moves it, carrying the rest
    assert cache.current() is not generation
    assert cache.carried == moves[0] + 1


def test_a_key_revoked_while_the_generation_is_stale_is_refused_by_the_replica_route(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="CA1")
    assert _decide(client, world) == "granted"
    _replica(client, world)
    cache: DecisionCache = client.app.state.decision_cache  # type: ignore[attr-defined]
    generation = cache.current()
    with Session(engine) as session:  # no API: only the version's trigger tells the worker
        session.execute(
            text("UPDATE agentkey SET revoked_at = CURRENT_TIMESTAMP WHERE gate_id = :g"),
            {"g": world.gate},
        )
        session.commit()
    for since in (None, 0):
        suffix = "" if since is None else f"?since={since}"
        answer = client.get(f"/api/v1/gates/{world.gate}/replica{suffix}", headers=world.gate_key())
        assert answer.status_code == 401
    assert cache.current() is generation
