"""A port ban reaches every gate of every site over real mosquitto, and lifting it too.

Small scale of bench/bench_port_bans.py: 2 sites x 2 gates, on SQLite and on PostgreSQL,
the API served over HTTP, each gate a stand-in running the agent's own sync
(`testkit.ban_reach`); then each gate's own offline decision
(`gate_agent.decision.replica_policy.replica_verdict`) over its replica, and a ban's end
taking effect there on its own.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.users import create_user
from central_api.models import Role
from gate_agent.decision.presentation import Presentation
from gate_agent.decision.replica_policy import replica_verdict
from gate_protocol.messages import CredentialKind, Decision, Direction
from gate_protocol.mqtt_connection import MqttConnection
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import ReplicaIndex, ReplicaSnapshot
from testkit.api.server import ThreadedApi
from testkit.api.workers import postgres_database, sqlite_database
from testkit.ban_reach import PortSeed, StandInFleet, seed_port
from testkit.mosquitto import MosquittoProcess
from testkit.postgres import (
    PG_BIN,
    PostgresServer,
    postgres_available,
    start_postgres,
    stop_postgres,
)

pytestmark = pytest.mark.integration
PASSWORD = "authority-password-0123"


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    if not postgres_available():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN}")
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield from sqlite_database(tmp_path)
    else:
        yield from postgres_database(request.getfixturevalue("postgres_server"), "ban_reach")


def offline_verdict(
    fleet: StandInFleet, gate: str, seed: PortSeed, at: datetime | None = None
) -> tuple[Decision, ReasonCode]:
    """The gate's own verdict over its replica, now or `at` (a sync just before it)."""
    snapshot = fleet.gates[gate].snapshot
    assert snapshot is not None
    now = at or datetime.now(UTC)
    presentation = Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=now,
        started=time.monotonic(),
        badge_number=str(int(seed.port_badge)),
    )
    verdict = replica_verdict(
        index=ReplicaIndex(snapshot),
        presentation=presentation,
        face=None,
        now=now,
        last_sync_at=now - timedelta(seconds=1),
    )
    return verdict.decision, verdict.reason


def test_a_ban_and_its_lifting_reach_every_gate_of_every_site(
    mosquitto: MosquittoProcess, database: Engine
) -> None:
    seed = seed_port(engine=database, sites=2, gates_per_site=2, people_per_site=1)
    with Session(database) as session:
        create_user(
            session=session, username="officer", password=PASSWORD, role=Role.AUTHORITY, actor="t"
        )
    broker = MqttConnection(host="127.0.0.1", port=mosquitto.port)
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=database.url.render_as_string(hide_password=False),
        MQTT_URL=f"mqtt://127.0.0.1:{mosquitto.port}",
        PORTGATE_MQTT_CLIENT_ID="api-ban-reach",
    )
    app = create_app(settings, engine=database)
    api = ThreadedApi(app)
    api.start()
    fleet = StandInFleet(seed=seed, api_url=api.url, broker=broker, workers=4)
    http = httpx.Client(base_url=api.url, timeout=10)
    try:
        fleet.start(timeout_s=60)
        assert {offline_verdict(fleet, gate, seed) for gate in fleet.gates} == {
            (Decision.GRANTED, ReasonCode.GRANTED)
        }
        token = http.post(
            "/api/v1/auth/token", data={"username": "officer", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def banned(snapshot: ReplicaSnapshot) -> bool:
            return any(p.port_bans for p in snapshot.persons if p.person_id == seed.port_person)

        fleet.watch(banned)
        builds = app.state.replica_delta_cache.builds
        issued = http.post(
            "/api/v1/bans",
            json={"person_id": seed.port_person, "reason": "fraud", "legal_reference": "PA-1"},
            headers=headers,
        )
        assert issued.status_code == 201, issued.text
        assert fleet.wait_reached(20), f"reached {sorted(fleet.reached)}; {fleet.errors[-3:]}"
        assert set(fleet.reached) == {"s01-g01", "s01-g02", "s02-g01", "s02-g02"}
        # Both gates of a site were sent one delta build: one per site, not per gate.
        assert app.state.replica_delta_cache.builds - builds == len(seed.sites)
        assert {offline_verdict(fleet, gate, seed) for gate in fleet.gates} == {
            (Decision.DENIED, ReasonCode.PORT_BAN)
        }
        fleet.watch(lambda snapshot: not banned(snapshot))
        lifted = http.post(
            f"/api/v1/bans/{issued.json()['id']}/lift", json={"reason": "appeal"}, headers=headers
        )
        assert lifted.status_code == 200, lifted.text
        assert fleet.wait_reached(20), f"reached {sorted(fleet.reached)}; {fleet.errors[-3:]}"
        assert {offline_verdict(fleet, gate, seed) for gate in fleet.gates} == {
            (Decision.GRANTED, ReasonCode.GRANTED)
        }
        # A ban with an end: the gates deny until it and grant after it on the same replica,
        # with no change and no resync when it passes.
        until = datetime.now(UTC) + timedelta(hours=2)
        fleet.watch(banned)
        ending = http.post(
            "/api/v1/bans",
            json={
                "person_id": seed.port_person,
                "reason": "fraud",
                "legal_reference": "PA-2",
                "valid_until": until.isoformat(),
            },
            headers=headers,
        )
        assert ending.status_code == 201, ending.text
        assert fleet.wait_reached(20), f"reached {sorted(fleet.reached)}; {fleet.errors[-3:]}"
        versions = {gate: stand_in.version for gate, stand_in in fleet.gates.items()}
        before_end, after_end = until - timedelta(minutes=1), until + timedelta(seconds=1)
        assert {offline_verdict(fleet, gate, seed, before_end) for gate in fleet.gates} == {
            (Decision.DENIED, ReasonCode.PORT_BAN)
        }
        assert {offline_verdict(fleet, gate, seed, after_end) for gate in fleet.gates} == {
            (Decision.GRANTED, ReasonCode.GRANTED)
        }
        assert {gate: stand_in.version for gate, stand_in in fleet.gates.items()} == versions
    finally:
        http.close()
        fleet.stop()
        api.stop()
