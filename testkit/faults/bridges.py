"""In-process bridges with simulated turnstiles, a badge-reading crowd, and a tap on each bus.

The tap records every OpenCommand a bridge received and every CommandAck it sent, so a
fault run can prove afterwards that no command opened a lane twice or after its expiry.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from firmware_bridge.assembly import build_bus
from firmware_bridge.bus import BusItem, BusMessage, MessageBus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_protocol.messages import AckResult, CommandAck, MessageError, OpenCommand, decode_message
from gate_protocol.topics import GateChannel, GateTopic, Topic, TopicError, parse_topic
from portgate.demo.gates import FACILITY_CODE
from testkit.secured_broker import SiteBroker

__all__ = ["BusTap", "Crowd", "FleetBridge"]

_log = logging.getLogger(__name__)
_PASSWORD_ENV = "PORTGATE_FLEET_MQTT_PASSWORD"  # noqa: S105 (an env var name)


@dataclass
class BusTap:
    """What one bridge's bus carried: commands in (with expiry), acks out."""

    commands: dict[str, OpenCommand] = field(default_factory=dict)
    acks: list[tuple[str, AckResult, datetime]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def opened(self) -> list[str]:
        """Command ids acknowledged as opened (one per actuation)."""
        with self.lock:
            return [cid for cid, result, _ in self.acks if result is AckResult.OPENED]


class _TappedBus:
    """A MessageBus that shows the tap every command delivered and every ack published."""

    def __init__(self, inner: MessageBus, tap: BusTap) -> None:
        self._inner = inner
        self._tap = tap

    def start(self, deliver: Callable[[BusItem], None]) -> None:
        def tapped(item: BusItem) -> None:
            if isinstance(item, BusMessage):
                self._record(item)
            deliver(item)

        self._inner.start(tapped)

    def _record(self, item: BusMessage) -> None:
        try:
            topic = parse_topic(item.topic)
            if not isinstance(topic, GateTopic) or topic.channel is not GateChannel.CMD_OPEN:
                return
            command = decode_message(item.payload, OpenCommand)
        except (TopicError, MessageError):
            return  # the bridge itself counts and drops it
        if isinstance(command, OpenCommand):
            with self._tap.lock:
                self._tap.commands.setdefault(command.command_id, command)

    def subscribe(self, filters: list[str]) -> None:
        self._inner.subscribe(filters)

    def publish(self, *, topic: Topic, message: BaseModel, retain: bool = False) -> None:
        if isinstance(message, CommandAck):
            with self._tap.lock:
                self._tap.acks.append((message.command_id, message.result, datetime.now(UTC)))
        self._inner.publish(topic=topic, message=message, retain=retain)

    def stop(self, *, farewell: tuple[Topic, BaseModel] | None = None) -> None:
        self._inner.stop(farewell=farewell)


class FleetBridge:
    """One gate's bridge and simulated turnstile on the fleet broker."""

    def __init__(
        self,
        *,
        site: str,
        gate: str,
        broker: SiteBroker,
        workdir: Path,
        command_keys: dict[str, str],
        fail_mode: str | None = None,
    ) -> None:
        self.gate = gate
        user = f"bridge-{gate}"
        self.config = BridgeConfig.model_validate(
            {
                "site": site,
                "gate": gate,
                "mqtt": {"port": broker.port, "username": user, "password_env": _PASSWORD_ENV},
                "lanes": [{"lane": 0, "direction": "entry", "fail_mode": fail_mode}],
                "state_dir": workdir / gate,
                # Same host, same clock: no skew allowance, so "never after expiry" is exact.
                "expiry_skew_s": 0,
                "command_keys": command_keys,  # the agents sign with their replica's key
            }
        )
        self.turnstile = SimulatedTurnstile(lanes=[0], reader_id=f"{gate}-reader")
        self.tap = BusTap()
        inner = build_bus(self.config, environ={_PASSWORD_ENV: broker.passwords[user]})
        self.bridge = Bridge(
            config=self.config,
            turnstile=self.turnstile,
            reader=self.turnstile,
            bus=_TappedBus(inner, self.tap),
        )

    def executed(self) -> dict[str, float]:
        """The bridge's executed-command log: command id -> epoch seconds it was executed."""
        path = self.config.state_dir / "executed-commands.sqlite3"
        with sqlite3.connect(path) as db:
            return {
                str(c): float(t)
                for c, t in db.execute("SELECT command_id, executed_at FROM executed")
            }


@dataclass
class Crowd:
    """People badging at every gate: a known badge most of the time, an unknown one sometimes.

    Attributes:
        bridges: The gates' bridges.
        badges: Known badge numbers.
        unknown_badge: A badge nobody holds.
        period_s: Seconds between presentations at one gate.
        presented: Presentations made, per gate.
    """

    bridges: list[FleetBridge]
    badges: list[int]
    unknown_badge: int
    period_s: float
    presented: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        """One thread per gate."""
        for bridge in self.bridges:
            self.presented[bridge.gate] = 0
            thread = threading.Thread(target=self._walk, args=(bridge,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Stop presenting and wait for the threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _walk(self, bridge: FleetBridge) -> None:
        sim = bridge.turnstile
        while not self._stop.is_set():
            started = time.monotonic()
            unknown = secrets.randbelow(5) == 0
            badge = self.unknown_badge if unknown else secrets.choice(self.badges)
            sim.present_card(lane=0, facility_code=FACILITY_CODE, card_number=badge)
            self.presented[bridge.gate] += 1
            deadline = started + min(self.period_s, 2.0)
            while time.monotonic() < deadline and not self._stop.is_set():
                if sim.is_unlocked(0):
                    sim.walk_through(lane=0)
                    break
                time.sleep(0.02)
            self._stop.wait(max(0.0, self.period_s - (time.monotonic() - started)))
