"""OsdpPanel against libosdp's own PeripheralDevice on an in-memory channel."""

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import osdp
import pytest

from firmware_bridge.card_formats import encode_wiegand
from firmware_bridge.config import OsdpConfig, OsdpReaderConfig
from firmware_bridge.drivers.base import CardPresented, DriverEvent, InputEvent, InputKind
from firmware_bridge.drivers.osdp_channels import MemoryChannel, memory_channel_pair
from firmware_bridge.drivers.osdp_reader import OsdpPanel
from gate_protocol.messages import BadgeFormat

ADDRESS = 101
CAPS = osdp.PDCapabilities(
    [
        (osdp.Capability.OutputControl, 1, 1),
        (osdp.Capability.ContactStatusMonitoring, 1, 2),
        (osdp.Capability.LEDControl, 1, 1),
        (osdp.Capability.AudibleControl, 1, 1),
    ]
)
CONFIG = OsdpConfig(
    port="/dev/null",
    readers=[
        OsdpReaderConfig(
            address=ADDRESS,
            reader_id="reader-a0",
            lane=0,
            relay_output=0,
            door_input=0,
            passage_input=1,
        )
    ],
)


@dataclass
class Link:
    panel: OsdpPanel
    reader: Any  # osdp.PeripheralDevice
    cp_side: MemoryChannel
    pd_side: MemoryChannel
    events: list[DriverEvent]

    def wait_events(
        self, predicate: Callable[[list[DriverEvent]], bool], timeout: float = 5
    ) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(list(self.events)):
                return True
            time.sleep(0.02)
        return False

    def commands(self, count: int, timeout: float = 3) -> list[dict[str, Any]]:
        got = []
        for _ in range(count):
            command = self.reader.get_command(timeout=timeout)
            if command is None:
                break
            got.append(command)
        return got


def start_link(*, cp_key: bytes | None, pd_key: bytes | None, grace: float = 10.0) -> Link:
    cp_side, pd_side = memory_channel_pair()
    flags = [osdp.LibFlag.EnforceSecure] if pd_key is not None else []
    reader = osdp.PeripheralDevice(
        osdp.PDInfo(ADDRESS, pd_side, scbk=pd_key, flags=flags),
        CAPS,
        log_level=osdp.LogLevel.Emergency,
    )
    reader.start()
    panel = OsdpPanel(
        config=CONFIG,
        keys={"reader-a0": cp_key},
        channel=cp_side,
        log_level=osdp.LogLevel.Emergency,
        startup_grace_s=grace,
    )
    events: list[DriverEvent] = []
    panel.start(events.append)
    return Link(panel, reader, cp_side, pd_side, events)


def stop_link(link: Link) -> None:
    link.panel.close()
    if link.reader.thread is not None:
        link.reader.teardown()


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    key = secrets.token_bytes(16)
    lnk = start_link(cp_key=key, pd_key=key)
    deadline = time.monotonic() + 10
    while not lnk.panel.is_secure("reader-a0") and time.monotonic() < deadline:
        time.sleep(0.05)
    yield lnk
    stop_link(lnk)


def card_event(data: bytes, bits: int, fmt: int = osdp.CardFormat.Wiegand) -> dict[str, Any]:
    return {
        "event": osdp.Event.CardRead,
        "reader_no": 0,
        "direction": 0,
        "format": fmt,
        "length": bits,
        "data": data,
    }


def test_secure_channel_is_up(link: Link) -> None:
    assert link.panel.is_online("reader-a0")
    assert link.panel.is_secure("reader-a0")


def test_card_reads_become_credentials_and_bad_parity_is_dropped(link: Link) -> None:
    link.events.clear()
    data, bits = encode_wiegand(facility_code=200, card_number=51234, length=26)
    bad = bytes([data[0] ^ 0x20]) + data[1:]
    link.reader.submit_event(card_event(bad, bits))
    data34, bits34 = encode_wiegand(facility_code=4000, card_number=9, length=34)
    before = link.panel.garbage_count
    link.reader.submit_event(card_event(data, bits))
    link.reader.submit_event(card_event(data34, bits34))
    link.reader.submit_event(card_event(bytes([0x12, 0x34, 0x56]), 24, osdp.CardFormat.Unspecified))
    assert link.wait_events(lambda ev: len(ev) >= 3)
    cards = [e.card for e in link.events if isinstance(e, CardPresented)]
    assert [(c.format, c.facility_code, c.badge_number) for c in cards] == [
        (BadgeFormat.WIEGAND26, 200, "51234"),
        (BadgeFormat.WIEGAND34, 4000, "9"),
        (BadgeFormat.RAW, None, "123456"),
    ]
    assert link.panel.garbage_count == before + 1


