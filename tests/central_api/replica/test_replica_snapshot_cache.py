"""A full replica assembled from the site's kept records is the builder's, to the byte.

`SnapshotCache` (central_api/replica/snapshot_cache.py) keeps each site's serialized
records and patches them from the change feed. On a populated site (templates, a port ban,
a watchlist flag, a schedule, a competency, appointments, a visitor-free driver booked at
one gate) its answer must equal `build_replica(since=None)`'s serialization, but for
`generated_at`: first built, then after person changes (patched, not rebuilt), then after
a site-wide change (rebuilt). Run on SQLite and PostgreSQL.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.crud.bans import issue_ban
from central_api.crud.people import add_face_template, remove_from_group, update_person
from central_api.crud.rules import add_watchlist_entry
from central_api.crud.sites import set_threat_level
from central_api.models import (
    PersonAccessGroup,
    PersonUpdate,
    PortBanCreate,
    WatchlistEntryCreate,
)
from central_api.replica.builder import build_replica
from central_api.replica.snapshot_cache import SnapshotCache
from gate_protocol.records import PersonKind, PersonStatus, WatchlistAction
from gate_protocol.replica import ReplicaSnapshot, decode_replica
from testkit.api.decisions import book, enroll, give_competency, night_schedule
from testkit.api.enrollment import random_template
from testkit.api.world import World


def _populate(engine: Engine, world: World, settings: Settings) -> dict[str, str]:
    night = night_schedule(engine)
    people = {
        "plain": enroll(engine, world, badge="A1"),
        "faces": enroll(engine, world, badge="A2"),
        "night": enroll(engine, world, badge="A3", schedule=night),
        "banned": enroll(engine, world, badge="A4"),
        "flagged": enroll(engine, world, badge="A5"),
        "driver": enroll(engine, world, badge="C1", kind=PersonKind.DRIVER, zone="quay"),
        "elsewhere": enroll(engine, world, badge="B1", site=world.other_site, zone="ams-quay"),
    }
    give_competency(engine, people["plain"], "crane", datetime.now(UTC) + timedelta(days=30))
    book(engine, world, people["driver"], [world.gate])
    book(engine, world, people["plain"], [world.gate2])
    with Session(engine) as session:
        for n, who in enumerate(("faces", "faces", "banned", "flagged")):
            _template(session, settings, people[who], n)
        issue_ban(
            session=session,
            body=PortBanCreate(person_id=people["banned"], reason="theft", legal_reference="PA-1"),
            username="pa-officer",
            four_eyes=False,
        )
        add_watchlist_entry(
            session=session,
            entry_create=WatchlistEntryCreate(
                person_id=people["flagged"], action=WatchlistAction.DENY, reason="seen"
            ),
            actor="test",
        )
    return people


def _template(session: Session, settings: Settings, person: str, seed: int) -> None:
    add_face_template(
        session=session,
        person_id=person,
        template=random_template(seed),
        quality=0.9,
        key=settings.template_key_bytes(),
        actor="test",
    )


def _both(
    engine: Engine, settings: Settings, cache: SnapshotCache, gate: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the cache's answer, the builder's), parsed, without their `generated_at`."""
    key, passes = settings.template_key_bytes(), settings.pass_key_entries()
    with Session(engine) as session:
        fast = cache.snapshot_body(
            session=session, gate_id=gate, template_key=key, pass_keys=passes
        )
        session.commit()
    with Session(engine) as session:
        built = build_replica(
            session=session, gate_id=gate, since=None, template_key=key, pass_keys=passes
        )
    assert isinstance(built, ReplicaSnapshot)
    assert isinstance(decode_replica(fast), ReplicaSnapshot)
    ours, theirs = json.loads(fast), json.loads(built.model_dump_json())
    for answer in (ours, theirs):
        answer.pop("generated_at")
    return ours, theirs


def test_the_assembled_snapshot_is_the_built_one_before_and_after_changes(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    people = _populate(engine, world, settings)
    cache = SnapshotCache()
    for gate in (world.gate, world.gate2, world.other_gate):
        ours, theirs = _both(engine, settings, cache, gate)
        assert ours == theirs
    ours, _ = _both(engine, settings, cache, world.gate)
    assert len(ours["templates"]) == 4 and ours["watchlist"] and ours["appointments"]
    assert {p["person_id"] for p in ours["persons"]} == set(people.values()) - {people["elsewhere"]}
    assert any(p["port_bans"] for p in ours["persons"])
    assert cache.builds == 2  # one per site; the second gate of rtm reused its records

    # Person changes: the kept records are patched from the change feed, not rebuilt.
    with Session(engine) as session:
        update_person(
            session=session,
            person_id=people["plain"],
            person_update=PersonUpdate(display_name="Renamed", status=PersonStatus.SUSPENDED),
            actor="test",
        )
        _template(session, settings, people["plain"], 9)
        group = session.exec(
            select(PersonAccessGroup.group_id).where(PersonAccessGroup.person_id == people["night"])
        ).one()
        remove_from_group(session=session, person_id=people["night"], group_id=group, actor="test")
    for gate in (world.gate, world.gate2):
        ours, theirs = _both(engine, settings, cache, gate)
        assert ours == theirs
    assert people["night"] not in {p["person_id"] for p in ours["persons"]}
    assert cache.builds == 2 and cache.patched >= 2

    # A change of the whole site (no person named) rebuilds the site's records.
    with Session(engine) as session:
        set_threat_level(session=session, site_id=world.site, level=2, actor="test")
    ours, theirs = _both(engine, settings, cache, world.gate)
    assert ours == theirs and ours["threat_level"] == 2
    assert cache.builds == 3


def test_the_route_answers_a_full_replica_from_the_cache(
    client: TestClient, app: FastAPI, world: World, engine: Engine, settings: Settings
) -> None:
    _populate(engine, world, settings)
    answer = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    assert app.state.replica_snapshot_cache.builds == 1
    snapshot = decode_replica(answer.content)
    assert isinstance(snapshot, ReplicaSnapshot) and len(snapshot.templates) == 4
    # Another gate's key is refused (as if the gate were not there) and builds nothing.
    refused = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key("ams-1"))
    assert refused.status_code == 404
    assert app.state.replica_snapshot_cache.builds == 1
