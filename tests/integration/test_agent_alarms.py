"""The agent's alarms through a broker outage, into the real central API (durable outbox)."""

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from desk_server import run_desk_server
from mosquitto_fixture import MosquittoFactory, MosquittoProcess, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gate_agent"))
from agent_support import agent_config  # noqa: E402

from gate_agent.app import AgentApp  # noqa: E402
from gate_agent.inbox import PresentationDecided  # noqa: E402
from gate_agent.presentation import Presentation, gate_denial  # noqa: E402
from gate_protocol.messages import AlarmKind, CredentialKind, Direction  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def persistent_broker(factory: MosquittoFactory, tmp_path: Path) -> MosquittoProcess:
    # The API's persistent session survives the restart, as on a real site's broker.
    port = free_port()
    store = tmp_path / f"mosquitto-{port}"
    conf = (
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
        f"persistence true\npersistence_location {store}/\n"
    )
    return factory(conf_text=conf, port=port)


def test_alarm_raised_while_the_broker_is_down_reaches_the_api_after_it_returns(
    mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> None:
    broker = persistent_broker(mosquitto_factory, tmp_path)
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{broker.port}") as server:
        gate = server.world.gate
        (tmp_path / "agent").mkdir()
        config = agent_config(
            tmp_path / "agent",
            mqtt_port=broker.port,
            api_url=server.url,
            site="rtm",
            gate=gate,
        )
        app = AgentApp(config, gate_key=server.world.keys[gate])
        app.start()
        try:
            assert wait_until(lambda: app.agent.subscribed)
            broker.stop()
            assert wait_until(lambda: not app.agent.connected)
            presentation = Presentation(
                lane=0,
                direction=Direction.ENTRY,
                credential_kind=CredentialKind.BADGE,
                occurred_at=datetime.now(UTC),
                started=time.monotonic(),
                badge_number="0BAD",
            )
            verdict = replace(gate_denial("test"), alarms=(AlarmKind.WATCHLIST,))
            app.inbox.put(PresentationDecided(presentation, verdict, None, 1.0))
            assert wait_until(lambda: app.outbox.alarms.waiting == 1)
            broker.start()
            assert wait_until(lambda: app.outbox.alarms.waiting == 0, timeout=15)
            headers = {"Authorization": f"Bearer {server.token('operator-user')}"}

            def stored() -> list[dict[str, Any]]:
                answer = httpx.get(f"{server.url}/api/v1/alarms", headers=headers)
                answer.raise_for_status()
                return [a for a in answer.json() if a["gate_id"] == gate]

            alarms = wait_until(stored, timeout=15)
            assert [(a["kind"], a["lane"]) for a in alarms] == [("watchlist", 0)]
        finally:
            app.stop()
