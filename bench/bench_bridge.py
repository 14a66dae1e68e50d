"""OpenCommand -> CommandAck round trip through mosquitto; OSDP dead-reader detection.

usage: .venv/bin/python bench/bench_bridge.py [--commands N] [--osdp-runs N]

Baseline, measured in the same run on the same broker: an echo client that subscribes to
cmd/open and republishes every payload to cmd/ack at once (same two MQTT hops, no bridge
logic). The ratio is what the bridge adds: validation, expiry checks, the fsync'd
executed-command log, the state machine and the simulated relay.

OSDP: two libosdp PeripheralDevices on one in-memory multi-drop bus with one ControlPanel
(OsdpPanel); one reader is pulled and the time to the panel's reader_offline event is
measured. Baseline, in the same run: the time until libosdp itself drops the reader.
"""

from __future__ import annotations

import argparse
import queue
import secrets
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig, OsdpConfig, OsdpReaderConfig
from firmware_bridge.drivers.base import DriverEvent, InputEvent, InputKind
from firmware_bridge.drivers.osdp_channels import MemoryBus
from firmware_bridge.drivers.osdp_reader import OsdpPanel
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_protocol.messages import Direction, OpenCommand, encode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.mosquitto import start_mosquitto

CMD = build_topic(GateTopic(site="s1", gate="g1", channel=GateChannel.CMD_OPEN))
ACK = build_topic(GateTopic(site="s1", gate="g1", channel=GateChannel.CMD_ACK))


def client(port: int, name: str) -> Any:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name)
    c.connect("127.0.0.1", port)
    c.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as MqttBus does
    c.loop_start()
    return c


def command(i: int) -> bytes:
    now = datetime.now(UTC)
    return encode_message(
        OpenCommand(
            command_id=f"bench-{i}-{time.time_ns()}",
            lane=0,
            direction=Direction.ENTRY,
            pulse_ms=100,
            issued_at=now,
            expires_at=now + timedelta(seconds=30),
            issued_by="bench",
        )
    )


def round_trips(port: int, count: int) -> list[float]:
    acks: queue.Queue[bytes] = queue.Queue()
    agent = client(port, "bench-agent")
    agent.on_message = lambda c, u, m: acks.put(m.payload)
    agent.subscribe(ACK, qos=1)
    time.sleep(0.3)
    samples = []
    for i in range(count):
        started = time.perf_counter()
        agent.publish(CMD, command(i), qos=1)
        acks.get(timeout=10)
        samples.append((time.perf_counter() - started) * 1000)
    agent.loop_stop()
    agent.disconnect()
    return samples


def summary(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    print(f"{name:<28} median {median:7.2f} ms   p95 {p95:7.2f} ms   n={len(samples)}")
    return median


def dead_reader_run() -> tuple[float, float]:
    """One run: (panel reports the pulled reader offline, libosdp drops it), in seconds."""
    import osdp  # noqa: PLC0415 (only this figure needs libosdp)

    caps = osdp.PDCapabilities([(osdp.Capability.LEDControl, 1, 1)])
    keys = {"r1": secrets.token_bytes(16), "r2": secrets.token_bytes(16)}
    wire = MemoryBus(crosstalk=False)
    cp_end = wire.end()
    ends = {name: wire.end() for name in keys}
    devices = {
        name: osdp.PeripheralDevice(
            osdp.PDInfo(address, ends[name], scbk=keys[name], flags=[osdp.LibFlag.EnforceSecure]),
            caps,
            log_level=osdp.LogLevel.Emergency,
        )
        for address, name in enumerate(keys, start=1)
    }
    for device in devices.values():
        device.start()
    config = OsdpConfig(
        port="/dev/null",
        readers=[
            OsdpReaderConfig(address=address, reader_id=name, lane=address - 1)
            for address, name in enumerate(keys, start=1)
        ],
    )
    events: queue.Queue[DriverEvent] = queue.Queue()
    panel_keys: dict[str, bytes | None] = dict(keys)
    panel = OsdpPanel(
        config=config, keys=panel_keys, channel=cp_end, log_level=osdp.LogLevel.Emergency
    )
    panel.start(events.put)
    try:
        deadline = time.monotonic() + 15
        while not all(panel.is_secure(name) for name in keys):
            if time.monotonic() > deadline:
                raise RuntimeError("readers did not come online")
            time.sleep(0.02)
        time.sleep(1.0)
        ends["r1"].unplug()
        devices.pop("r1").teardown()
        pulled = time.monotonic()
        offline = InputEvent(InputKind.READER_OFFLINE, reader_id="r1")
        while events.get(timeout=15) != offline:
            pass
        reported = time.monotonic() - pulled
        while panel.libosdp_online("r1"):
            if time.monotonic() - pulled > 20:
                raise RuntimeError("libosdp never dropped the reader")
            time.sleep(0.01)
        return reported, time.monotonic() - pulled
    finally:
        panel.close()
        for device in devices.values():
            device.teardown()


def osdp_dead_reader(runs: int) -> None:
    """Print the dead-reader figures over `runs` runs."""
    ours, libosdp = zip(*(dead_reader_run() for _ in range(runs)), strict=True)
    print(
        f"baseline: libosdp alone     median {statistics.median(libosdp):6.2f} s"
        f"   max {max(libosdp):6.2f} s   n={runs}"
    )
    print(
        f"osdp: dead reader reported  median {statistics.median(ours):6.2f} s"
        f"   max {max(ours):6.2f} s   n={runs}   runs: {' '.join(f'{x:.2f}' for x in ours)}"
    )
    print(
        f"ratio osdp/libosdp (median): {statistics.median(ours) / statistics.median(libosdp):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--osdp-runs", type=int, default=3, help="0: skip the OSDP figure")
    args = parser.parse_args()
    if args.osdp_runs > 0:
        osdp_dead_reader(args.osdp_runs)
    with tempfile.TemporaryDirectory() as tmp:
        broker = start_mosquitto(Path(tmp), extra_conf="set_tcp_nodelay true\n")
        port = broker.port
        try:
            echo = client(port, "bench-echo")
            echo.on_message = lambda c, u, m: c.publish(ACK, m.payload, qos=1)
            echo.subscribe(CMD, qos=1)
            time.sleep(0.3)
            baseline = summary("baseline: echo client", round_trips(port, args.commands))
            echo.loop_stop()
            echo.disconnect()
            config = BridgeConfig.model_validate(
                {
                    "site": "s1",
                    "gate": "g1",
                    "mqtt": {"port": port},
                    "lanes": [{"lane": 0, "direction": "entry"}],
                    "state_dir": Path(tmp) / "state",
                    "require_signed_commands": False,  # measures the bridge, not Ed25519
                }
            )
            sim = SimulatedTurnstile(lanes=[0])
            bridge = Bridge(config=config, turnstile=sim, reader=sim, bus=build_bus(config))
            bridge.start()
            time.sleep(0.5)
            measured = summary("bridge: OpenCommand->ack", round_trips(port, args.commands))
            bridge.stop()
            print(f"ratio bridge/baseline (median): {measured / baseline:.2f}")
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
