"""The bridge service: one worker loop that owns the hardware and the gate's state machine.

Inputs (MQTT items from the bus, events from the drivers) arrive on one bounded queue; the
worker validates them, asks the pure parts (``check_command``, ``GateMachine``) what to do,
carries out the effects on the drivers and publishes the results. Bad input is dropped and
counted, never raised: one malformed payload or line never stops the loop.
"""

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from gate_protocol.command_signing import command_refusal
from gate_protocol.messages import (
    AccessEvent,
    AckResult,
    AlarmKind,
    Decision,
    MessageError,
    NodeState,
    OpenCommand,
    decode_message,
    new_id,
)
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, TopicError, parse_topic
from pydantic import ValidationError

from firmware_bridge.agent_watch import AgentWatch, AwayOutcome
from firmware_bridge.bus import BusConnected, BusItem, BusMessage, MessageBus
from firmware_bridge.command_check import check_command
from firmware_bridge.command_keys import CommandKeySource
from firmware_bridge.command_log import CommandLog
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.base import (
    CardPresented,
    DriverError,
    DriverEvent,
    InputEvent,
    InputKind,
    ReaderDriver,
    TurnstileDriver,
)
from firmware_bridge.gate_machine import GateMachine, GateSnapshot, LaneSpec
from firmware_bridge.lane_machine import Actuate, Effect, ReportPassage
from firmware_bridge.metrics import BridgeMetrics
from firmware_bridge.publisher import GatePublisher
from firmware_bridge.run_marker import clear_running, mark_running
from firmware_bridge.watchdog import Watchdog

__all__ = ["VERSION", "Bridge", "utcnow"]

