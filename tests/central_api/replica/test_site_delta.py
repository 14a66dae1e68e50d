"""A delta's shared part is built once per site and change, and each gate still gets its own.

After a port ban bumps every site, each gate's delta through `SiteDeltaCache`, applied to
the replica the gate held, must give the gate's fresh snapshot (its own policy, keys, and
whether its zone allows the banned person), while the shared part is built once per site.
"""

import dataclasses
import json
import secrets
import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.bans import issue_ban
from central_api.crud.sites import create_gate, create_zone
from central_api.crud.users import create_user
from central_api.models import GateCreate, PortBanCreate, Role, Site, ZoneCreate
from central_api.replica.builder import build_replica
from central_api.replica.site_delta import SiteDelta, SiteDeltaCache
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, apply_delta
from testkit.ban_reach import seed_port

KEY = secrets.token_bytes(32)


def _delta(engine: Engine, gate: str, since: int, cache: SiteDeltaCache | None) -> ReplicaDelta:
    with Session(engine) as session:
        built = build_replica(
            session=session, gate_id=gate, since=since, template_key=KEY, pass_keys={}, cache=cache
        )
        session.commit()
    assert isinstance(built, ReplicaDelta)
    return built


def _snapshot(engine: Engine, gate: str) -> ReplicaSnapshot:
    with Session(engine) as session:
        built = build_replica(
            session=session, gate_id=gate, since=None, template_key=KEY, pass_keys={}
        )
        session.commit()
    assert isinstance(built, ReplicaSnapshot)
    return built


def _comparable(replica: ReplicaSnapshot | ReplicaDelta) -> dict[str, Any]:
    """The replica's content: record order and the build time left aside."""
    return {
        field: sorted(json.dumps(v, sort_keys=True) for v in value)
        if isinstance(value, list)
        else value
        for field, value in replica.model_dump(mode="json", exclude={"generated_at"}).items()
    }


def test_each_gate_s_cached_delta_equals_its_own_build_and_a_site_builds_once(
    engine: Engine,
) -> None:
    seed = seed_port(engine=engine, sites=2, gates_per_site=3, people_per_site=1)
    with Session(engine) as session:
        # A gate of s01 in a zone nobody is granted: the banned person is not in its replica.
        create_zone(
            session=session,
            zone_create=ZoneCreate(id="s01-office", site_id="s01", name="office"),
            actor="t",
        )
        create_gate(
            session=session,
            gate_create=GateCreate(id="s01-office-g", site_id="s01", zone_id="s01-office"),
            actor="t",
        )
        create_user(
            session=session, username="pa", password="pa-pass-0123", role=Role.AUTHORITY, actor="t"
        )
        before = {site: session.get(Site, site).replica_version for site in seed.sites}  # type: ignore[union-attr]
    gates = [*seed.gate_sites, "s01-office-g"]
    held = {gate: _snapshot(engine, gate) for gate in gates}
    with Session(engine) as session:
        issue_ban(
            session=session,
            body=PortBanCreate(person_id=seed.port_person, reason="theft", legal_reference="PA-9"),
            username="pa",
            four_eyes=False,
        )
    site_of = {**seed.gate_sites, "s01-office-g": "s01"}
    cache = SiteDeltaCache()
    cached: dict[str, ReplicaDelta] = {}

    def fetch(gate: str) -> None:
        cached[gate] = _delta(engine, gate, before[site_of[gate]], cache)

    threads = [threading.Thread(target=fetch, args=(gate,)) for gate in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.builds == len(seed.sites)
    for gate in gates:
        # Applied to what the gate held, each gate's delta gives the gate's fresh snapshot.
        assert _comparable(apply_delta(held[gate], cached[gate])) == _comparable(
            _snapshot(engine, gate)
        ), gate
        assert _comparable(cached[gate]) == _comparable(
            _delta(engine, gate, before[site_of[gate]], None)
        ), gate
    banned = cached["s01-g01"].persons
    assert [p.person_id for p in banned] == [seed.port_person]
    assert [b.legal_reference for b in banned[0].port_bans] == ["PA-9"]
    assert cached["s02-g03"].persons == banned  # the other site's gates: the same record
    assert cached["s01-office-g"].persons == ()
    assert cached["s01-office-g"].deleted_person_ids == (seed.port_person,)
    assert cached["s01-office-g"].gate.gate_id == "s01-office-g"


def test_a_failed_build_leaves_no_entry_and_an_expired_one_is_built_again() -> None:
    now = [0.0]
    cache = SiteDeltaCache(ttl_s=5, clock=lambda: now[0])
    empty = SiteDelta(
        people=frozenset(),
        persons={},
        credentials={},
        templates={},
        appointments=(),
        removed_templates={},
        watchlist=None,
        zone_people={},
    )

    def fail() -> SiteDelta:
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError, match="database away"):
        cache.get(("s01", 1, 2), fail)
    assert cache.get(("s01", 1, 2), lambda: empty) is empty
    assert cache.get(("s01", 1, 2), fail) is empty  # served, not built again
    now[0] = 6.0
    rebuilt = dataclasses.replace(empty)
    assert cache.get(("s01", 1, 2), lambda: rebuilt) is rebuilt
    assert cache.builds == 2
