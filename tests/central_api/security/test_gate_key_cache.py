"""The gate-key check kept per process stays correct: a revoked or rotated key fails at once.

Two apps on one database stand for two `portgate api` worker processes, each with its own
decision-input generation; agent keys bump the decision-data version (migration 0007).
Both run on SQLite and on PostgreSQL.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.models import DecisionDataVersion, Role
from testkit.api.decisions import enroll, query
from testkit.api.world import World


@pytest.fixture
def second(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A second worker: another app (and cache) on the same database."""
    with TestClient(create_app(settings, engine=engine)) as other:
        yield other


def decide(client: TestClient, key: dict[str, str], badge: str = "CA1") -> int:
    return client.post("/api/v1/decisions", json=query(badge), headers=key).status_code


def warm_both(client: TestClient, second: TestClient, world: World) -> None:
    for worker in (client, second):
        for _ in range(2):
            assert decide(worker, world.gate_key()) == 200


def test_a_rotated_key_is_refused_by_the_next_request_on_every_worker(
    client: TestClient, second: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="CA1")
    warm_both(client, second, world)
    old = world.gate_key()
    rotated = second.post(f"/api/v1/gates/{world.gate}/key", headers=world.user(Role.ADMIN))
    assert rotated.status_code == 200, rotated.text
    new = {"X-Gate-Key": rotated.json()["api_key"]}
    for worker in (client, second):
        assert decide(worker, old) == 401
        assert decide(worker, new) == 200


def test_a_key_revoked_by_hand_written_sql_is_refused_at_once(
    client: TestClient, second: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="CA1")
    warm_both(client, second, world)
    with Session(engine) as session:  # no API: only the trigger tells the workers
        session.execute(
            text("UPDATE agentkey SET revoked_at = CURRENT_TIMESTAMP WHERE gate_id = :g"),
            {"g": world.gate},
        )
        session.commit()
    for worker in (client, second):
        assert decide(worker, world.gate_key()) == 401
        # Events and other gate routes share the check.
        assert (
            worker.post("/api/v1/events", json={"events": []}, headers=world.gate_key()).status_code
            == 401
        )


def test_a_warm_key_is_not_looked_up_again_and_unknown_keys_are_not_cached(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="CA1")
    assert decide(client, world.gate_key()) == 200
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert decide(client, world.gate_key()) == 200
        assert not [s for s in statements if "agentkey" in s]
        statements.clear()
        for _ in range(2):
            assert decide(client, {"X-Gate-Key": "not-a-key"}) == 401
        assert len([s for s in statements if "agentkey" in s]) == 2
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with Session(engine) as session:
        assert session.get(DecisionDataVersion, 1) is not None


def test_a_warm_decision_is_one_read_and_on_postgresql_on_the_event_loop(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="CA1")
    for _ in range(2):  # the first presentation loads the inputs and the key
        assert decide(client, world.gate_key()) == 200
    statements: list[tuple[str, bool]] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        dbapi = conn.connection.dbapi_connection
        statements.append((statement.lower(), bool(getattr(dbapi, "autocommit", False))))

    committed: list[object] = []

    def on_commit(conn: Any) -> None:
        committed.append(conn)

    engines = {engine, client.app.state.read_engine}  # type: ignore[attr-defined]
    live_reader = client.app.state.live_reader  # type: ignore[attr-defined]
    reads_before = live_reader.reads if live_reader is not None else 0
    for each in engines:
        event.listen(each, "before_cursor_execute", record)
        event.listen(each, "commit", on_commit)
    try:
        answer = client.post("/api/v1/decisions", json=query("CA1"), headers=world.gate_key())
        assert answer.status_code == 200
        assert answer.json()["decision"] == "granted"
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", record)
            event.remove(each, "commit", on_commit)
    # The live state (version, threat level, last passage) is the only read; the key and
    # the inputs come from the process's generation, confirmed by that read's version.
    assert not committed  # nothing written, nothing to commit
    reader = client.app.state.live_reader  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        # Read on the event loop, in autocommit, past SQLAlchemy and any worker thread.
        assert statements == []
        assert reader.reads == reads_before + 1
        assert reader.failures == 0
    else:
        assert reader is None
        assert len(statements) == 1, statements
        assert "decision_data_version" in statements[0][0]
