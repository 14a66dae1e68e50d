"""Decision inputs cached per process stay correct: every change reaches every worker at once.

Two apps on one database stand for two `portgate api` worker processes: each has its own
`DecisionCache`. Both run on SQLite and on PostgreSQL (the triggers of migration 0003).
"""

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.decision_data.cache import DecisionCache, Generation
from central_api.models import Credential, DecisionDataVersion, Zone
from gate_protocol.records import AntiPassback
from testkit.api.decisions import enroll, query
from testkit.api.world import World, make_event


@pytest.fixture
def second(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A second worker: another app (and cache) on the same database."""
    with TestClient(create_app(settings, engine=engine)) as other:
        yield other


def decide(client: TestClient, world: World, badge: str) -> dict[str, object]:
    answer = client.post("/api/v1/decisions", json=query(badge), headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def data_version(engine: Engine) -> int:
    with Session(engine) as session:
        row = session.get(DecisionDataVersion, 1)
        assert row is not None
        return row.version


def test_a_revocation_through_one_worker_denies_at_the_other_at_once(
    client: TestClient, second: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="C1")
    assert decide(client, world, "C1")["decision"] == "granted"  # worker 1 caches C1
    assert decide(client, world, "C1")["decision"] == "granted"
    with Session(engine) as session:
        credential = session.exec(select(Credential).where(Credential.ref == "C1")).one()
    revoked = second.post(f"/api/v1/credentials/{credential.id}/revoke", headers=world.user_desk())
    assert revoked.status_code == 200, revoked.text
    answer = decide(client, world, "C1")
    assert (answer["decision"], answer["reason"]) == ("denied", "revoked")


def test_a_change_by_hand_written_sql_is_seen_by_the_next_decision(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="C2")
    assert decide(client, world, "C2")["decision"] == "granted"
    before = data_version(engine)
    with Session(engine) as session:  # no API, no replica bump: only the triggers know
        session.execute(text("UPDATE person SET status = 'suspended'"))
        session.commit()
    assert data_version(engine) > before
    answer = decide(client, world, "C2")
    assert (answer["decision"], answer["reason"]) == ("denied", "person_suspended")


def test_zone_rules_edited_in_the_database_apply_to_the_next_decision(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="C3")
    assert decide(client, world, "C3")["decision"] == "granted"
    with Session(engine) as session:
        zone = session.get(Zone, world.zone)
        assert zone is not None
        zone.required_competencies = ["ISPS"]
        session.add(zone)
        session.commit()
    assert decide(client, world, "C3")["reason"] == "competency_expired"


def test_unchanged_data_is_served_from_the_cache(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="C4")
    decide(client, world, "C4")
    cache: DecisionCache = client.app.state.decision_cache  # type: ignore[attr-defined]
    reloads = cache.reloads
    generation = cache.current()
    for _ in range(3):
        assert decide(client, world, "C4")["decision"] == "granted"
    assert cache.reloads == reloads
    assert cache.current() is generation
    assert generation.version == data_version(engine)
    assert ("badge", "C4") in generation.credentials


def test_anti_passback_state_is_read_live_not_cached(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="C5")
    with Session(engine) as session:
        zone = session.get(Zone, world.zone)
        assert zone is not None
        zone.anti_passback = AntiPassback.HARD
        session.add(zone)
        session.commit()
    assert decide(client, world, "C5")["decision"] == "granted"
    # The agent reports the passage; no decision input changed, the cache stays.
    with Session(engine) as session:
        person = session.exec(select(Credential).where(Credential.ref == "C5")).one().person_id
    entered = make_event(1, person_id=person, passed=True)
    stored = client.post(
        "/api/v1/events",
        json={"events": [entered.model_dump(mode="json")]},
        headers=world.gate_key(world.gate2),
    )
    assert stored.json()["stored"] == 1
    answer = decide(client, world, "C5")
    assert (answer["decision"], answer["reason"]) == ("denied", "anti_passback")


def test_a_fresh_generation_is_preloaded_in_the_background(
    client: TestClient, world: World, engine: Engine
) -> None:
    people = [enroll(engine, world, badge=f"D{n}") for n in range(3)]
    assert decide(client, world, "D0")["decision"] == "granted"
    cache: DecisionCache = client.app.state.decision_cache  # type: ignore[attr-defined]
    assert cache.wait_preloaded(10)
    generation = cache.current()
    assert generation.version == data_version(engine)
    # The others were never presented, yet their inputs are there.
    assert all(person in generation.people for person in people)
    assert {("badge", f"D{n}") for n in range(3)} <= set(generation.credentials)
    assert world.gate2 in generation.gates
    assert decide(client, world, "D2")["decision"] == "granted"
    assert cache.current() is generation


def test_a_finished_preload_freezes_what_it_loaded_out_of_the_collector_s_sight() -> None:
    loaded: list[object] = []

    def preload(cache: DecisionCache, generation: Generation) -> None:
        # Long-lived container objects, as a generation of 10,000 people holds.
        loaded.extend({"person": n} for n in range(1000))

    gc.unfreeze()
    try:
        unfrozen = DecisionCache(preload=preload)  # the default: many apps per process
        unfrozen.generation(7)
        assert unfrozen.wait_preloaded(10)
        assert gc.get_freeze_count() == 0
        cache = DecisionCache(preload=preload, freeze_gc=True)  # `portgate api`
        cache.generation(7)
        assert cache.wait_preloaded(10)
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.unfreeze()


def test_a_server_s_preload_freezes_each_chunk_as_it_goes() -> None:
    frozen_midway: list[int] = []

    def preload(cache: DecisionCache, generation: Generation) -> None:
        kept = [{"person": n} for n in range(1000)]  # one chunk's long-lived records
        cache.loaded_some()
        frozen_midway.append(gc.get_freeze_count())
        del kept

    gc.unfreeze()
    try:
        unfrozen = DecisionCache(preload=preload)  # many apps per process: nothing frozen
        unfrozen.generation(7)
        assert unfrozen.wait_preloaded(10)
        cache = DecisionCache(preload=preload, freeze_gc=True)  # `portgate api`
        cache.generation(7)
        assert cache.wait_preloaded(10)
        assert frozen_midway[0] == 0
        assert frozen_midway[1] >= 1000
    finally:
        gc.unfreeze()
