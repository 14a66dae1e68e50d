"""The agent with the real firmware bridge (simulated turnstile) on a real mosquitto."""

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_agent.app import AgentApp
from gate_protocol.messages import AccessEvent, Decision, decode_message
from gate_protocol.passes.keys import encode_private_key, encode_public_key
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import CommandKeyRecord
from gate_protocol.topics import GateChannel
from testkit.agent.api_stub import ApiStub
from testkit.agent.doubles import GATE_KEY, agent_config, make_snapshot, topic
from testkit.mosquitto import MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = pytest.mark.integration


def test_badge_at_the_real_bridge_opens_and_the_walk_through_is_reported(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    sim = SimulatedTurnstile(lanes=[0])
    # The gate's command key: the agent gets the private half in its replica, the bridge
    # checks with the public half (the bridge requires signed commands by default).
    command_key = Ed25519PrivateKey.generate()
    private_b64 = encode_private_key(command_key)
    bridge_config = BridgeConfig.model_validate(
        {
            "site": "t1",
            "gate": "g1",
            "mqtt": {"port": mosquitto.port},
            "lanes": [{"lane": 0, "direction": "entry"}],
            "state_dir": tmp_path / "bridge-state",
            "command_keys": {"C1": encode_public_key(command_key.public_key())},
        }
    )
    bridge = Bridge(config=bridge_config, turnstile=sim, reader=sim, bus=build_bus(bridge_config))
    record = CommandKeyRecord(key_id="C1", private_key_b64=private_b64)
    api = ApiStub(make_snapshot().model_copy(update={"command_key": record}))
    observer = MqttProbe(mosquitto.port)
    observer.connect()
    observer.subscribe(topic(GateChannel.EVENT))
    app = AgentApp(
        agent_config(tmp_path, mqtt_port=mosquitto.port, api_url=api.url), gate_key=GATE_KEY
    )
    bridge.start()
    app.start()
    try:
        assert wait_until(lambda: app.agent.subscribed, 10)
        assert wait_until(lambda: app.agent.replica.index is not None, 10)
        time.sleep(0.3)  # the bridge's subscriptions too

        def events() -> list[AccessEvent]:
            decoded = [decode_message(p) for p in observer.on_topic(topic(GateChannel.EVENT))]
            return [e for e in decoded if isinstance(e, AccessEvent)]

        sim.present_card(lane=0, facility_code=12, card_number=1234)  # badge "1234": granted
        assert wait_until(lambda: sim.unlock_count(0) == 1, 10), "the bridge did not unlock"
        sim.walk_through(lane=0)
        assert wait_until(lambda: len(events()) == 1, 10)
        granted = events()[0]
        assert granted.decision is Decision.GRANTED and granted.passed is True
        assert granted.credential_ref == "1234" and granted.command_id is not None

        sim.present_card(lane=0, facility_code=12, card_number=999)  # unknown: denied
        assert wait_until(lambda: len(events()) == 2, 10)
        denied = events()[1]
        assert denied.reason is ReasonCode.UNKNOWN_CREDENTIAL and denied.command_id is None
        assert wait_until(lambda: False in sim.indications(0), 10), "no red light on the reader"
        assert sim.unlock_count(0) == 1
    finally:
        app.stop()
        bridge.stop()
        observer.close()
        api.stop()
