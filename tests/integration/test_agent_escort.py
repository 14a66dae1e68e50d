"""Escort mode through a real agent deciding from its replica (mosquitto, bridge simulator).

The API stub serves a replica with an escorted visitor, then stops: every decision is the
replica's. The visitor is denied alone and after the host at another lane, granted right
after the host at the same lane.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate_agent.app import AgentApp
from gate_protocol.messages import (
    BadgeFormat,
    CredentialKind,
    CredentialPresented,
    DecidedBy,
    Decision,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import AccessGrant, CredentialRecord, PersonKind, PersonRecord
from gate_protocol.topics import GateChannel
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, ZONE, agent_config, make_snapshot
from testkit.mosquitto import MosquittoProcess
from testkit.polling import wait_until

pytestmark = pytest.mark.integration
VISITOR_BADGE = "4321"


def _snapshot_with_visitor():  # type: ignore[no-untyped-def]
    snapshot = make_snapshot()
    visitor = PersonRecord(
        person_id="V1",
        kind=PersonKind.VISITOR,
        grants=(AccessGrant(zone_id=ZONE),),
        escort_host_id="P1",
    )
    badge = CredentialRecord(kind=CredentialKind.BADGE, ref=VISITOR_BADGE, person_id="V1")
    return snapshot.model_copy(
        update={
            "persons": (*snapshot.persons, visitor),
            "credentials": (*snapshot.credentials, badge),
        }
    )


@pytest.fixture
def agent(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[tuple[AgentApp, BridgeSim]]:
    api = ApiStub(_snapshot_with_visitor())
    bridge = BridgeSim(mosquitto.port)
    config = agent_config(tmp_path, mqtt_port=mosquitto.port, api_url=api.url)
    app = AgentApp(config, gate_key=GATE_KEY)
    app.start()
    try:
        assert wait_until(lambda: app.agent.subscribed, 6), "agent did not connect"
        assert wait_until(lambda: app.agent.replica.index is not None, 6), "no replica"
        api.stop()  # from here on the replica decides
        yield app, bridge
    finally:
        app.stop()
        bridge.close()
        api.stop()


def _present(bridge: BridgeSim, number: str, *, lane: int, count: int):  # type: ignore[no-untyped-def]
    read = CredentialPresented(
        badge_number=number,
        format=BadgeFormat.WIEGAND26,
        reader_id="r1",
        lane=lane,
        read_at=datetime.now(UTC),
    )
    bridge.publish(GateChannel.CREDENTIAL, encode_message(read))
    assert bridge.wait_for(lambda: len(bridge.events) >= count, 8), f"no event {count}"
    event = bridge.events[count - 1]
    assert event.decided_by is DecidedBy.REPLICA
    return event


def test_an_escorted_visitor_follows_the_host_at_the_same_lane_offline(
    agent: tuple[AgentApp, BridgeSim],
) -> None:
    _, bridge = agent
    alone = _present(bridge, VISITOR_BADGE, lane=0, count=1)
    assert (alone.person_id, alone.reason) == ("V1", ReasonCode.ESCORT_REQUIRED)
    host_elsewhere = _present(bridge, GOOD_BADGE, lane=1, count=2)
    assert (host_elsewhere.person_id, host_elsewhere.decision) == ("P1", Decision.GRANTED)
    other_lane = _present(bridge, VISITOR_BADGE, lane=0, count=3)
    assert other_lane.reason is ReasonCode.ESCORT_REQUIRED
    host = _present(bridge, GOOD_BADGE, lane=0, count=4)
    assert host.decision is Decision.GRANTED
    escorted = _present(bridge, VISITOR_BADGE, lane=0, count=5)
    assert (escorted.person_id, escorted.decision) == ("V1", Decision.GRANTED)
