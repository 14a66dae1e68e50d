"""OSDP readers through libosdp's ControlPanel: cards in, LEDs, buzzer and relay out.

Card reads become CardPresented (Wiegand 26/34 with parity, raw bits, ASCII); local status
reports carry the reader's tamper switch; input status reports carry the door contact and
passage sensor; a monitor thread turns libosdp's online bitmask and the frames each reader
answers (osdp_frames, osdp_liveness) into reader online/offline events. Secure channel is
enforced for every reader that has a key (see osdp_keys). libosdp's event callback runs on
its refresh thread: it only translates and emits.
"""

import logging
import threading
import time
from typing import Any

import osdp

from firmware_bridge.card_formats import CardRead, CardReadError, decode_ascii, decode_bits
from firmware_bridge.config import OsdpConfig, OsdpReaderConfig
from firmware_bridge.drivers.base import (
    CardPresented,
    DriverError,
    Emit,
    InputEvent,
    InputKind,
)
from firmware_bridge.drivers.osdp_channels import SerialChannel, WatchedChannel
from firmware_bridge.drivers.osdp_liveness import ReaderLiveness, ReaderSignals, Revive

__all__ = ["OsdpPanel"]

logger = logging.getLogger(__name__)
_OUTPUT_PERMANENT_OFF = 1
_OUTPUT_PERMANENT_ON = 2
_LED_TEMPORARY_SET = 2
_BUZZER_DEFAULT_TONE = 2
_MONITOR_PERIOD_S = 0.1
# libosdp parks an offline reader for 300 s; one it has not addressed for this long is revived.
_REVIVE_IDLE_S = 2.0


