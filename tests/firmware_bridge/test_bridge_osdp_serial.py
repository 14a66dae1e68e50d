"""OsdpPanel on its real SerialChannel, through a pty pair, to libosdp's PeripheralDevice."""

import os
import secrets
import time

import osdp

from firmware_bridge.card_formats import encode_wiegand
from firmware_bridge.config import OsdpConfig, OsdpReaderConfig
from firmware_bridge.drivers.base import CardPresented, DriverEvent
from firmware_bridge.drivers.osdp_reader import OsdpPanel


class MasterChannel(osdp.Channel):  # type: ignore[misc]
    """The reader's end: the pty master, non-blocking."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        os.set_blocking(fd, False)

    def read(self, max_bytes: int) -> bytes:
        try:
            return os.read(self.fd, max_bytes)
        except BlockingIOError:
            return b""

    def write(self, buf: bytes) -> int:
        return os.write(self.fd, buf)

    def flush(self) -> None:
        pass


def test_card_read_over_a_serial_line() -> None:
    master, slave = os.openpty()
    key = secrets.token_bytes(16)
    reader = osdp.PeripheralDevice(
        osdp.PDInfo(7, MasterChannel(master), scbk=key, flags=[osdp.LibFlag.EnforceSecure]),
        osdp.PDCapabilities([(osdp.Capability.LEDControl, 1, 1)]),
        log_level=osdp.LogLevel.Emergency,
    )
    config = OsdpConfig(
        port=os.ttyname(slave),
        baudrate=115200,
        readers=[OsdpReaderConfig(address=7, reader_id="r7", lane=0)],
    )
    panel = OsdpPanel(config=config, keys={"r7": key}, log_level=osdp.LogLevel.Emergency)
    events: list[DriverEvent] = []
    reader.start()
    panel.start(events.append)
    try:
        deadline = time.monotonic() + 10
        while not panel.is_secure("r7") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert panel.is_secure("r7")
        data, bits = encode_wiegand(facility_code=9, card_number=1234)
        reader.submit_event(
            {
                "event": osdp.Event.CardRead,
                "reader_no": 0,
                "direction": 0,
                "format": osdp.CardFormat.Wiegand,
                "length": bits,
                "data": data,
            }
        )
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            time.sleep(0.02)
        assert isinstance(events[0], CardPresented)
        assert (events[0].card.facility_code, events[0].card.badge_number) == (9, "1234")
    finally:
        panel.close()
        reader.teardown()
        os.close(master)
        os.close(slave)
