"""The agent with the real firmware bridge (simulated turnstile) on a real mosquitto."""

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from mosquitto_fixture import MosquittoProcess, MqttProbe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gate_agent"))
from agent_support import GATE_KEY, ApiStub, agent_config, topic  # noqa: E402

from firmware_bridge.assembly import build_bus  # noqa: E402
from firmware_bridge.config import BridgeConfig  # noqa: E402
from firmware_bridge.drivers.simulated import SimulatedTurnstile  # noqa: E402
from firmware_bridge.service import Bridge  # noqa: E402
from gate_agent.app import AgentApp  # noqa: E402
from gate_protocol.messages import AccessEvent, Decision, decode_message  # noqa: E402
from gate_protocol.reasons import ReasonCode  # noqa: E402
from gate_protocol.topics import GateChannel  # noqa: E402

pytestmark = pytest.mark.integration


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_badge_at_the_real_bridge_opens_and_the_walk_through_is_reported(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    sim = SimulatedTurnstile(lanes=[0])
    bridge_config = BridgeConfig.model_validate(
        {
            "site": "t1",
            "gate": "g1",
            "mqtt": {"port": mosquitto.port},
            "lanes": [{"lane": 0, "direction": "entry"}],
            "state_dir": tmp_path / "bridge-state",
        }
    )
    bridge = Bridge(config=bridge_config, turnstile=sim, reader=sim, bus=build_bus(bridge_config))
    api = ApiStub()
    observer = MqttProbe(mosquitto.port)
    observer.connect()
    observer.subscribe(topic(GateChannel.EVENT))
    app = AgentApp(
        agent_config(tmp_path, mqtt_port=mosquitto.port, api_url=api.url), gate_key=GATE_KEY
    )
    bridge.start()
    app.start()
    try:
        assert wait_until(lambda: app.agent.subscribed)
        time.sleep(0.3)  # the bridge's subscriptions too

        def events() -> list[AccessEvent]:
            decoded = [decode_message(p) for p in observer.on_topic(topic(GateChannel.EVENT))]
            return [e for e in decoded if isinstance(e, AccessEvent)]

        sim.present_card(lane=0, facility_code=12, card_number=1234)  # badge "1234": granted
        assert wait_until(lambda: sim.unlock_count(0) == 1), "the bridge did not unlock"
        sim.walk_through(lane=0)
        assert wait_until(lambda: len(events()) == 1)
        granted = events()[0]
        assert granted.decision is Decision.GRANTED and granted.passed is True
        assert granted.credential_ref == "1234" and granted.command_id is not None

        sim.present_card(lane=0, facility_code=12, card_number=999)  # unknown: denied
        assert wait_until(lambda: len(events()) == 2)
        denied = events()[1]
        assert denied.reason is ReasonCode.UNKNOWN_CREDENTIAL and denied.command_id is None
        assert wait_until(lambda: False in sim.indications(0)), "no red light on the reader"
        assert sim.unlock_count(0) == 1
    finally:
        app.stop()
        bridge.stop()
        observer.close()
        api.stop()
