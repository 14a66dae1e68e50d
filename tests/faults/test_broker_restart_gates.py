"""Broker restart with many connected gates: every gate reconnects and resyncs.

PORTGATE_FAULT_SCALE x 100 simulated gates (the agent's own MQTT link each, no camera:
testkit/faults/gate_swarm.py; a child process per 100 gates, testkit/faults/swarm_processes.py,
so that 1,000 of them at scale 10 do not starve one another) hold a connection to mosquitto
and have seen the site's retained sync notice. mosquitto is killed -9 and started again on
the same port; the API's notice of a new replica version is published again; every gate
must reconnect (a second connect each), re-subscribe and receive it. The time it takes is a
figure here and, at 1,000 gates with the time of one gate beside it, in
bench/bench_broker_restart.py; no time is asserted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate_protocol.messages import SyncNotice, encode_message
from gate_protocol.topics import SyncTopic, build_topic
from testkit.faults.swarm_processes import SwarmProcesses, raise_open_files
from testkit.mosquitto import MosquittoProcess, mosquitto_available, start_mosquitto
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

SCALE = float(os.environ.get("PORTGATE_FAULT_SCALE", "1"))
GATES = int(100 * SCALE)
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120 + 3 * GATES)]
SITE = "swarm"
WAIT_S = 60 + GATES  # a bound on waiting, not a time asserted: a loaded CI machine is slow


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoProcess]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    # One descriptor per gate, in mosquitto, which inherits this process's limit; and no
    # connection limit on the listener (unlimited is mosquitto's default; said here).
    if raise_open_files(GATES + 256) < GATES + 64:
        pytest.skip(f"cannot open {GATES + 64} files (ulimit -n)")
    broker = start_mosquitto(tmp_path, extra_conf="max_queued_messages 1000\nmax_connections -1")
    yield broker
    broker.stop()


def _announce(port: int, version: int) -> None:
    """What the API does when the replica changes: the site's retained sync notice."""
    probe = MqttProbe(port)
    probe.connect()
    notice = SyncNotice(replica_version=version, at=datetime.now(UTC))
    probe.publish(build_topic(SyncTopic(site=SITE)), encode_message(notice), retain=True)
    probe.close()


def test_every_gate_reconnects_and_resyncs_after_a_broker_restart(
    broker: MosquittoProcess,
) -> None:
    _announce(broker.port, 1)
    swarm = SwarmProcesses(port=broker.port, site=SITE, gates=GATES)
    try:
        swarm.start()
        assert wait_until(lambda: swarm.synced(1) == GATES, WAIT_S), f"{swarm.synced(1)} synced"
        broker.kill()
        broker.start()
        restarted = time.monotonic()
        _announce(broker.port, 2)
        assert wait_until(lambda: swarm.synced(2) == GATES, WAIT_S, interval=0.1), (
            f"{swarm.synced(2)} of {GATES} gates resynced"
        )
        resync_s = time.monotonic() - restarted
    finally:
        swarm.stop()
    connects = swarm.connects()
    print(  # noqa: T201 (the figures, in the test log)
        f"[broker restart] scale {SCALE:g}: {GATES} gates in {len(swarm.children)} processes, "
        f"reconnected "
        f"{sum(1 for c in connects if c >= 2)}, resynced {swarm.synced(2)}; "
        f"time to recover {resync_s:.2f} s"
    )
    assert len(connects) == GATES and all(c >= 2 for c in connects), "a gate never reconnected"
