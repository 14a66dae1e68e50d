"""The snapshot cache warmed at the API's start: the first full replica is assembled.

`central_api.replica.warmup` builds the sites' records on a background thread when a
server starts. A replica asked while its site is being built must wait for that build (one
build, never a half-built site) and equal the builder's answer but for `generated_at`;
after the warm-up a replica builds nothing. The largest sites are warmed first, no more
than the cache keeps; `PORTGATE_REPLICA_WARMUP=0` starts no warm-up. A server's warm-up
freezes what it kept out of the cyclic collector's sight. SQLite and PostgreSQL.
"""

import gc
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.people import add_face_template
from central_api.replica import snapshot_cache
from central_api.replica.builder import build_replica
from central_api.replica.snapshot_cache import PersonPart, SnapshotCache
from central_api.replica.warmup import SnapshotWarmup, warm_snapshot_cache
from gate_protocol.replica import ReplicaSnapshot
from testkit.api.decisions import book, enroll
from testkit.api.enrollment import random_template
from testkit.api.world import World

_WAIT_S = 120.0  # a loaded machine: generous, and only ever waited for a state


def _populate(engine: Engine, world: World, settings: Settings) -> None:
    """Three people at the world's site (two with faces, one booked), one at the other."""
    people = [enroll(engine, world, badge=badge) for badge in ("A1", "A2", "A3")]
    enroll(engine, world, badge="B1", site=world.other_site, zone="ams-quay")
    book(engine, world, people[2], [world.gate2])
    with Session(engine) as session:
        for n, person in enumerate(people[:2]):
            add_face_template(
                session=session,
                person_id=person,
                template=random_template(n),
                quality=0.9,
                key=settings.template_key_bytes(),
                actor="test",
            )


def _assembled(cache: SnapshotCache, engine: Engine, settings: Settings, gate: str) -> bytes:
    with Session(engine) as session:
        body = cache.snapshot_body(
            session=session,
            gate_id=gate,
            template_key=settings.template_key_bytes(),
            pass_keys=settings.pass_key_entries(),
        )
        session.commit()
    return body


def _built(engine: Engine, settings: Settings, gate: str) -> dict[str, Any]:
    with Session(engine) as session:
        built = build_replica(
            session=session,
            gate_id=gate,
            since=None,
            template_key=settings.template_key_bytes(),
            pass_keys=settings.pass_key_entries(),
        )
    assert isinstance(built, ReplicaSnapshot)
    answer: dict[str, Any] = json.loads(built.model_dump_json())
    answer.pop("generated_at")
    return answer


def _held_build(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[threading.Event, threading.Event]:
    """(started, release): the first site build signals `started`, then waits for `release`."""
    started, release = threading.Event(), threading.Event()
    real: Callable[..., dict[str, PersonPart]] = snapshot_cache._site_people

    def held(*args: Any, **kwargs: Any) -> dict[str, PersonPart]:
        if not started.is_set():
            started.set()
            assert release.wait(_WAIT_S)
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshot_cache, "_site_people", held)
    return started, release


def test_a_replica_asked_during_the_warm_up_waits_for_that_build(
    client: TestClient,
    world: World,
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _populate(engine, world, settings)
    cache = SnapshotCache()
    started, release = _held_build(monkeypatch)
    warmup = SnapshotWarmup(cache=cache, engine=engine, key=settings.template_key_bytes())
    warmup.start()
    assert started.wait(_WAIT_S)  # the warm-up is building the largest site now
    answers: list[bytes] = []
    asking = threading.Thread(
        target=lambda: answers.append(_assembled(cache, engine, settings, world.gate))
    )
    asking.start()
    asking.join(0.5)
    assert asking.is_alive() and not answers  # waits on the site being built
    release.set()
    assert warmup.wait(_WAIT_S)
    asking.join(_WAIT_S)
    assert len(answers) == 1
    assert cache.builds == 2  # the two sites, once each: the request built nothing
    ours = json.loads(answers[0])
    ours.pop("generated_at")
    assert ours == _built(engine, settings, world.gate)
    assert len(ours["persons"]) == 3 and len(ours["templates"]) == 2
    # After the warm-up the other gates' first replicas are assembled too.
    for gate in (world.gate2, world.other_gate):
        ours = json.loads(_assembled(cache, engine, settings, gate))
        ours.pop("generated_at")
        assert ours == _built(engine, settings, gate)
    assert cache.builds == 2


def test_the_largest_sites_are_warmed_first_and_no_more_than_the_cache_keeps(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    _populate(engine, world, settings)
    key = settings.template_key_bytes()
    everyone = SnapshotCache()
    assert warm_snapshot_cache(cache=everyone, engine=engine, key=key) == [
        world.site,
        world.other_site,
    ]
    one = SnapshotCache(sites=1)
    assert warm_snapshot_cache(cache=one, engine=engine, key=key) == [world.site]
    _assembled(one, engine, settings, world.gate)
    assert one.builds == 1  # the largest site was warm
    _assembled(one, engine, settings, world.other_gate)
    assert one.builds == 2  # the other was not: built on demand, as before


def test_a_server_s_warm_up_freezes_the_records_it_kept(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    _populate(engine, world, settings)
    key = settings.template_key_bytes()

    def tracked_parts() -> int:
        return sum(isinstance(o, PersonPart) for o in gc.get_objects())

    gc.unfreeze()
    try:
        plain = SnapshotWarmup(cache=SnapshotCache(), engine=engine, key=key)  # tests, tools
        plain.start()
        assert plain.wait(_WAIT_S)
        assert gc.get_freeze_count() == 0
        assert tracked_parts() > 0
        cache = SnapshotCache()
        server = SnapshotWarmup(cache=cache, engine=engine, key=key, freeze_gc=True)
        server.start()
        assert server.wait(_WAIT_S)
        assert cache.builds == 2
        assert gc.get_freeze_count() > 0
        assert tracked_parts() == 0  # every kept record is frozen: full collections skip it
        ours = json.loads(_assembled(cache, engine, settings, world.gate))
        ours.pop("generated_at")
        assert ours == _built(engine, settings, world.gate)
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("warm", [True, False])
def test_a_server_warms_the_cache_at_start_unless_switched_off(
    client: TestClient, world: World, engine: Engine, settings: Settings, warm: bool
) -> None:
    _populate(engine, world, settings)
    switched = settings.model_copy(update={"replica_warmup": warm})
    app = create_app(switched, engine=engine, server=True)
    with TestClient(app) as server:
        warmup = app.state.replica_warmup
        if not warm:
            assert warmup is None
            assert app.state.replica_snapshot_cache.builds == 0
            return
        assert isinstance(warmup, SnapshotWarmup) and warmup.wait(_WAIT_S)
        assert app.state.replica_snapshot_cache.builds == 2
        answer = server.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
        assert answer.status_code == 200, answer.text
        assert app.state.replica_snapshot_cache.builds == 2  # assembled from the warm cache
