"""An agent's replica on the tiles has one writer: storage and the live board agree.

The API keeps what an agent said about its replica twice: in the stored node status
(the ingest path) and in each process's gate board (the live feed's path), which a
process seeds from storage. Whatever statuses arrive, a board seeded from storage must
show the replica a board that saw them live shows: same version, same sync time, same age.
Run on SQLite and on PostgreSQL.
"""

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.dashboard.board import GateBoard
from central_api.dashboard.queries import seed_board
from central_api.db import utc_now
from central_api.ingest.store import handle_message
from central_api.models import NodeStatusRecord
from central_api.replica.reported import ReportedReplica, replica_after
from gate_protocol.messages import NodeState, NodeStatus, encode_message
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.api.world import World

NOW = utc_now().replace(microsecond=0)
SYNCED = NOW - timedelta(minutes=5)


def status(state: NodeState, *, after_s: int, version: int | None) -> NodeStatus:
    """The agent's status `after_s` seconds into the test (its will carries no replica)."""
    return NodeStatus(
        node=NodeKind.AGENT,
        state=state,
        version="0.1.0",
        replica_version=version,
        replica_synced_at=SYNCED if version is not None else None,
        since=NOW - timedelta(minutes=1) + timedelta(seconds=after_s),
    )


ONLINE = status(NodeState.ONLINE, after_s=0, version=8)
WILL = status(NodeState.OFFLINE, after_s=10, version=None)
BACK_WITHOUT_REPLICA = status(NodeState.ONLINE, after_s=20, version=None)
BACK_SYNCED = status(NodeState.ONLINE, after_s=30, version=9)


def at(now: datetime) -> GateBoard:
    return GateBoard(clock=lambda: now.timestamp())


def replica_seen(board: GateBoard, gate_id: str) -> dict[str, Any]:
    tile = board.tile(gate_id)
    agent = tile["agent"] or {}
    return {
        "online": tile["online"],
        "replica": tile["replica"],
        "agent_replica": (agent.get("replica_version"), agent.get("replica_synced_at")),
    }


@pytest.mark.parametrize(
    ("statuses", "state", "version"),
    [
        ([ONLINE], "current", 8),
        ([ONLINE, WILL], "current", 8),  # away, still deciding from replica 8
        ([ONLINE, WILL, BACK_WITHOUT_REPLICA], "never_synced", None),
        ([ONLINE, WILL, BACK_SYNCED], "current", 9),
        ([WILL], "never_synced", None),
    ],
    ids=["online", "will", "back-without-replica", "back-synced", "will-only"],
)
def test_a_board_seeded_from_storage_shows_the_replica_seen_live(
    engine: Engine, world: World, statuses: list[NodeStatus], state: str, version: int | None
) -> None:
    topic = build_topic(GateTopic(world.site, world.gate, GateChannel.STATUS, NodeKind.AGENT))
    live = at(NOW)
    with Session(engine) as session:
        seed_board(session=session, board=live, now=NOW, wall_now=NOW.timestamp())
        for sent in statuses:
            live.apply_node_status(world.gate, sent)  # what the live feed calls
            handle_message(session=session, topic=topic, payload=encode_message(sent))
            session.commit()
    restarted = at(NOW)
    with Session(engine) as session:
        seed_board(session=session, board=restarted, now=NOW, wall_now=NOW.timestamp())
    seen = replica_seen(live, world.gate)
    assert replica_seen(restarted, world.gate) == seen
    assert (seen["replica"]["state"], seen["replica"]["version"]) == (state, version)
    if state == "current":
        assert seen["replica"]["age_s"] == 300.0


def test_the_stored_status_keeps_the_replica_a_will_does_not_know(
    engine: Engine, world: World
) -> None:
    topic = build_topic(GateTopic(world.site, world.gate, GateChannel.STATUS, NodeKind.AGENT))
    with Session(engine) as session:
        for sent in (ONLINE, WILL):
            handle_message(session=session, topic=topic, payload=encode_message(sent))
            session.commit()
        row = session.get(NodeStatusRecord, (world.gate, "agent"))
        assert row is not None
        assert (row.state, row.replica_version, row.replica_synced_at) == ("offline", 8, SYNCED)


def test_only_a_will_keeps_the_replica_before_it() -> None:
    before = ReportedReplica(8, SYNCED)
    nothing = ReportedReplica(None, None)
    assert replica_after(before, offline=True, reported=nothing) == before
    assert replica_after(None, offline=True, reported=nothing) == nothing
    assert replica_after(before, offline=False, reported=nothing) == nothing  # it lost it
    newer = ReportedReplica(9, SYNCED + timedelta(minutes=1))
    assert replica_after(before, offline=False, reported=newer) == newer
    assert replica_after(before, offline=True, reported=newer) == newer
