"""Gate tiles show the replica's age as the gate's offline max-age rule counts it."""

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.dashboard.board import GateBoard, GateMeta, NodeView
from central_api.dashboard.feed import LiveFeed
from central_api.db import utc_now
from central_api.models import Gate, Role
from gate_protocol.messages import NodeState, NodeStatus, encode_message
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.api.world import World

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def board_at(now: datetime, max_age_s: int = 3600) -> GateBoard:
    board = GateBoard(clock=lambda: now.timestamp())
    board.set_gates([GateMeta("g1", "t1", "quay", "North", 2, replica_max_age_s=max_age_s)])
    return board


def agent(
    *, version: int | None, synced: datetime | None, state: str = "online", since: datetime = T0
) -> NodeView:
    return NodeView(
        state=state, since=since, version="1", replica_version=version, replica_synced_at=synced
    )


def test_a_fresh_replica_shows_its_age_in_time() -> None:
    board = board_at(T0 + timedelta(minutes=3))
    board.apply_status("g1", "agent", agent(version=8, synced=T0))
    replica = board.tile("g1")["replica"]
    assert replica == {
        "state": "current",
        "version": 8,
        "synced_at": T0.isoformat(),
        "age_s": 180.0,
        "max_age_s": 3600,
    }


def test_a_replica_past_the_gates_max_age_is_stale() -> None:
    board = board_at(T0 + timedelta(seconds=3601), max_age_s=3600)
    board.apply_status("g1", "agent", agent(version=8, synced=T0))
    assert board.tile("g1")["replica"]["state"] == "stale"
    exactly = board_at(T0 + timedelta(seconds=3600), max_age_s=3600)
    exactly.apply_status("g1", "agent", agent(version=8, synced=T0))
    # The policy denies only when the age exceeds the limit (policy.py: age > max age).
    assert exactly.tile("g1")["replica"]["state"] == "current"


def test_never_synced_unknown_and_no_status_are_told_apart() -> None:
    board = board_at(T0)
    assert board.tile("g1")["replica"]["state"] == "no_status"
    board.apply_status("g1", "agent", agent(version=None, synced=None))
    assert board.tile("g1")["replica"]["state"] == "never_synced"
    # An agent from before replica_synced_at (or a status seeded from storage).
    board.apply_status("g1", "agent", agent(version=5, synced=None, since=T0 + timedelta(1)))
    replica = board.tile("g1")["replica"]
    assert replica["state"] == "unknown" and replica["version"] == 5 and replica["age_s"] is None


def test_the_last_will_keeps_the_replica_it_does_not_know() -> None:
    board = board_at(T0 + timedelta(minutes=10))
    board.apply_status("g1", "agent", agent(version=8, synced=T0, since=T0))
    will = agent(version=None, synced=None, state="offline", since=T0 - timedelta(seconds=5))
    assert board.apply_status("g1", "agent", will)
    tile = board.tile("g1")
    assert tile["online"] is False
    # The gate goes on deciding from that replica while it is away, and it goes on ageing.
    assert tile["replica"]["state"] == "current" and tile["replica"]["age_s"] == 600.0
    assert tile["agent"]["replica_synced_at"] == T0.isoformat()


def test_the_tile_uses_the_gates_own_max_age_from_storage(
    app: FastAPI, world: World, engine: Engine, client: TestClient
) -> None:
    with Session(engine) as session:
        gate = session.get(Gate, world.gate)
        assert gate is not None
        gate.replica_max_age_s = 120
        session.add(gate)
        session.commit()
    client.get("/dashboard/api/gates", headers=world.user(Role.OPERATOR))  # seeds the board
    feed: LiveFeed = app.state.dashboard.feed
    status = NodeStatus(
        node=NodeKind.AGENT,
        state=NodeState.ONLINE,
        version="0.1.0",
        replica_version=3,
        replica_synced_at=utc_now() - timedelta(minutes=5),
        since=utc_now(),
    )
    status_topic = GateTopic(world.site, world.gate, GateChannel.STATUS, NodeKind.AGENT)
    feed.handle(build_topic(status_topic), encode_message(status))
    tiles = client.get("/dashboard/api/gates", headers=world.user(Role.OPERATOR)).json()
    tile = next(t for t in tiles if t["gate_id"] == world.gate)
    assert tile["replica"]["state"] == "stale" and tile["replica"]["max_age_s"] == 120
    assert 295 <= tile["replica"]["age_s"] <= 330
    other = next(t for t in tiles if t["gate_id"] == world.gate2)
    assert other["replica"]["state"] == "no_status"
