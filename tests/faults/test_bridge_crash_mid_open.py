"""Bridge crash mid-open: killed -9 between the relay pulse and the ack, then restarted.

Two gates; g02 serves a crowd the whole time (load), g01's bridge runs in a child process
(testkit/faults/crash_bridge.py) whose relay freezes the worker right after the release, so the
kill lands between the pulse and the ack every time, not by luck. Each round a known badge
is read at g01, the agent grants and sends its command, the relay pulses, the bridge is
killed -9 and started again. Then: the relay moved exactly once per command (the restarted
bridge never opens for it again, whether the broker redelivers the command or not), the
restarted bridge raised the unclean-restart fault with its lanes locked, and the agent's event
for each command says the opening is unconfirmed (granted, ``passed`` unknown), not that it
failed; nothing lost or doubled at either gate.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from gate_protocol.messages import BadgeFormat, CredentialPresented, NodeState, encode_message
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.faults.bridges import Crowd, FleetBridge
from testkit.faults.crash_bridge import bridge_child, relay_releases
from testkit.faults.fleet import ChildProcess, Fleet, running
from testkit.faults.history import check_history
from testkit.faults.report import drained, figures_line
from testkit.mosquitto import mosquitto_available
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

SCALE = float(os.environ.get("PORTGATE_FAULT_SCALE", "1"))
CRASHES = max(2, round(2 * SCALE))
SITE, GATE = "fleet", "g01"


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    with running(Fleet(workdir=tmp_path, gates=2, people=20, period_s=0.4)) as fleet:
        yield fleet


def _topic(channel: GateChannel, node: NodeKind | None = None) -> str:
    return build_topic(GateTopic(site=SITE, gate=GATE, channel=channel, node=node))


def _onlines(probe: MqttProbe) -> int:
    """How many times a g01 bridge has said it is online (once per connect)."""
    statuses = (json.loads(p) for p in probe.on_topic(_topic(GateChannel.STATUS, NodeKind.BRIDGE)))
    return sum(1 for status in statuses if status["state"] == NodeState.ONLINE.value)


def _event_of(fleet: Fleet, command_id: str) -> dict[str, object] | None:
    with sqlite3.connect(fleet.outbox_path(GATE)) as db:
        for (payload,) in db.execute("SELECT payload FROM events"):
            event = json.loads(payload)
            if event.get("command_id") == command_id:
                return dict(event)
    return None


def _start(child: ChildProcess, probe: MqttProbe) -> None:
    before = _onlines(probe)
    child.start()
    assert wait_until(lambda: _onlines(probe) > before, 90), f"{child.name} not online"


def _pulsed(log: Path, pid: int | None) -> bool:
    return (pid, 0) in relay_releases(log)


def _newest(executed: dict[str, float]) -> str:
    return max(executed, key=lambda cid: executed[cid])


def _crash_rounds(
    fleet: Fleet,
    probe: MqttProbe,
    g01: FleetBridge,
    *,
    password: str,
    log: Path,
    recover: list[float],
    children: list[ChildProcess],
) -> None:
    """Each round: a badge at g01, the relay pulses, kill -9, restart, the agent's event."""
    assert fleet.seed is not None
    for _ in range(CRASHES):
        frozen = bridge_child(config=g01.config, password=password, workdir=log.parent, freeze=True)
        children.append(frozen)
        _start(frozen, probe)
        read = CredentialPresented(
            badge_number=str(fleet.seed.badges[0]),
            format=BadgeFormat.WIEGAND26,
            reader_id=f"{GATE}-reader",
            lane=0,
            read_at=datetime.now(UTC),
        )
        probe.publish(_topic(GateChannel.CREDENTIAL), encode_message(read))
        assert wait_until(partial(_pulsed, log, frozen.pid), 30), "no pulse"
        frozen.kill9()
        killed = time.monotonic()
        restarted = bridge_child(
            config=g01.config, password=password, workdir=log.parent, freeze=False
        )
        children.append(restarted)
        _start(restarted, probe)
        recover.append(time.monotonic() - killed)
        # The agent's ack timeout runs out, or the redelivered command is acked duplicate.
        command_id = _newest(g01.executed())
        assert wait_until(partial(_event_of, fleet, command_id), 30), "no event"
        restarted.stop()


def test_a_bridge_killed_between_pulse_and_ack_opens_once_and_the_event_says_so(
    fleet: Fleet, tmp_path: Path
) -> None:
    assert fleet.broker is not None and fleet.seed is not None
    g01 = next(b for b in fleet.bridges if b.gate == GATE)
    g01.bridge.stop()  # the child processes take its place, state dir and session alike
    fleet.crowd = Crowd(
        bridges=[b for b in fleet.bridges if b.gate != GATE],
        badges=fleet.seed.badges,
        unknown_badge=fleet.seed.unknown_badge,
        period_s=fleet.period_s,
    )
    fleet.crowd.start()
    password = fleet.broker.passwords[f"bridge-{GATE}"]
    probe = MqttProbe(fleet.broker.port, username="admin", password=fleet.broker.passwords["admin"])
    probe.connect()
    probe.subscribe(_topic(GateChannel.STATUS, NodeKind.BRIDGE))
    probe.subscribe(_topic(GateChannel.ALARM))
    log = tmp_path / "child" / "relay.log"
    recover: list[float] = []
    children: list[ChildProcess] = []
    try:
        _crash_rounds(
            fleet, probe, g01, password=password, log=log, recover=recover, children=children
        )
    finally:
        for child in children:
            child.kill9()
    fleet.crowd.stop()
    assert wait_until(lambda: drained(fleet), 90, interval=0.2), "events still on their way"
    fleet.stop()
    probe.close()

    executed = g01.executed()
    releases = relay_releases(log)
    events = {cid: _event_of(fleet, cid) for cid in executed}
    history = check_history(fleet, outages=[])
    line = figures_line(
        "bridge crash mid-open",
        history,
        scale=SCALE,
        recover_s=max(recover),
        extra=f"{CRASHES} crashes, {len(releases)} relay releases for {len(executed)} commands",
    )
    print(line)  # noqa: T201 (the figures, in the test log)
    assert not history.violations(), f"{line}\n{history.violations()}"
    assert len(executed) == CRASHES and len(releases) == CRASHES, line
    assert len({pid for pid, _ in releases}) == CRASHES, "a restarted bridge opened again"
    for command_id, event in events.items():
        assert event is not None, f"no event for command {command_id}"
        assert event["decision"] == "granted" and event["passed"] is None, event
        assert "opening unconfirmed" in str(event["reason_detail"]), event
    faults = [json.loads(p)["detail"] for p in probe.on_topic(_topic(GateChannel.ALARM))]
    child_log = (log.parent / "bridge.log").read_text(encoding="utf-8")
    assert faults.count("restart after unclean shutdown") == CRASHES, f"{faults}\n{child_log}"
