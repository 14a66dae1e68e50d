"""PostgreSQL drops the API's pooled connections: the next request still succeeds.

The pool does not ping every checkout (a round trip per request); a connection the server
closed is recognised at checkout by what waits on its socket and replaced
(`central_api.db.make_engine`). Here every backend of the API's database is killed with
``pg_terminate_backend``, as a restart or failover would.
"""

import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from testkit.api.decisions import enroll, query
from testkit.api.world import seed_world
from testkit.postgres import PostgresServer

DB = "portgate_reconnect"


@pytest.fixture
def reconnect_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.create_database(DB)
    upgrade_database(url)
    return url


@pytest.fixture
def pg_admin(postgres_server: PostgresServer) -> Iterator[psycopg.Connection]:
    dsn = f"host=127.0.0.1 port={postgres_server.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


def kill_backends(admin: psycopg.Connection) -> int:
    """Terminate every backend of DB and wait until they are gone."""
    killed = admin.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
        (DB,),
    ).fetchone()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (DB,)
        ).fetchone()
        if row is not None and row[0] == 0:
            break
        time.sleep(0.05)
    time.sleep(0.1)  # the FATAL notice and the close reach the client sockets
    return int(killed[0]) if killed is not None else 0


def test_a_request_after_the_server_dropped_every_connection_succeeds(
    reconnect_url: str, pg_admin: psycopg.Connection
) -> None:
    engine = make_engine(reconnect_url, pool_size=4)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=reconnect_url)
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            world = seed_world(engine, settings)
            enroll(engine, world, badge="D1")
            for _ in range(3):
                answer = client.post(
                    "/api/v1/decisions", json=query("D1"), headers=world.gate_key()
                )
                assert answer.status_code == 200, answer.text
            reader = client.app.state.live_reader  # type: ignore[attr-defined]
            assert reader.reads >= 1  # warm decisions were read on the event loop
            assert kill_backends(pg_admin) >= 1
            for _ in range(3):
                answer = client.post(
                    "/api/v1/decisions", json=query("D1"), headers=world.gate_key()
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["decision"] == "granted"
            # The loop's reader lost its connection: that decision went the pool's way.
            assert reader.failures == 1
            time.sleep(1.1)  # its rest after a failure
            reads = reader.reads
            answer = client.post("/api/v1/decisions", json=query("D1"), headers=world.gate_key())
            assert answer.status_code == 200, answer.text
            assert reader.reads == reads + 1  # a fresh connection, on the loop again
    finally:
        engine.dispose()


def test_without_the_checkout_check_a_dropped_connection_fails_its_request(
    reconnect_url: str, pg_admin: psycopg.Connection
) -> None:
    # What the check prevents: a plain pool hands out the dead connection.
    plain: Engine = create_engine(reconnect_url, pool_size=1)
    try:
        with plain.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert kill_backends(pg_admin) == 1
        with pytest.raises(OperationalError), plain.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        plain.dispose()
