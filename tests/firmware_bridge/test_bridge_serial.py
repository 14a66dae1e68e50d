import os
import time
from collections.abc import Iterator

import pytest
import serial

from firmware_bridge.card_formats import encode_wiegand
from firmware_bridge.config import SerialConfig
from firmware_bridge.drivers.base import CardPresented, DriverEvent, InputEvent, InputKind
from firmware_bridge.drivers.serial_line import LineError, SerialController, parse_line


class Mcu:
    """The microcontroller's end of a pty pair."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave
        self.events: list[DriverEvent] = []

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def read_lines(self, count: int, timeout: float = 3.0) -> list[str]:
        buffer = b""
        deadline = time.monotonic() + timeout
        os.set_blocking(self.master, False)
        while buffer.count(b"\n") < count and time.monotonic() < deadline:
            try:
                buffer += os.read(self.master, 1024)
            except BlockingIOError:
                time.sleep(0.02)
        return buffer.decode().splitlines()

    def wait_events(self, count: int, timeout: float = 3.0) -> list[DriverEvent]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.events)

    def close(self) -> None:
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def mcu() -> Iterator[Mcu]:
    m = Mcu()
    yield m
    m.close()


def controller(mcu: Mcu, **kw: float) -> SerialController:
    ctl = SerialController(config=SerialConfig(port=mcu.path, reader_id="mcu-1", **kw))
    ctl.start(mcu.events.append)
    return ctl


def test_lines_become_events_and_garbage_is_counted(mcu: Mcu) -> None:
    ctl = controller(mcu)
    try:
        data, bits = encode_wiegand(facility_code=5, card_number=777)
        mcu.send(b"HELLO fw-1.2\n")
        mcu.send(b"\xff\xfe\x00 binary noise\n")
        mcu.send(b"DOOR 0 AJAR\n")
        mcu.send(b"CARD 0 26 " + data.hex().encode() + b"\n")
        mcu.send(b"X" * 500 + b"\n")
        flipped = bytes([data[0] ^ 0x40]) + data[1:]
        mcu.send(b"CARD 0 26 " + flipped.hex().encode() + b"\n")  # parity error
        mcu.send(b"DOOR 1 OPEN\r\nPASS 1\nTAMPER ON\n")
        events = mcu.wait_events(4)
        assert events[0] == CardPresented(card=events[0].card, reader_id="mcu-1", lane=0)  # type: ignore[union-attr]
        assert events[0].card.badge_number == "777"  # type: ignore[union-attr]
        assert events[1:] == [
            InputEvent(InputKind.DOOR_OPENED, lane=1),
            InputEvent(InputKind.PASSAGE, lane=1),
            InputEvent(InputKind.TAMPER_ON),
        ]
        assert ctl.garbage_count >= 4
    finally:
        ctl.close()


def test_commands_go_out_as_lines(mcu: Mcu) -> None:
    ctl = controller(mcu)
    try:
        ctl.set_unlocked(lane=2, unlocked=True)
        ctl.indicate(lane=2, granted=False)
        ctl.set_unlocked(lane=2, unlocked=False)
        assert mcu.read_lines(4) == ["RELAY 2 ON", "LED 2 RED", "BEEP 2", "RELAY 2 OFF"]
    finally:
        ctl.close()


def test_silence_reports_offline_then_online(mcu: Mcu) -> None:
    ctl = controller(mcu, heartbeat_timeout_s=0.3)
    try:
        events = mcu.wait_events(1)
        assert events == [InputEvent(InputKind.READER_OFFLINE, reader_id="mcu-1")]
        mcu.send(b"HB\n")
        events = mcu.wait_events(2)
        assert events[1] == InputEvent(InputKind.READER_ONLINE, reader_id="mcu-1")
    finally:
        ctl.close()


@pytest.mark.parametrize(
    "line",
    [
        "",
        "CARD",
        "CARD x 26 00",
        "CARD 0 26 zz",
        "CARD 99 26 00000000",
        "DOOR 0",
        "TAMPER MAYBE",
        "RELAY 0 ON",
    ],
)
def test_parse_line_refuses_non_protocol_lines(line: str) -> None:
    with pytest.raises(LineError):
        parse_line(line, reader_id="r")


def test_missing_port_is_a_driver_error() -> None:
    from firmware_bridge.drivers.base import DriverError

    ctl = SerialController(config=SerialConfig(port="/dev/does-not-exist"))
    with pytest.raises(DriverError):
        ctl.start(lambda event: None)
    assert serial  # pyserial is the transport under test