logger = logging.getLogger(__name__)
VERSION = "0.1.0"
_TICK_S = 0.1
_INBOX_SIZE = 10_000


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Bridge:
    """MQTT <-> one gate's turnstiles and readers."""

    def __init__(
        self,
        *,
        config: BridgeConfig,
        turnstile: TurnstileDriver,
        reader: ReaderDriver,
        bus: MessageBus,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self._turnstile, self._reader, self._bus = turnstile, reader, bus
        self._clock, self._wall = clock, wall_clock
        self._inbox: queue.Queue[BusItem | DriverEvent | None] = queue.Queue(_INBOX_SIZE)
        self._machine = GateMachine(
            lanes=[LaneSpec(lane.lane, lane.effective_fail_mode) for lane in config.lanes],
            held_after_s=config.held_open_s,
        )
        self._log = CommandLog(
            path=config.state_dir / "executed-commands.sqlite3",
            retention_s=config.command_retention_s,
            max_entries=config.command_log_max,
        )
        self._keys = CommandKeySource(
            site=config.site,
            gate=config.gate,
            static=config.command_keyring(),
            path=config.command_keys_file,
        )
        self._out = GatePublisher(
            bus=bus, site=config.site, gate=config.gate, version=VERSION, wall_clock=wall_clock
        )
        self._watchdog = Watchdog(
            timeout_s=config.watchdog_s, on_trip=self._watchdog_tripped, on_recover=self._recover
        )
        self.agent_watch = AgentWatch(
            state_dir=config.state_dir, answer_timeout_s=config.agent_answer_timeout_s
        )
        self._published: GateSnapshot | None = None
        self._thread: threading.Thread | None = None
        self.drops: Counter[str] = Counter()
        self.actuations = 0
        # Counted by the worker, read by the metrics endpoint's scrapes.
        self.card_reads = self.mqtt_connects = 0
        self.readers: dict[str, bool] = {}
        self.metrics = BridgeMetrics(
            config.metrics, self, {"site": config.site, "gate": config.gate}
        )
        self._last_heartbeat = float("-inf")

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Restore the lanes' safe state, start drivers, the bus, the worker and the watchdog."""
        self.metrics.start()  # first: a port in use stops the start before the hardware moves
        crashed = mark_running(self.config.state_dir)
        if crashed:
            logger.error("previous run did not stop cleanly: lanes locked, fault raised")
            effects = self._machine.restart_after_crash(detail="restart after unclean shutdown")
        else:
            effects = [
                e for spec in self.config.lanes for e in self._machine.lane(spec.lane).reset()
            ]
        self._turnstile.start(self._enqueue)
        self._reader.start(self._enqueue)
        self._apply(effects)
        self._bus.start(self._enqueue)
        self._thread = threading.Thread(target=self._run, name="bridge-worker", daemon=True)
        self._thread.start()
        self._watchdog.start()

    def stop(self) -> None:
        """Lock every lane, say offline, stop everything and clear the crash marker."""
        self._watchdog.stop()
        self.metrics.stop()
        if self._thread is not None:
            self._inbox.put(None)
            self._thread.join(timeout=5)
            self._thread = None
        for spec in self.config.lanes:
            self._apply(self._machine.lane(spec.lane).reset())
        self._bus.stop(farewell=(self._out.status_topic(), self._out.status(NodeState.OFFLINE)))
        self._reader.close()
        if self._reader is not self._turnstile:  # type: ignore[comparison-overlap]
            self._turnstile.close()
        self._log.close()
        self.agent_watch.close()
        clear_running(self.config.state_dir)

    # -- the worker loop --------------------------------------------------------------------
    def _enqueue(self, item: BusItem | DriverEvent) -> None:
        try:
            self._inbox.put_nowait(item)
        except queue.Full:
            self.drops["inbox_full"] += 1
            logger.error("bridge inbox full: input dropped")

    def _run(self) -> None:
        while True:
            item: BusItem | DriverEvent | None
            idle = False
            try:
                item = self._inbox.get(timeout=_TICK_S)
            except queue.Empty:
                item, idle = None, True
            if item is None and not idle:
                return
            try:
                if item is not None:
                    self._handle(item)
                self._apply(self._machine.tick(now=self._clock()))
                self.agent_watch.expire(now=self._clock())
                self._publish_state_if_changed()
            except Exception:  # the loop must outlive any single bad input
                logger.exception("bridge worker: input handling failed")
                self.drops["internal_error"] += 1
            self._watchdog.beat()
            self._touch_heartbeat()

    def _touch_heartbeat(self) -> None:
        path = self.config.heartbeat_path
        now = time.monotonic()
        if path is None or now - self._last_heartbeat < 1.0:
            return
        self._last_heartbeat = now
        try:
            path.touch()
        except OSError as exc:  # a full disk must not stop the gate; the healthcheck will tell
            logger.warning("heartbeat %s not written: %s", path, exc.strerror)

    def _handle(self, item: BusItem | DriverEvent) -> None:
        if isinstance(item, BusConnected):
            self.mqtt_connects += 1
            self._bus.subscribe(self._out.subscriptions())
            self._out.publish_status(NodeState.ONLINE)
            self._published = None  # republish the retained state after every (re)connect
        elif isinstance(item, BusMessage):
            self._handle_message(item)
        elif isinstance(item, CardPresented):
            self._handle_card(item)
        else:
            self._handle_input(item)

    # -- MQTT input -------------------------------------------------------------------------
    def _drop(self, reason: str, detail: str) -> None:
        self.drops[reason] += 1
        logger.warning("dropped message (%s, %d so far): %s", reason, self.drops[reason], detail)

    def _handle_message(self, item: BusMessage) -> None:
        try:
            topic = parse_topic(item.topic)
        except TopicError as exc:
            self._drop("topic", str(exc))
            return
        if not isinstance(topic, GateTopic) or (topic.site, topic.gate) != (
            self.config.site,
            self.config.gate,
        ):
            self._drop("topic", f"not this gate's topic: {item.topic}")
            return
        try:
            if topic.channel is GateChannel.CMD_OPEN:
                command = decode_message(item.payload, OpenCommand)
                assert isinstance(command, OpenCommand)  # noqa: S101 (decode_message checked)
                self._execute(command)
            elif topic.channel is GateChannel.EVENT:
                event = decode_message(item.payload, AccessEvent)
                assert isinstance(event, AccessEvent)  # noqa: S101
                if event.decision is Decision.DENIED and self._machine.has_lane(event.lane):
                    self.agent_watch.answered(event.lane)
                    self._indicate(event.lane, granted=False)
            elif topic.channel is GateChannel.STATUS and topic.node is NodeKind.AGENT:
                self.agent_watch.on_status(item.payload)
        except MessageError as exc:
            self._drop(exc.reason.value, exc.detail)

    def _execute(self, command: OpenCommand) -> None:
        self.agent_watch.answered(command.lane)
        now = self._wall()
        forged = self._signature_refusal(command, now=now)
        if forged is not None:
            # Somebody with publish rights on the topic but without the gate's key: the
            # broker's ACL was passed, so this is an alarm and not only a refusal.
            self._out.alarm(
                kind=AlarmKind.FORGED_COMMAND,
                lane=command.lane if self._machine.has_lane(command.lane) else None,
                detail=f"command {command.command_id} from {command.issued_by}: {forged}",
            )
            self._ack(command, AckResult.FORGED, forged)
            return
        refusal = check_command(
            command=command,
            now=now,
            skew_s=self.config.expiry_skew_s,
            max_lifetime_s=self.config.max_command_lifetime_s,
            known_lane=self._machine.has_lane(command.lane),
        )
        if refusal is not None:
            self._ack(command, *refusal)
            return
        # On disk before the relay moves: a crash right after cannot lead to a replay.
        if not self._log.record_once(command_id=command.command_id, now=now.timestamp()):
            self._ack(command, AckResult.DUPLICATE, "command already executed")
            return
        lane = self._machine.lane(command.lane)
        try:
            self._apply(
                lane.unlock(
                    command_id=command.command_id, pulse_ms=command.pulse_ms, now=self._clock()
                ),
                raise_driver_errors=True,
            )
        except DriverError as exc:
            self._apply(lane.reset())
            self._ack(command, AckResult.FAULT, str(exc))
            return
        self.actuations += 1
        self._indicate(command.lane, granted=True)
        self._ack(command, AckResult.OPENED, None)

    def _signature_refusal(self, command: OpenCommand, *, now: datetime) -> str | None:
        if command.signature is None and not self.config.require_signed_commands:
            return None  # a site still migrating to signed commands
        return command_refusal(
            command,
            site=self.config.site,
            gate=self.config.gate,
            keyring=self._keys.keyring(),
            now=now,
            max_age_s=self.config.signed_command_max_age_s + self.config.expiry_skew_s,
        )

    def _ack(self, command: OpenCommand, result: AckResult, detail: str | None) -> None:
        self._out.ack(command_id=command.command_id, result=result, detail=detail)

    def _indicate(self, lane: int, *, granted: bool) -> None:
        try:
            self._reader.indicate(lane=lane, granted=granted)
        except DriverError as exc:
            logger.warning("reader feedback failed on lane %d: %s", lane, exc)

    # -- hardware input ---------------------------------------------------------------------
    def _handle_card(self, item: CardPresented) -> None:
        if not self._machine.has_lane(item.lane):
            self._drop("unknown_lane", f"card read on lane {item.lane}")
            return
        self.card_reads += 1
        self.readers[item.reader_id] = True
        read_at = self._wall().timestamp()
        if not self.agent_watch.present:
            self._card_while_agent_away(item, read_at=read_at)
            return
        try:
            self._out.credential(card=item.card, reader_id=item.reader_id, lane=item.lane)
        except ValidationError as exc:
            self._drop("invalid_card", str(exc.errors(include_input=False)[0]["msg"]))
            return
        self.agent_watch.sent(
            lane=item.lane, reader=item.reader_id, now=self._clock(), read_at=read_at
        )

    def _card_while_agent_away(self, item: CardPresented, *, read_at: float) -> None:
        lane = self._machine.lane(item.lane)
        outcome = self.agent_watch.away_read(
            lane=item.lane, reader=item.reader_id, fail_mode=lane.fail_mode, read_at=read_at
        )
        if outcome is AwayOutcome.OPENED:  # fail-safe (egress): nobody is kept in
            self._apply(
                lane.unlock(command_id=f"away-{new_id()}", pulse_ms=3000, now=self._clock())
            )
        self._indicate(item.lane, granted=outcome is AwayOutcome.OPENED)

    def _handle_input(self, item: InputEvent) -> None:
        now = self._clock()
        kind = item.kind
        if kind in (InputKind.TAMPER_ON, InputKind.TAMPER_OFF):
            self._apply(self._machine.set_tamper(active=kind is InputKind.TAMPER_ON))
            return
        if kind in (InputKind.READER_ONLINE, InputKind.READER_OFFLINE):
            online = kind is InputKind.READER_ONLINE
            reader_id = item.reader_id or "reader"
            self.readers[reader_id] = online
            self._apply(self._machine.set_reader_online(reader_id=reader_id, online=online))
            return
        if item.lane is None or not self._machine.has_lane(item.lane):
            self._drop("unknown_lane", f"{kind.value} on lane {item.lane}")
            return
        lane = self._machine.lane(item.lane)
        if kind is InputKind.DOOR_OPENED:
            self._apply(lane.door_opened(now=now))
        elif kind is InputKind.DOOR_CLOSED:
            self._apply(lane.door_closed(now=now))
        else:
            self._apply(lane.passage(now=now))

    # -- effects and publishing -------------------------------------------------------------
    def _apply(self, effects: list[Effect], *, raise_driver_errors: bool = False) -> None:
        for effect in effects:
            if isinstance(effect, Actuate):
                try:
                    self._turnstile.set_unlocked(lane=effect.lane, unlocked=effect.unlocked)
                except DriverError as exc:
                    if raise_driver_errors:
                        raise
                    self._out.alarm(kind=AlarmKind.FAULT, lane=effect.lane, detail=f"relay: {exc}")
            elif isinstance(effect, ReportPassage):
                self._out.passage(
                    command_id=effect.command_id, lane=effect.lane, passed=effect.passed
                )
            else:
                self._out.alarm(kind=effect.kind, lane=effect.lane, detail=effect.detail)

    def _publish_state_if_changed(self) -> None:
        snapshot = self._machine.snapshot()
        if snapshot == self._published:
            return
        self._published = snapshot
        self._out.state(snapshot)

    # -- watchdog ---------------------------------------------------------------------------
    def _watchdog_tripped(self) -> None:
        # Runs on the watchdog thread: the worker is stuck, so this is the one place that
        # touches the drivers outside the worker.
        logger.error("bridge worker stalled: lanes to their fail positions")
        effects = self._machine.enter_fail_positions(detail="bridge worker stalled (watchdog)")
        self._apply(effects)
        self._out.state(self._machine.snapshot())

    def _recover(self) -> None:
        logger.warning("bridge worker recovered: lanes locked")
        for spec in self.config.lanes:
            self._apply(self._machine.lane(spec.lane).reset())
