"""A gate's delta after one change costs few round trips and still says what changed.

On a loaded 2-core machine each statement of a delta request waits for a core twice, so
the delta's wall time grows with its statements (docs/performance.md, issue 24.4). The
gate, its site and its zone are read in one statement and the gate's command keys in
one, and the changed people's activations with the zones granted them in one: a delta
after one person's change runs 13 statements (17 before), and applied to
the snapshot the gate held it gives the gate's fresh snapshot. SQLite and PostgreSQL.
"""

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.crud.people import update_person
from central_api.models import PersonUpdate, Site
from central_api.replica.builder import build_replica
from central_api.replica.site_delta import SiteDeltaCache
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, apply_delta
from testkit.api.decisions import enroll
from testkit.api.world import World
from testkit.sql_statements import statements_run

# The gate with its site and zone 1, its command keys 1, the change feed 1, the changed
# person's activation with the site's zones granted them 1, their record (person, grants,
# competencies, watchlist, escort host, bans) 6, credentials, templates, appointments 3.
DELTA_STATEMENTS = 13


def _replica(
    engine: Engine, settings: Settings, gate: str, since: int | None
) -> ReplicaSnapshot | ReplicaDelta:
    with Session(engine) as session:
        built = build_replica(
            session=session,
            gate_id=gate,
            since=since,
            template_key=settings.template_key_bytes(),
            pass_keys=settings.pass_key_entries(),
            cache=SiteDeltaCache(),
        )
        session.commit()
    return built


def _content(replica: ReplicaSnapshot) -> dict[str, Any]:
    """The replica's content: record order and the build time left aside."""
    return {
        field: sorted(json.dumps(v, sort_keys=True) for v in value)
        if isinstance(value, list)
        else value
        for field, value in replica.model_dump(mode="json", exclude={"generated_at"}).items()
    }


def test_a_delta_after_one_change_is_few_statements_and_complete(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    people = [enroll(engine, world, badge=badge) for badge in ("D1", "D2")]
    held = _replica(engine, settings, world.gate, None)
    assert isinstance(held, ReplicaSnapshot)
    with Session(engine) as session:
        update_person(
            session=session,
            person_id=people[0],
            person_update=PersonUpdate(display_name="Renamed Person"),
            actor="test",
        )
    with statements_run(engine) as statements:
        delta = _replica(engine, settings, world.gate, held.version)
    assert isinstance(delta, ReplicaDelta)
    assert [p.person_id for p in delta.persons] == [people[0]]
    assert delta.persons[0].first_name == "Renamed"
    assert len(statements) == DELTA_STATEMENTS, statements
    fresh = _replica(engine, settings, world.gate, None)
    assert isinstance(fresh, ReplicaSnapshot)
    assert _content(apply_delta(held, delta)) == _content(fresh)
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None and site.replica_version == delta.version
