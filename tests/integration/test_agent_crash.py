"""kill -9 of a running agent process mid-stream: after a restart no event is lost or doubled.

The child runs `gate_agent.service.run_service`, exactly what `portgate agent` runs, without
importing the whole CLI (which takes seconds on a loaded 2-core machine).
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from gate_protocol.messages import (
    BadgeFormat,
    CredentialPresented,
    NodeState,
    NodeStatus,
    decode_message,
    encode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, agent_config
from testkit.mosquitto import MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STATUS = build_topic(GateTopic("t1", "g1", GateChannel.STATUS, NodeKind.AGENT))


class AgentProcess:
    """`portgate agent --config FILE` as a child process."""

    def __init__(self, config_path: Path, log_path: Path) -> None:
        self.config_path = config_path
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PORTGATE_GATE_KEY": GATE_KEY}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import logging, sys; from gate_agent.service import run_service; "
                    "logging.basicConfig(level=logging.INFO); run_service(__import__('pathlib')"
                    ".Path(sys.argv[1]))",
                    str(self.config_path),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def probe(mosquitto: MosquittoProcess) -> Iterator[MqttProbe]:
    probe = MqttProbe(mosquitto.port)
    probe.connect()
    probe.subscribe(STATUS)
    yield probe
    probe.close()


def wait_online(probe: MqttProbe, seen_before: int, timeout: float = 30.0) -> None:
    def online_again() -> bool:
        payloads = probe.on_topic(STATUS)[seen_before:]
        return any(
            isinstance(s := decode_message(p), NodeStatus) and s.state is NodeState.ONLINE
            for p in payloads
        )

    assert probe.wait_for(online_again, timeout), "agent did not come online"


def outbox_rows(path: Path) -> list[tuple[int, str, int]]:
    with sqlite3.connect(path) as db:
        return [
            (int(seq), str(eid), int(sent))
            for seq, eid, sent in db.execute("SELECT seq, event_id, sent FROM events ORDER BY seq")
        ]


def test_kill9_mid_stream_then_restart_loses_and_doubles_nothing(
    mosquitto: MosquittoProcess, probe: MqttProbe, tmp_path: Path
) -> None:
    api = ApiStub()
    bridge = BridgeSim(mosquitto.port)
    config = agent_config(tmp_path, mqtt_port=mosquitto.port, api_url=api.url)
    config_path = tmp_path / "agent.yaml"
    config_path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    agent = AgentProcess(config_path, tmp_path / "agent.log")
    stop_feeding = threading.Event()

    def feed() -> None:
        while not stop_feeding.is_set():
            read = CredentialPresented(
                badge_number=GOOD_BADGE,
                format=BadgeFormat.WIEGAND26,
                reader_id="r1",
                lane=0,
                read_at=datetime.now(UTC),
            )
            bridge.publish(GateChannel.CREDENTIAL, encode_message(read))
            time.sleep(0.03)

    try:
        agent.start()
        wait_online(probe, 0)
        time.sleep(0.3)  # its subscriptions are in place once its status is out
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        assert bridge.wait_for(lambda: len(bridge.events) >= 10, timeout=30), (
            agent.log_path.read_text()
        )
        agent.kill9()
        stop_feeding.set()
        feeder.join()

        # The broker sees the dead connection and publishes the retained last will.
        def offline_seen() -> bool:
            statuses = [decode_message(p) for p in probe.on_topic(STATUS)]
            return any(isinstance(x, NodeStatus) and x.state is NodeState.OFFLINE for x in statuses)

        assert probe.wait_for(offline_seen, 10), "no last will after kill -9"
        delivered_before = {e.event_id for e in bridge.events}
        rows_at_kill = outbox_rows(tmp_path / "outbox.sqlite3")
        assert rows_at_kill, "nothing recorded before the kill"

        seen = len(probe.on_topic(STATUS))
        agent.start()
        wait_online(probe, seen)
        time.sleep(0.3)
        for _ in range(3):  # the restarted agent keeps working
            read = CredentialPresented(
                badge_number=GOOD_BADGE,
                format=BadgeFormat.WIEGAND26,
                reader_id="r1",
                lane=0,
                read_at=datetime.now(UTC),
            )
            bridge.publish(GateChannel.CREDENTIAL, encode_message(read))

        def all_delivered() -> bool:
            rows = outbox_rows(tmp_path / "outbox.sqlite3")
            ids = {eid for _, eid, _ in rows}
            return (
                len(rows) >= len(rows_at_kill) + 3
                and all(sent for *_, sent in rows)
                and ids <= {e.event_id for e in bridge.events}
            )

        assert wait_until(all_delivered, timeout=30), agent.log_path.read_text()[-3000:]
    finally:
        agent.stop()
        bridge.close()
        api.stop()

    rows = outbox_rows(tmp_path / "outbox.sqlite3")
    seqs = [seq for seq, _, _ in rows]
    assert seqs == list(range(1, len(rows) + 1)), "sequence numbers repeat or skip"
    assert len({eid for _, eid, _ in rows}) == len(rows), "an event id was used twice"
    # What was recorded before the kill is still there, under the same ids and numbers.
    assert [(s, e) for s, e, _ in rows[: len(rows_at_kill)]] == [(s, e) for s, e, _ in rows_at_kill]
    by_id: dict[str, set[int]] = {}
    for event in bridge.events:
        by_id.setdefault(event.event_id, set()).add(event.agent_seq)
    assert all(len(s) == 1 for s in by_id.values()), "one event id delivered with two seqs"
    assert delivered_before <= set(by_id)
    assert {eid for _, eid, _ in rows} == set(by_id), "delivered events differ from the outbox"
