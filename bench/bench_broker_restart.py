"""Broker restart with many connected gates: time until every gate has reconnected and resynced.

usage: .venv/bin/python bench/bench_broker_restart.py [--gates 1000] [--rounds 2]
    [--per-process 100]

N simulated gates (the agent's own MQTT link each, no camera: testkit/faults/gate_swarm.py, with
the agent's default reconnect back-off of 1 s doubling to 30 s; `--per-process` gates per
child process, testkit/faults/swarm_processes.py: a thousand paho clients in one process
starve each other's CONNECTs) are connected to a local mosquitto and have seen the site's
retained sync notice. mosquitto is killed -9 and restarted on the same port, a new notice is
published, and the time from the restart until every gate has received it is taken
(reconnect, re-subscribe, retained delivery). Anchor in the same run: the same for one gate.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from gate_protocol.messages import SyncNotice, encode_message
from gate_protocol.topics import SyncTopic, build_topic
from testkit.faults.swarm_processes import SwarmProcesses, raise_open_files
from testkit.mosquitto import start_mosquitto
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

_SITE = "bench"


def _announce(port: int, version: int) -> None:
    probe = MqttProbe(port)
    probe.connect()
    notice = SyncNotice(replica_version=version, at=datetime.now(UTC))
    probe.publish(build_topic(SyncTopic(site=_SITE)), encode_message(notice), retain=True)
    probe.close()


def _all_synced(swarm: SwarmProcesses, version: int) -> bool:
    return swarm.synced(version) == swarm.gates


def _restart_seconds(workdir: Path, gates: int, rounds: int, per_process: int) -> list[float]:
    """Per round: kill -9 and restart the broker, seconds until all `gates` resynced."""
    conf = "max_queued_messages 1000\nmax_connections -1"  # -1: no limit (the default)
    broker = start_mosquitto(workdir, extra_conf=conf)
    swarm = SwarmProcesses(port=broker.port, site=_SITE, gates=gates, per_process=per_process)
    times = []
    try:
        _announce(broker.port, 1)
        swarm.start()
        if not wait_until(lambda: swarm.synced(1) == gates, 300, interval=0.1):
            raise SystemExit(f"only {swarm.synced(1)} of {gates} gates synced at start")
        for version in range(2, rounds + 2):
            broker.kill()
            broker.start()
            restarted = time.monotonic()
            _announce(broker.port, version)
            if not wait_until(partial(_all_synced, swarm, version), 300, interval=0.05):
                raise SystemExit(f"only {swarm.synced(version)} of {gates} gates resynced")
            times.append(time.monotonic() - restarted)
    finally:
        swarm.stop()
        broker.stop()
    return times


def _load() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def main() -> None:
    """Measure one gate (anchor), then `--gates` gates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-process", type=int, default=100)
    args = parser.parse_args()
    if raise_open_files(args.gates + 256) < args.gates + 64:
        raise SystemExit(f"cannot open {args.gates + 64} files: raise ulimit -n")
    with tempfile.TemporaryDirectory() as tmp:
        anchor = _restart_seconds(Path(tmp) / "one", 1, args.rounds, args.per_process)
        many = _restart_seconds(Path(tmp) / "many", args.gates, args.rounds, args.per_process)
    a50, m50 = statistics.median(anchor), statistics.median(many)
    processes = -(-args.gates // args.per_process)
    print(f"broker kill -9 + restart, {args.rounds} rounds; median (max)")
    print(f"  gates in {processes} processes of up to {args.per_process}; load {_load()}")
    print(f"  anchor: 1 gate resynced        {a50:7.2f} s ({max(anchor):.2f})")
    print(f"  {args.gates:5d} gates all resynced    {m50:7.2f} s ({max(many):.2f})")
    print(
        f"FIGURE broker_restart|{args.gates} gates reconnected and resynced (max)|"
        f"{max(many):.2f}|s|1 gate|{max(anchor):.2f}||"
    )


if __name__ == "__main__":
    main()
