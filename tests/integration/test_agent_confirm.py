"""Events the broker acknowledged but never delivered still reach the API (real mosquitto).

Nobody subscribes to the gate's event topic and the API has no persistent session: the
broker PUBACKs each event and drops it. The agent's confirm worker asks the API (a real HTTP
server) which of its published events it stores, hears "none", and sends them again.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate_agent.app import AgentApp
from gate_protocol.messages import BadgeFormat, CredentialPresented, encode_message
from gate_protocol.topics import GateChannel
from testkit.agent.api_stub import ApiStub
from testkit.agent.doubles import GATE_KEY, agent_config, topic
from testkit.mosquitto import MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = pytest.mark.integration


def test_pubacked_but_undelivered_events_are_stored_through_reconcile(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    api = ApiStub()
    reader = MqttProbe(mosquitto.port, client_id="reader")
    reader.connect()
    config = agent_config(
        tmp_path,
        mqtt_port=mosquitto.port,
        api_url=api.url,
        api={"confirm_interval_s": 0.3, "confirm_grace_s": 0.5},
    )
    app = AgentApp(config, gate_key=GATE_KEY)
    app.start()
    try:
        assert wait_until(lambda: app.agent.subscribed, 10), "agent did not connect"
        for n in range(5):
            read = CredentialPresented(
                badge_number=f"DEAD{n:04d}",  # unknown: denied, so no turnstile is needed
                format=BadgeFormat.WIEGAND26,
                reader_id="r1",
                lane=0,
                read_at=datetime.now(UTC),
            )
            reader.publish(topic(GateChannel.CREDENTIAL), encode_message(read))
        # All five PUBACKed by the broker, which had no subscriber to give them to.
        events = app.outbox.events
        assert wait_until(lambda: events.last_seq() == 5 and events.unsent == 0, 10)
        assert api.events == {}
        assert wait_until(lambda: events.unconfirmed == 0, 10), events.unconfirmed
        assert len(api.events) == 5
        assert sorted(e.agent_seq for e in api.events.values()) == [1, 2, 3, 4, 5]
        assert api.known_posts >= 1 and app.sender.resent_unknown == 5
        # Nothing was replayed as "MQTT down": the broker was up all along.
        assert app.sender.replayed_over_http == 0
    finally:
        app.stop()
        reader.close()
        api.stop()
