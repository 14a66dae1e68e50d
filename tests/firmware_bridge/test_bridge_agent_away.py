"""Card reads while the gate's agent is away: the lane's fail mode answers, each read is kept."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from firmware_bridge.agent_watch import read_counts
from firmware_bridge.config import BridgeConfig, LaneConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_protocol.messages import (
    AccessEvent,
    CredentialKind,
    CredentialPresented,
    DecidedBy,
    Decision,
    Direction,
    NodeState,
    NodeStatus,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel, GateTopic, NodeKind
from testkit.bridge_fakes import RecordingBus

AGENT = GateTopic(site="s1", gate="g1", channel=GateChannel.STATUS, node=NodeKind.AGENT)
EVENT = GateTopic(site="s1", gate="g1", channel=GateChannel.EVENT)
ENTRY, EXIT = 0, 1  # fail-secure and fail-safe by their directions


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.state = tmp_path / "state"
        config = BridgeConfig.model_validate(
            {
                "site": "s1",
                "gate": "g1",
                "lanes": [
                    LaneConfig(lane=ENTRY, direction=Direction.ENTRY),
                    LaneConfig(lane=EXIT, direction=Direction.EXIT),
                ],
                "state_dir": self.state,
                "require_signed_commands": False,
                "agent_answer_timeout_s": 1,
            }
        )
        self.sim = SimulatedTurnstile(lanes=[ENTRY, EXIT])
        self.bus = RecordingBus()
        self.bridge = Bridge(config=config, turnstile=self.sim, reader=self.sim, bus=self.bus)

    def agent(self, state: NodeState) -> None:
        status = NodeStatus(
            node=NodeKind.AGENT, state=state, version="test", since=datetime.now(UTC)
        )
        self.bus.inject(AGENT, encode_message(status))

    def badge(self, lane: int) -> None:
        self.sim.present_card(lane=lane, facility_code=12, card_number=3456)

    def credentials(self) -> int:
        return len(self.bus.of_kind(CredentialPresented))

    def kept(self) -> dict[str, int]:
        return dict(read_counts(self.state))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    rig.bridge.start()
    yield rig
    rig.bridge.stop()


def test_agent_away_fail_secure_stays_locked_and_fail_safe_opens_each_read_kept(rig: Rig) -> None:
    rig.agent(NodeState.OFFLINE)
    rig.badge(ENTRY)
    assert rig.bus.wait_for(lambda: rig.sim.indications(ENTRY) == [False])
    rig.badge(EXIT)
    assert rig.bus.wait_for(lambda: rig.sim.is_unlocked(EXIT))
    assert rig.sim.indications(EXIT) == [True]
    assert rig.sim.unlock_count(ENTRY) == 0
    assert rig.credentials() == 0, "a read nobody decides is not published"
    assert rig.kept() == {"refused": 1, "opened": 1}


def test_reads_go_to_the_agent_again_when_it_is_back(rig: Rig) -> None:
    rig.agent(NodeState.OFFLINE)
    rig.agent(NodeState.ONLINE)
    rig.badge(ENTRY)
    assert rig.bus.wait_for(lambda: rig.credentials() == 1)
    assert rig.kept() == {}


def test_a_read_waiting_when_the_agent_goes_is_kept_as_unanswered(rig: Rig) -> None:
    rig.badge(ENTRY)
    assert rig.bus.wait_for(lambda: rig.credentials() == 1)
    rig.agent(NodeState.OFFLINE)
    assert rig.bus.wait_for(lambda: rig.kept() == {"unanswered": 1})


def test_an_answered_read_is_not_kept_and_an_unanswered_one_is_after_the_timeout(
    rig: Rig,
) -> None:
    rig.badge(ENTRY)
    assert rig.bus.wait_for(lambda: rig.credentials() == 1)
    denial = AccessEvent(
        event_id="e1",
        agent_seq=1,
        occurred_at=datetime.now(UTC),
        lane=ENTRY,
        direction=Direction.ENTRY,
        decision=Decision.DENIED,
        reason=ReasonCode.UNKNOWN_CREDENTIAL,
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
    )
    rig.bus.inject(EVENT, encode_message(denial))
    assert rig.bus.wait_for(lambda: rig.sim.indications(ENTRY) == [False])
    rig.badge(ENTRY)
    assert rig.bus.wait_for(lambda: rig.kept() == {"unanswered": 1}, timeout=5)


def test_a_broken_agent_status_changes_nothing(rig: Rig) -> None:
    rig.bus.inject(AGENT, b"{not json")
    rig.badge(ENTRY)
    assert rig.bus.wait_for(lambda: rig.credentials() == 1)
    assert rig.kept() == {}
