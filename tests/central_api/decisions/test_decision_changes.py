"""A change to some people's rows drops only those people from a worker's decision inputs.

The triggers of migration 0008 note what each version touched; the decision cache keeps
every other entry (`carried`) and still decides the changed people on their new data.
Everything runs on SQLite and on PostgreSQL.
"""

import gc
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.decision_data.cache import CredentialInputs, DataChanges, DecisionCache, Generation
from central_api.decision_data.changes import read_data_changes
from central_api.gc_watch import stop_watching_gc
from central_api.models import Credential, DecisionDataChange, DecisionDataVersion
from central_api.models.versions import DECISION_CHANGE_KEPT, DECISION_CHANGE_PRUNE_EVERY
from gate_protocol.messages import CredentialKind
from gate_protocol.records import CredentialRecord
from testkit.api.decisions import enroll, query
from testkit.api.world import World


def decide(client: TestClient, world: World, badge: str) -> tuple[str, str]:
    answer = client.post("/api/v1/decisions", json=query(badge), headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["decision"], body["reason"]


def cache_of(client: TestClient) -> DecisionCache:
    cache: DecisionCache = client.app.state.decision_cache  # type: ignore[attr-defined]
    return cache


def run_sql(engine: Engine, statement: str, **params: object) -> None:
    with Session(engine) as session:
        session.execute(text(statement), params)
        session.commit()


def data_version(engine: Engine) -> int:
    with Session(engine) as session:
        row = session.get(DecisionDataVersion, 1)
        assert row is not None
        return row.version


def loaded(client: TestClient, world: World, engine: Engine, badges: list[str]) -> Generation:
    """Every badge decided once (granted), the preload finished: the generation in use."""
    for badge in badges:
        assert decide(client, world, badge) == ("granted", "granted")
    cache = cache_of(client)
    assert cache.wait_preloaded(10)
    generation = cache.current()
    assert generation.version == data_version(engine)
    return generation


def test_a_suspension_drops_that_person_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    suspended = enroll(engine, world, badge="A1")
    other = enroll(engine, world, badge="A2")
    before = loaded(client, world, engine, ["A1", "A2"])
    cache = cache_of(client)
    reloads, carried = cache.reloads, cache.carried
    run_sql(engine, "UPDATE person SET status = 'suspended' WHERE id = :id", id=suspended)

    assert decide(client, world, "A1") == ("denied", "person_suspended")
    assert decide(client, world, "A2") == ("granted", "granted")
    after = cache.current()
    assert (cache.reloads, cache.carried) == (reloads, carried + 1)
    assert after.version == data_version(engine)
    assert after.people[other] is before.people[other], "the other person was not loaded again"
    assert after.gates == before.gates
    person = after.people[suspended]
    assert person is not None and person is not before.people[suspended]


def test_a_badge_unknown_a_moment_ago_is_found_once_issued(
    client: TestClient, world: World, engine: Engine
) -> None:
    holder = enroll(engine, world, badge="B1")
    loaded(client, world, engine, ["B1"])
    assert decide(client, world, "B2") == ("denied", "unknown_credential")  # held as "none"
    with Session(engine) as session:
        first = session.exec(select(Credential).where(Credential.ref == "B1")).one()
        session.add(
            Credential(person_id=holder, kind=first.kind, ref="B2", badge_format=first.badge_format)
        )
        session.commit()
    assert decide(client, world, "B2") == ("granted", "granted")
    assert cache_of(client).carried >= 1


def test_a_badge_moved_to_another_person_decides_for_the_new_holder(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="C1")
    newcomer = enroll(engine, world, badge="C2")
    run_sql(engine, "UPDATE person SET status = 'suspended' WHERE id = :id", id=newcomer)
    loaded(client, world, engine, ["C1"])
    run_sql(engine, "UPDATE credential SET person_id = :p WHERE ref = 'C1'", p=newcomer)
    assert decide(client, world, "C1") == ("denied", "person_suspended")


def test_a_zone_rule_change_loads_everything_again(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="D1")
    loaded(client, world, engine, ["D1"])
    cache = cache_of(client)
    reloads, carried = cache.reloads, cache.carried
    run_sql(engine, "UPDATE zone SET anti_passback = 'hard' WHERE id = :id", id=world.zone)
    assert decide(client, world, "D1") == ("granted", "granted")
    assert (cache.reloads, cache.carried) == (reloads + 1, carried)


def test_a_version_without_notes_loads_everything_again(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="D2")
    loaded(client, world, engine, ["D2"])
    cache = cache_of(client)
    reloads = cache.reloads
    # A version some writer bumped by hand: nothing says what it touched.
    run_sql(engine, "UPDATE decision_data_version SET version = version + 1 WHERE id = 1")
    run_sql(engine, "UPDATE person SET status = 'suspended' WHERE id = :id", id=person)
    assert decide(client, world, "D2") == ("denied", "person_suspended")
    assert cache.reloads == reloads + 1


def test_the_notes_name_the_people_and_refs_a_version_touched(world: World, engine: Engine) -> None:
    first = enroll(engine, world, badge="F1")
    second = enroll(engine, world, badge="F2")
    start = data_version(engine)
    run_sql(engine, "UPDATE person SET status = 'suspended' WHERE id = :id", id=first)
    run_sql(engine, "UPDATE credential SET person_id = :p WHERE ref = 'F1'", p=second)
    with Session(engine) as session:
        changes = read_data_changes(session, start, data_version(engine))
        assert changes == DataChanges(
            people=frozenset({first, second}), credential_refs=frozenset({"F1"})
        )
        assert read_data_changes(session, start, start) is None
    touched = data_version(engine)
    run_sql(engine, "UPDATE zone SET anti_passback = 'hard' WHERE id = :id", id=world.zone)
    with Session(engine) as session:
        assert read_data_changes(session, start, data_version(engine)) is None  # a shared row
        assert read_data_changes(session, start, touched) is not None


def test_a_statement_that_changes_no_row_bumps_nothing(world: World, engine: Engine) -> None:
    enroll(engine, world, badge="E1")
    before = data_version(engine)
    run_sql(engine, "UPDATE person SET status = 'revoked' WHERE id = 'nobody'")
    run_sql(engine, "DELETE FROM credential WHERE ref = 'nothing'")
    assert data_version(engine) == before


def test_the_triggers_delete_notes_too_old_to_be_used(world: World, engine: Engine) -> None:
    person = enroll(engine, world, badge="AB1")
    # Far ahead, and the next change lands on a version where PostgreSQL prunes.
    every = DECISION_CHANGE_PRUNE_EVERY
    ahead = (data_version(engine) + DECISION_CHANGE_KEPT) // every * every + every - 1
    run_sql(engine, "UPDATE decision_data_version SET version = :v WHERE id = 1", v=ahead)
    run_sql(engine, "UPDATE person SET status = 'suspended' WHERE id = :id", id=person)
    latest = data_version(engine)
    with Session(engine) as session:
        versions = session.exec(select(DecisionDataChange.version)).all()
    assert versions and min(versions) > latest - DECISION_CHANGE_KEPT
    assert latest in versions


def changes_of(people: set[str], refs: set[str] | None = None) -> Callable[[int, int], DataChanges]:
    return lambda after, upto: DataChanges(
        people=frozenset(people), credential_refs=frozenset(refs or set())
    )


def test_a_request_that_read_an_older_version_does_not_replace_the_newer_one() -> None:
    cache = DecisionCache()
    newer = cache.generation(5)
    late = cache.generation(4, changes=changes_of(set()))
    assert late.version == 4 and late is not newer
    assert cache.current() is newer
    assert cache.generation(5) is newer


def test_a_carried_generation_drops_the_touched_people_their_credentials_and_refs() -> None:
    cache = DecisionCache()
    old = cache.generation(1)
    badge = CredentialRecord(kind=CredentialKind.BADGE, ref="B1", person_id="moved")
    old.credentials[("badge", "B1")] = CredentialInputs(record=badge, person_id="moved")
    old.credentials[("badge", "B2")] = None  # looked up: no such badge
    old.credentials[("badge", "B3")] = None
    old.people["moved"] = None
    old.people["kept"] = None
    new = cache.generation(2, changes=changes_of({"moved"}, {"B2"}))
    assert cache.current() is new and cache.carried == 1
    assert set(new.credentials) == {("badge", "B3")}
    assert set(new.people) == {"kept"}
    assert ("badge", "B1") in old.credentials, "the old generation is left as it was"


def test_a_server_loads_every_decision_input_before_it_serves(
    settings: Settings, world: World, engine: Engine
) -> None:
    people = [enroll(engine, world, badge=f"5E{n}") for n in range(3)]
    try:
        with TestClient(create_app(settings, engine=engine, server=True)) as server:
            cache = cache_of(server)
            generation = cache.current()
            assert generation.version == data_version(engine)
            assert all(person in generation.people for person in people)
            assert cache.wait_preloaded(0)
            assert decide(server, world, "5E1") == ("granted", "granted")
            assert cache.current() is generation
    finally:
        gc.unfreeze()  # a server freezes what it loaded; this process makes many apps
        stop_watching_gc()


def test_suspensions_between_other_people_s_changes_always_decide_on_current_data(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="CA1")
    others = [enroll(engine, world, badge=f"CB{n}") for n in range(3)]
    loaded(client, world, engine, ["CA1", "CB0", "CB1", "CB2"])
    cache = cache_of(client)
    reloads = cache.reloads
    for round_ in range(6):
        other = others[round_ % len(others)]
        run_sql(engine, "UPDATE person SET status = 'suspended' WHERE id = :id", id=other)
        run_sql(engine, "UPDATE person SET status = 'suspended' WHERE id = :id", id=person)
        assert decide(client, world, "CA1") == ("denied", "person_suspended")
        assert decide(client, world, f"CB{round_ % len(others)}")[0] == "denied"
        run_sql(engine, "UPDATE person SET status = 'active' WHERE id = :id", id=person)
        run_sql(engine, "UPDATE person SET status = 'active' WHERE id = :id", id=other)
        assert decide(client, world, "CA1") == ("granted", "granted")
    assert cache.reloads == reloads, "only people changed: nothing was loaded again whole"
    assert cache.carried >= 12
