"""The agent's retained NodeStatus tells the dashboard the age the offline rule acts on."""

from datetime import UTC, datetime, timedelta

from gate_agent.decision.replica_policy import replica_age_s
from gate_agent.loop.node import agent_status
from gate_protocol.messages import NodeState, NodeStatus, decode_message, encode_message
from gate_protocol.replica import ReplicaIndex
from testkit.agent.doubles import make_snapshot

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_status_carries_the_instant_the_max_age_rule_counts_from() -> None:
    index = ReplicaIndex(make_snapshot(version=9, generated_at=NOW - timedelta(hours=3)))
    synced = NOW - timedelta(minutes=4)
    status = agent_status(state=NodeState.ONLINE, since=NOW, index=index, last_sync_at=synced)
    assert status.replica_version == 9
    assert status.replica_synced_at == synced
    age = replica_age_s(index, now=NOW, last_sync_at=synced)
    assert status.replica_synced_at is not None
    assert (NOW - status.replica_synced_at).total_seconds() == age == 240


def test_a_snapshot_newer_than_the_last_sync_counts_from_its_generation() -> None:
    generated = NOW - timedelta(seconds=30)
    index = ReplicaIndex(make_snapshot(generated_at=generated))
    status = agent_status(
        state=NodeState.ONLINE, since=NOW, index=index, last_sync_at=NOW - timedelta(hours=1)
    )
    assert status.replica_synced_at == generated
    never_synced = agent_status(state=NodeState.ONLINE, since=NOW, index=index)
    assert never_synced.replica_synced_at == generated


def test_no_replica_means_no_version_and_no_sync_time() -> None:
    status = agent_status(state=NodeState.OFFLINE, since=NOW)
    assert status.replica_version is None and status.replica_synced_at is None
    decoded = decode_message(encode_message(status), NodeStatus)
    assert decoded == status