class OsdpPanel:
    """Both a ReaderDriver and a TurnstileDriver (relay on a PD output) over OSDP."""

    def __init__(
        self,
        *,
        config: OsdpConfig,
        keys: dict[str, bytes | None],
        channel: Any = None,
        log_level: int = osdp.LogLevel.Error,
        startup_grace_s: float = 10.0,
    ) -> None:
        self._startup_grace_s = startup_grace_s
        self._config = config
        self._readers = list(config.readers)
        self._keys = keys
        self._channel = channel
        self._log_level = log_level
        self._cp: Any = None
        self._own_channel: SerialChannel | None = None
        self._watched: WatchedChannel | None = None
        self._emit: Emit | None = None
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self._liveness: ReaderLiveness | None = None
        self._tamper: dict[int, bool] = {}
        self._relay_wanted: dict[int, bool] = {}
        self._seen_online: set[int] = set()  # online at the monitor's last look
        self._ever_online: set[int] = set()
        self._inputs: dict[int, bytes] = {}
        self.garbage_count = 0

    def start(self, emit: Emit) -> None:
        """Start the control panel and the online monitor (idempotent)."""
        if self._cp is not None:
            return
        self._emit = emit
        channel = self._channel
        if channel is None:
            channel = self._own_channel = SerialChannel(
                port=self._config.port, baudrate=self._config.baudrate
            )
        channel = self._watched = WatchedChannel(channel)
        infos = []
        for reader in self._readers:
            key = self._keys.get(reader.reader_id)
            flags = [osdp.LibFlag.EnforceSecure] if key is not None else []
            infos.append(
                osdp.PDInfo(reader.address, channel, scbk=key, name=reader.reader_id, flags=flags)
            )
        self._cp = osdp.ControlPanel(infos, log_level=self._log_level, event_handler=self._on_event)
        self._cp.start()
        self._liveness = ReaderLiveness(
            reader_ids=[reader.reader_id for reader in self._readers],
            reply_timeout_s=self._config.reply_timeout_s,
            startup_grace_s=self._startup_grace_s,
            revive_idle_s=_REVIVE_IDLE_S,
            started=time.monotonic(),
        )
        self._monitor = threading.Thread(
            target=self._watch_online, name="osdp-monitor", daemon=True
        )
        self._monitor.start()

    def is_secure(self, reader_id: str) -> bool:
        """Whether the reader's secure channel is up."""
        reader = self._reader_by_id(reader_id)
        return bool(self._cp is not None and self._cp.is_sc_active(reader.address))

    def is_online(self, reader_id: str) -> bool:
        """Whether the reader is online: libosdp has it online and it answers the panel."""
        reader = self._reader_by_id(reader_id)
        cp, watched, liveness = self._cp, self._watched, self._liveness
        if cp is None or watched is None or liveness is None:
            return False
        return liveness.is_online(_signals(cp, watched, reader, now=time.monotonic()))

    def libosdp_online(self, reader_id: str) -> bool:
        """The online bit libosdp itself holds for the reader, without the wire check."""
        reader = self._reader_by_id(reader_id)
        return bool(self._cp is not None and self._cp.is_online(reader.address))

    def set_unlocked(self, *, lane: int, unlocked: bool) -> None:
        """Switch the lane's relay output on the reader that drives it.

        The wanted position is sent again whenever libosdp brings the reader (back) online,
        so a reader that was cut off or rebooted does not keep a stale relay state. Locking
        a reader that has not come up since start is only remembered (a fresh reader's
        outputs are off, i.e. locked); anything else on an offline reader is a DriverError.
        """
        reader = self._reader_for_lane(lane)
        if reader.relay_output is None:
            raise DriverError(f"lane {lane} has no OSDP relay output")
        if not unlocked:
            self._relay_wanted[reader.address] = False
            if reader.address not in self._ever_online and not self.is_online(reader.reader_id):
                return
        self._submit(reader, _output_command(reader.relay_output, unlocked=unlocked))
        self._relay_wanted[reader.address] = unlocked

    def indicate(self, *, lane: int, granted: bool) -> None:
        """Green LED for 2 s on grant; red LED for 2 s and two beeps on deny."""
        reader = self._reader_for_lane(lane)
        colour = osdp.CommandLEDColor.Green if granted else osdp.CommandLEDColor.Red
        self._submit(
            reader,
            {
                "command": osdp.Command.LED,
                "reader": 0,
                "led_number": 0,
                "control_code": _LED_TEMPORARY_SET,
                "on_count": 20,
                "off_count": 0,
                "on_color": colour,
                "off_color": osdp.CommandLEDColor.Black,
                "timer_count": 20,
                "temporary": True,
            },
        )
        if not granted:
            self._submit(
                reader,
                {
                    "command": osdp.Command.Buzzer,
                    "reader": 0,
                    "control_code": _BUZZER_DEFAULT_TONE,
                    "on_count": 2,
                    "off_count": 1,
                    "rep_count": 2,
                },
            )

    def close(self) -> None:
        """Stop the monitor and the control panel."""
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=2)
            self._monitor = None
        if self._cp is not None:
            self._cp.teardown()
            self._cp = None
        if self._own_channel is not None:
            self._own_channel.close()
            self._own_channel = None

    def _submit(self, reader: OsdpReaderConfig, command: dict[str, Any]) -> None:
        # is_online(), not libosdp's bit: libosdp would queue commands for a dead reader
        # until its 8 s are up.
        if self._cp is None or not self.is_online(reader.reader_id):
            raise DriverError(f"reader {reader.reader_id} is offline")
        if not self._cp.submit_command(reader.address, command):
            raise DriverError(f"reader {reader.reader_id} refused the command")

    def _reader_for_lane(self, lane: int) -> OsdpReaderConfig:
        for reader in self._readers:
            if reader.lane == lane:
                return reader
        raise DriverError(f"no OSDP reader for lane {lane}")

    def _reader_by_id(self, reader_id: str) -> OsdpReaderConfig:
        for reader in self._readers:
            if reader.reader_id == reader_id:
                return reader
        raise KeyError(reader_id)

    def _on_event(self, pd: int, event: dict[str, Any]) -> int:
        try:
            self._translate(self._readers[pd], event)
        except (KeyError, IndexError, TypeError, ValueError, CardReadError) as exc:
            self.garbage_count += 1
            logger.warning("OSDP event ignored (%d so far): %s", self.garbage_count, exc)
        return 0

    def _translate(self, reader: OsdpReaderConfig, event: dict[str, Any]) -> None:
        emit = self._emit
        if emit is None:
            return
        kind = event["event"]
        if kind == osdp.Event.CardRead:
            emit(
                CardPresented(
                    card=_decode_card(event), reader_id=reader.reader_id, lane=reader.lane
                )
            )
        elif kind == osdp.Event.Status and event["type"] == osdp.StatusReportType.Local:
            tamper = bool(event["report"][0])
            if self._tamper.get(reader.address, False) != tamper:
                self._tamper[reader.address] = tamper
                emit(InputEvent(InputKind.TAMPER_ON if tamper else InputKind.TAMPER_OFF))
        elif kind == osdp.Event.Status and event["type"] == osdp.StatusReportType.Input:
            self._translate_inputs(reader, bytes(event["report"]), emit)

    def _translate_inputs(self, reader: OsdpReaderConfig, report: bytes, emit: Emit) -> None:
        before = self._inputs.get(reader.address, bytes(len(report)))
        self._inputs[reader.address] = report

        def changed(index: int | None) -> bool | None:
            if index is None or index >= len(report):
                return None
            was = index < len(before) and bool(before[index])
            return None if bool(report[index]) == was else bool(report[index])

        door = changed(reader.door_input)
        if door is not None:
            emit(
                InputEvent(
                    InputKind.DOOR_OPENED if door else InputKind.DOOR_CLOSED, lane=reader.lane
                )
            )
        if changed(reader.passage_input) is True:
            emit(InputEvent(InputKind.PASSAGE, lane=reader.lane))

    def _watch_online(self) -> None:
        liveness = self._liveness
        while liveness is not None and not self._stop.wait(_MONITOR_PERIOD_S):
            cp, emit, watched = self._cp, self._emit, self._watched
            if cp is None or emit is None or watched is None:
                return
            for reader in self._readers:
                self._check_reader(cp, watched, liveness, reader, emit)

    def _check_reader(
        self,
        cp: Any,
        watched: WatchedChannel,
        liveness: ReaderLiveness,
        reader: OsdpReaderConfig,
        emit: Emit,
    ) -> None:
        now = time.monotonic()
        signals = _signals(cp, watched, reader, now=now)
        change = liveness.observe(reader.reader_id, signals, now=now)
        if change is not None:
            kind = InputKind.READER_ONLINE if change else InputKind.READER_OFFLINE
            logger.info("OSDP reader %s %s", reader.reader_id, kind.value)
            emit(InputEvent(kind, reader_id=reader.reader_id))
        self._reassert_relay(cp, reader, online=signals.libosdp_online)
        action = liveness.revive(signals, now=now)
        if action is Revive.DISABLE:
            cp.disable_pd(reader.address)
        elif action is Revive.ENABLE:
            cp.enable_pd(reader.address)

    def _reassert_relay(self, cp: Any, reader: OsdpReaderConfig, *, online: bool) -> None:
        if not online:
            self._seen_online.discard(reader.address)
            return
        if reader.address in self._seen_online:
            return
        self._seen_online.add(reader.address)
        self._ever_online.add(reader.address)
        wanted = self._relay_wanted.get(reader.address)
        if wanted is not None and reader.relay_output is not None:
            cp.submit_command(reader.address, _output_command(reader.relay_output, unlocked=wanted))


def _signals(
    cp: Any, watched: WatchedChannel, reader: OsdpReaderConfig, *, now: float
) -> ReaderSignals:
    last = watched.link.last_command(reader.address)
    return ReaderSignals(
        libosdp_online=bool(cp.is_online(reader.address)),
        enabled=bool(cp.is_pd_enabled(reader.address)),
        unanswered_frames=watched.link.unanswered_frames(reader.address),
        idle_s=None if last is None else now - last,
    )


def _output_command(output_no: int, *, unlocked: bool) -> dict[str, Any]:
    return {
        "command": osdp.Command.Output,
        "output_no": output_no,
        "control_code": _OUTPUT_PERMANENT_ON if unlocked else _OUTPUT_PERMANENT_OFF,
        "timer_count": 0,
    }


def _decode_card(event: dict[str, Any]) -> CardRead:
    data = bytes(event["data"])
    fmt = event["format"]
    if fmt == osdp.CardFormat.ASCII:
        return decode_ascii(data)
    wiegand = fmt == osdp.CardFormat.Wiegand
    return decode_bits(data, int(event["length"]), wiegand=wiegand)