def test_led_buzzer_and_relay_commands_reach_the_reader(link: Link) -> None:
    while link.reader.get_command(timeout=0) is not None:
        pass
    link.panel.indicate(lane=0, granted=True)
    green = link.commands(1)
    assert green[0]["command"] == osdp.Command.LED
    assert green[0]["on_color"] == osdp.CommandLEDColor.Green
    link.panel.indicate(lane=0, granted=False)
    red, beep = link.commands(2)
    assert red["on_color"] == osdp.CommandLEDColor.Red
    assert beep["command"] == osdp.Command.Buzzer
    link.panel.set_unlocked(lane=0, unlocked=True)
    link.panel.set_unlocked(lane=0, unlocked=False)
    on, off = link.commands(2)
    assert (on["command"], on["output_no"], on["control_code"]) == (osdp.Command.Output, 0, 2)
    assert off["control_code"] == 1


def test_tamper_and_inputs(link: Link) -> None:
    link.events.clear()
    local = {"event": osdp.Event.Status, "type": osdp.StatusReportType.Local}
    inputs = {"event": osdp.Event.Status, "type": osdp.StatusReportType.Input}
    link.reader.submit_event({**local, "report": bytes([1, 0])})
    link.reader.submit_event({**inputs, "report": bytes([1, 0])})  # door opens
    link.reader.submit_event({**inputs, "report": bytes([1, 1])})  # passage sensor
    link.reader.submit_event({**inputs, "report": bytes([0, 0])})  # door closes
    link.reader.submit_event({**local, "report": bytes([0, 0])})
    assert link.wait_events(lambda ev: len(ev) >= 5)
    assert link.events == [
        InputEvent(InputKind.TAMPER_ON),
        InputEvent(InputKind.DOOR_OPENED, lane=0),
        InputEvent(InputKind.PASSAGE, lane=0),
        InputEvent(InputKind.DOOR_CLOSED, lane=0),
        InputEvent(InputKind.TAMPER_OFF),
    ]


def test_garbage_on_the_channel_does_not_stop_the_panel(link: Link) -> None:
    link.events.clear()
    link.pd_side.inject(b"\x53\xff\x00garbage" + secrets.token_bytes(64))  # towards the panel
    link.cp_side.inject(secrets.token_bytes(64))  # towards the reader
    time.sleep(0.5)
    data, bits = encode_wiegand(facility_code=1, card_number=2)
    deadline = time.monotonic() + 10
    while not link.events and time.monotonic() < deadline:
        if link.panel.is_online("reader-a0"):
            link.reader.submit_event(card_event(data, bits))
            link.wait_events(lambda ev: bool(ev), timeout=1)
        else:
            time.sleep(0.1)
    assert any(isinstance(e, CardPresented) for e in link.events)


def test_reader_with_wrong_key_never_comes_online() -> None:
    lnk = start_link(cp_key=secrets.token_bytes(16), pd_key=secrets.token_bytes(16), grace=1.0)
    try:
        assert lnk.wait_events(
            lambda ev: InputEvent(InputKind.READER_OFFLINE, reader_id="reader-a0") in ev, timeout=4
        )
        data, bits = encode_wiegand(facility_code=1, card_number=2)
        lnk.reader.submit_event(card_event(data, bits))
        time.sleep(0.5)
        assert not any(isinstance(e, CardPresented) for e in lnk.events)
        assert not lnk.panel.is_secure("reader-a0")
    finally:
        stop_link(lnk)


def test_reader_going_away_is_reported_offline_within_two_seconds() -> None:
    key = secrets.token_bytes(16)
    lnk = start_link(cp_key=key, pd_key=key)
    try:
        deadline = time.monotonic() + 5
        while not lnk.panel.is_online("reader-a0") and time.monotonic() < deadline:
            time.sleep(0.05)
        lnk.reader.teardown()  # unplugged: the cable is cut
        gone = time.monotonic()
        # libosdp alone would take its 8 s of resends; the unanswered frames give it away sooner.
        assert lnk.wait_events(
            lambda ev: InputEvent(InputKind.READER_OFFLINE, reader_id="reader-a0") in ev, timeout=5
        )
        assert time.monotonic() - gone < 2.0
    finally:
        lnk.panel.close()
